/**
 * Typed errors with stable codes.
 *
 * Every failure arrowseal raises on bad *data* is an {@link ArrowSealError} whose `code` is one of
 * {@link ArrowSealErrorCode}; a `switch` on `err.code` narrows the type. Misuse of the API by the caller (a wrong
 * argument type) raises the built-in `TypeError` or `RangeError` instead, as Web APIs do.
 *
 * Messages never contain key material, plaintext or tags: they name the thing that is wrong and where.
 * All authentication failures share one code and one message (DESIGN property 8) so that a caller, or an
 * attacker watching the caller's logs, cannot tell a bad tag from a bad MAC or a bad key commitment.
 *
 * @module
 */

/**
 * Every code arrowseal can raise. Codes are part of the public contract and never change meaning.
 *
 * @example
 * ```ts
 * import type { ArrowSealErrorCode } from 'arrowseal'
 * const retryable: ArrowSealErrorCode[] = ['TRUNCATED']
 * ```
 */
export type ArrowSealErrorCode =
  | 'KEY_INVALID'
  | 'POLICY_INVALID'
  | 'POLICY_FIELD_UNCOVERED'
  | 'POLICY_UNKNOWN_FIELD'
  | 'POLICY_UNKNOWN_ROLE'
  | 'FORMAT_INVALID'
  | 'FORMAT_UNSUPPORTED'
  | 'LIMIT_EXCEEDED'
  | 'TRUNCATED'
  | 'TRAILING_DATA'
  | 'FRAME_OUT_OF_ORDER'
  | 'SIGNER_UNTRUSTED'
  | 'SIGNATURE_INVALID'
  | 'SESSION_REJECTED'
  | 'SESSION_EXPIRED'
  | 'STREAM_UNEXPECTED'
  | 'NOT_A_RECIPIENT'
  | 'COLUMN_NOT_READABLE'
  | 'AUTH_FAILED'
  | 'AEAD_LIMIT'
  | 'ARROW_INVALID'
  | 'ARROW_UNSUPPORTED'
  | 'STREAM_ABORTED'
  | 'BACKEND_UNAVAILABLE'
  | 'PROOF_INVALID'
  | 'NOTE_INVALID'
  | 'CHECKPOINT_INVALID'
  | 'STORE_CORRUPT'
  | 'STORE_UNAVAILABLE'
  | 'STORE_MISMATCH'
  | 'BROKER_MISMATCH'
  | 'BROKER_UNAVAILABLE'
  | 'RECIPIENT_UNKNOWN'
  | 'REWRAP_NOT_ENTITLED'
  | KeyAccessErrorCode

/**
 * The codes of the key-access gateway (issue 13): raised by the gateway for a refused request, and by the reader's
 * client for the gateway's answer or for transport failures (`KAS_UNREACHABLE`, `KAS_TIMEOUT`,
 * `KAS_RECEIPT_INVALID`). docs/errors.md lists when each is raised.
 *
 * @example
 * ```ts
 * import type { KeyAccessErrorCode } from 'arrowseal'
 * const retryable: KeyAccessErrorCode[] = ['KAS_RATE_LIMITED', 'KAS_UNAVAILABLE', 'KAS_TIMEOUT']
 * ```
 */
export type KeyAccessErrorCode =
  | 'KAS_REQUEST_INVALID'
  | 'KAS_REQUEST_TOO_LARGE'
  | 'KAS_UNAUTHENTICATED'
  | 'KAS_REPLAYED'
  | 'KAS_STALE'
  | 'KAS_WRONG_AUDIENCE'
  | 'KAS_HEADER_MISMATCH'
  | 'KAS_NOT_A_RECIPIENT'
  | 'KAS_DENIED'
  | 'KAS_SUSPENDED'
  | 'KAS_RATE_LIMITED'
  | 'KAS_UNAVAILABLE'
  | 'KAS_UNREACHABLE'
  | 'KAS_TIMEOUT'
  | 'KAS_RECEIPT_INVALID'

/**
 * Base class of every arrowseal error. Carries a stable `code` and, where useful, a `cause`.
 *
 * @example
 * ```ts
 * import { openTable, ArrowSealError } from 'arrowseal'
 * try {
 *   await openTable(bytes, { identity, trustedSigners })
 * } catch (err) {
 *   if (err instanceof ArrowSealError && err.code === 'SIGNER_UNTRUSTED') console.error('unknown writer')
 *   else throw err
 * }
 * ```
 */
export class ArrowSealError extends Error {
  /** Stable machine-readable code. */
  readonly code: ArrowSealErrorCode

  constructor(code: ArrowSealErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
    this.name = 'ArrowSealError'
  }
}

/**
 * A key or identity text, or key bytes, could not be parsed or used.
 *
 * @example
 * ```ts
 * import { parsePublicKey, KeyError } from 'arrowseal'
 * try { parsePublicKey('aseal1xyz') } catch (e) { console.log(e instanceof KeyError) } // true
 * ```
 */
export class KeyError extends ArrowSealError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('KEY_INVALID', message, options)
    this.name = 'KeyError'
  }
}

/**
 * A policy is invalid or does not fit the table being sealed.
 *
 * @example
 * ```ts
 * import { PolicyError } from 'arrowseal'
 * const err = new PolicyError('POLICY_FIELD_UNCOVERED', 'field "email" is not covered by any rule')
 * console.log(err.code) // 'POLICY_FIELD_UNCOVERED'
 * ```
 */
export class PolicyError extends ArrowSealError {
  constructor(
    code: 'POLICY_INVALID' | 'POLICY_FIELD_UNCOVERED' | 'POLICY_UNKNOWN_FIELD' | 'POLICY_UNKNOWN_ROLE',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options)
    this.name = 'PolicyError'
  }
}

/**
 * Sealed bytes are malformed, cut short, too large, out of order, or followed by trailing data. These are
 * structural errors found before any cryptography runs.
 *
 * @example
 * ```ts
 * import { FormatError } from 'arrowseal'
 * const err = new FormatError('TRUNCATED', 'stream ended before its end frame')
 * console.log(err.code) // 'TRUNCATED'
 * ```
 */
export class FormatError extends ArrowSealError {
  constructor(
    code:
      | 'FORMAT_INVALID'
      | 'FORMAT_UNSUPPORTED'
      | 'LIMIT_EXCEEDED'
      | 'TRUNCATED'
      | 'TRAILING_DATA'
      | 'FRAME_OUT_OF_ORDER',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options)
    this.name = 'FormatError'
  }
}

/** The single message used for every cryptographic authentication failure (DESIGN property 8). */
export const AUTH_FAILED_MESSAGE = 'sealed data failed authentication'

/**
 * Authentication failed: an untrusted or invalid signature, a writer session the reader refuses or that is out of
 * its validity window, a validly signed stream other than the one the reader expects, a stream not addressed to this identity, or any
 * AEAD, MAC or key-commitment failure. The last kind always has code `AUTH_FAILED` and the same message, so
 * failures cannot be told apart.
 *
 * @example
 * ```ts
 * import { AuthError } from 'arrowseal'
 * const err = new AuthError('AUTH_FAILED')
 * console.log(err.message) // 'sealed data failed authentication'
 * ```
 */
export class AuthError extends ArrowSealError {
  constructor(
    code:
      | 'SIGNER_UNTRUSTED'
      | 'SIGNATURE_INVALID'
      | 'SESSION_REJECTED'
      | 'SESSION_EXPIRED'
      | 'STREAM_UNEXPECTED'
      | 'NOT_A_RECIPIENT'
      | 'AUTH_FAILED',
    message: string = AUTH_FAILED_MESSAGE,
    options?: { cause?: unknown },
  ) {
    super(code, code === 'AUTH_FAILED' ? AUTH_FAILED_MESSAGE : message, options)
    this.name = 'AuthError'
  }
}

/**
 * The audit log refused data: a Merkle inclusion or consistency proof that does not verify or is malformed
 * (`PROOF_INVALID`), a signed note that breaks the C2SP signed-note grammar or lacks a valid signature
 * (`NOTE_INVALID`), or a checkpoint that is malformed, names another log, or moves backwards
 * (`CHECKPOINT_INVALID`).
 *
 * @example
 * ```ts
 * import { AuditError } from 'arrowseal'
 * const err = new AuditError('PROOF_INVALID', 'inclusion proof does not lead to the root')
 * console.log(err.code) // 'PROOF_INVALID'
 * ```
 */
export class AuditError extends ArrowSealError {
  constructor(
    code: 'PROOF_INVALID' | 'NOTE_INVALID' | 'CHECKPOINT_INVALID',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options)
    this.name = 'AuditError'
  }
}

/**
 * An audit-log store (`arrowseal/store`) failed: its database is damaged or was edited so that it no longer holds
 * a well-formed tree (`STORE_CORRUPT`), the database cannot be reached or written (`STORE_UNAVAILABLE`), or it holds
 * another log than the one asked for (`STORE_MISMATCH`).
 *
 * @example
 * ```ts
 * import { StoreError } from 'arrowseal/store'
 * const err = new StoreError('STORE_CORRUPT', 'entry 7 is missing')
 * console.log(err.code) // 'STORE_CORRUPT'
 * ```
 */
export class StoreError extends ArrowSealError {
  constructor(
    code: 'STORE_CORRUPT' | 'STORE_UNAVAILABLE' | 'STORE_MISMATCH',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options)
    this.name = 'StoreError'
  }
}

/**
 * The key-access gateway refused a request, or the reader's client could not get or trust its answer. `requestId`,
 * when present, is the gateway's id of the request, as written in its audit log.
 *
 * @example
 * ```ts
 * import { KeyAccessError } from 'arrowseal'
 * const err = new KeyAccessError('KAS_UNAUTHENTICATED', 'token: expired', { requestId: 'r-1' })
 * console.log(err.code, err.requestId) // 'KAS_UNAUTHENTICATED' 'r-1'
 * ```
 */
export class KeyAccessError extends ArrowSealError {
  declare readonly code: KeyAccessErrorCode
  /** The gateway's id of the request, when it assigned one. */
  declare readonly requestId?: string

  constructor(code: KeyAccessErrorCode, message: string, options?: { cause?: unknown; requestId?: string }) {
    super(code, message, options)
    this.name = 'KeyAccessError'
    if (options?.requestId !== undefined) this.requestId = options.requestId
  }
}

/**
 * A message broker (`arrowseal/nats`) failed or disagreed with the stream it carried: what a message's subject or
 * headers claim (stream id, kind, routing fields) does not match the verified stream, or is malformed
 * (`BROKER_MISMATCH`); the broker cannot be reached, or refused a publish or a consumer (`BROKER_UNAVAILABLE`).
 *
 * @example
 * ```ts
 * import { BrokerError } from 'arrowseal/nats'
 * const err = new BrokerError('BROKER_MISMATCH', 'the subject names another stream')
 * console.log(err.code) // 'BROKER_MISMATCH'
 * ```
 */
export class BrokerError extends ArrowSealError {
  constructor(code: 'BROKER_MISMATCH' | 'BROKER_UNAVAILABLE', message: string, options?: { cause?: unknown }) {
    super(code, message, options)
    this.name = 'BrokerError'
  }
}

/**
 * A rewrap (issue 14) cannot do what was asked: a recipient to remove is not in the stream (`RECIPIENT_UNKNOWN`),
 * or the rewrapper does not hold, or cannot see, a group it must re-wrap (`REWRAP_NOT_ENTITLED`). Raised before
 * the first output byte.
 *
 * @example
 * ```ts
 * import { RewrapError } from 'arrowseal'
 * const err = new RewrapError('RECIPIENT_UNKNOWN', 'remove[0] names no recipient of the stream')
 * console.log(err.code) // 'RECIPIENT_UNKNOWN'
 * ```
 */
export class RewrapError extends ArrowSealError {
  constructor(code: 'RECIPIENT_UNKNOWN' | 'REWRAP_NOT_ENTITLED', message: string, options?: { cause?: unknown }) {
    super(code, message, options)
    this.name = 'RewrapError'
  }
}

/**
 * Internal helper: wrap an unknown thrown value as an ArrowSealError with the given code, keeping typed errors.
 * @internal
 */
export function asArrowSealError(err: unknown, code: ArrowSealErrorCode, message: string): ArrowSealError {
  if (err instanceof ArrowSealError) return err
  return new ArrowSealError(code, message, { cause: err })
}
