/**
 * Options of sealing and opening, and their validation at the public boundary.
 * @module
 */
import type { CryptoBackend } from '../aead/types.js'
import { KeyError } from '../errors.js'
import { DEFAULT_MAX_FRAME_BYTES, HARD_LIMITS, STREAM_ID_BYTES } from '../format/constants.js'
import { Identity } from '../keys/identity.js'
import { type PublicKey, parsePublicKey } from '../keys/public-key.js'
import { WriterSession } from '../keys/session.js'
import type { Policy, Recipients } from '../policy/policy.js'
import { checkTokenOptions, type TokenOptions } from './tokenise.js'

/**
 * Options for {@link sealTable} and {@link SealStream}.
 *
 * @example
 * ```ts
 * import type { SealOptions } from 'arrowseal'
 * declare const writer: import('arrowseal').Identity, alice: string
 * const options: SealOptions = {
 *   signer: writer,
 *   recipients: { analysts: [alice] },
 *   policy: { fields: { id: 'public', amount: ['analysts'] }, default: 'drop' },
 * }
 * ```
 */
export interface SealOptions {
  /**
   * Who signs the header: the writer's identity (a hybrid Ed25519 + ML-DSA-65 signature per stream), or a
   * {@link WriterSession} it certified (one Ed25519 signature per stream; see `createWriterSession`). Readers
   * trust the identity's public key either way.
   */
  readonly signer: Identity | WriterSession
  /** Roles to public keys (`aseal1…`). Every key gets one stanza, whatever its number of roles. */
  readonly recipients: Recipients
  /** Which roles may read which fields. */
  readonly policy: Policy
  /**
   * Publish the names and types of sealed fields in the header (default false: only group count and sizes show).
   * Refused (`POLICY_INVALID`) when a sealed group carries schema-level or field metadata, which would be published.
   */
  readonly revealSchema?: boolean
  /** Compress each unit before sealing (default `'none'`). Compression leaks information through sizes. */
  readonly compression?: 'none' | 'deflate'
  /** AEAD and hash backend; default: node:crypto on Node (via the node export), WebCrypto, else noble. */
  readonly backend?: CryptoBackend
  /**
   * Merge consecutive batches smaller than this many rows before sealing (default: off; every batch becomes
   * its own frame). Each batch costs its own IPC messages, AEAD calls, frame hash and MACs, so streams of many
   * small batches seal and open faster merged. Rows and their order are unchanged, but readers receive the
   * merged batches, not the batches you wrote; a `SealStream` holds gathered batches back until they reach
   * this many rows (or about 16 MiB of column data) or the stream closes, which adds latency on a slow source.
   * Applies when every column is of a flat type (numbers, booleans, dates, times, timestamps, durations,
   * intervals, decimals, binary and UTF-8 strings) or dictionary-encoded; a merged batch never spans a change of
   * dictionary. Other streams are sealed batch by batch as written.
   */
  readonly minBatchRows?: number
  /**
   * The dataset and its token key, for policies with `tokens` (pseudonymised views). Every stream of a dataset
   * must be sealed with the same name and key so that its tokens join; the key never enters the stream.
   */
  readonly tokens?: TokenOptions
}

/**
 * What a reader does with streams signed by a writer session (see {@link OpenOptions.sessions}).
 *
 * @example
 * ```ts
 * const policy: SessionPolicy = 'current'
 * ```
 */
export type SessionPolicy = 'accept' | 'current' | 'reject'

/**
 * Options for {@link openTable} and {@link OpenStream}.
 *
 * @example
 * ```ts
 * import type { OpenOptions } from 'arrowseal'
 * declare const me: import('arrowseal').Identity, writerPublicKey: string
 * const options: OpenOptions = { identity: me, trustedSigners: [writerPublicKey] }
 * ```
 */
export interface OpenOptions {
  /** The reader's identity. It must be one of the stream's recipients. */
  readonly identity: Identity
  /** Public keys (`aseal1…` or parsed) of the writers whose streams this reader accepts. Must not be empty. */
  readonly trustedSigners: readonly (string | PublicKey)[]
  /**
   * Return fields the reader may not read as all-null columns instead of leaving them out. Only fields whose
   * name and type the stream reveals (`revealSchema`) can be returned this way; hidden ones stay invisible.
   */
  readonly includeDenied?: boolean
  /**
   * Streams signed by a writer session (format suite 2), whose header signature is Ed25519 under a short-lived
   * key that the trusted signer certified with a hybrid signature:
   * - `'accept'` (default): verify the certificate and the header signature; the session's validity window is
   *   not compared with the clock, so streams at rest stay readable after the session ends;
   * - `'current'`: also require this machine's clock to be inside the window (±5 minutes), so a session key
   *   that leaks or is broken later cannot sign streams this reader accepts;
   * - `'reject'`: accept only streams with their own hybrid signature (post-quantum authenticity per stream).
   */
  readonly sessions?: SessionPolicy
  /**
   * The stream id this reader expects (16 bytes, or 32 hex digits as `inspect` shows it). A stream with another
   * id is refused with `STREAM_UNEXPECTED` once its signature has verified, before any key is unwrapped. This
   * is how a reader detects whole-stream replay: an older stream of the same writer is validly signed and
   * internally intact, so only the reader can know it is not the stream it asked for. Take the id from where
   * you learnt which stream to fetch (a catalog, a manifest, a message key) through an authenticated channel.
   * See docs/concepts/zero-trust.md.
   */
  readonly expectedStreamId?: string | Uint8Array
  /** Largest frame this reader will buffer, in bytes (default 256 MiB, at most 1 GiB). */
  readonly maxFrameBytes?: number
  /** AEAD and hash backend, as for sealing. */
  readonly backend?: CryptoBackend
}

/** Checks the caller's seal options; wrong types are TypeErrors (misuse), not data errors. */
export function checkSealOptions(options: SealOptions): void {
  if (typeof options !== 'object' || options === null) throw new TypeError('seal options must be an object')
  if (!(options.signer instanceof Identity) && !(options.signer instanceof WriterSession))
    throw new TypeError('options.signer must be an Identity (see generateIdentity/importIdentity) or a WriterSession')
  if (typeof options.recipients !== 'object' || options.recipients === null)
    throw new TypeError('options.recipients must be an object of role → public keys')
  if (typeof options.policy !== 'object' || options.policy === null)
    throw new TypeError('options.policy must be a policy object')
  if (options.revealSchema !== undefined && typeof options.revealSchema !== 'boolean')
    throw new TypeError('options.revealSchema must be a boolean')
  if (options.compression !== undefined && options.compression !== 'none' && options.compression !== 'deflate') {
    throw new TypeError("options.compression must be 'none' or 'deflate'")
  }
  const min = options.minBatchRows
  if (min !== undefined && !(Number.isSafeInteger(min) && min >= 0 && min <= HARD_LIMITS.maxRowsPerBatch))
    throw new TypeError(`options.minBatchRows must be an integer from 0 to ${HARD_LIMITS.maxRowsPerBatch}`)
  checkTokenOptions(options.tokens)
}

/** Checks the caller's open options and parses the trusted signer keys. */
export function checkOpenOptions(options: OpenOptions): {
  signers: PublicKey[]
  maxFrameBytes: number
  sessions: SessionPolicy
  expectedStreamId: Uint8Array | null
} {
  if (typeof options !== 'object' || options === null) throw new TypeError('open options must be an object')
  if (!(options.identity instanceof Identity))
    throw new TypeError('options.identity must be an Identity (see importIdentity)')
  if (!Array.isArray(options.trustedSigners) || options.trustedSigners.length === 0) {
    throw new TypeError(
      'options.trustedSigners must be a non-empty array of public keys: a reader must say whose data it trusts',
    )
  }
  const signers = options.trustedSigners.map((s, i) => {
    if (typeof s !== 'string') return s
    try {
      return parsePublicKey(s)
    } catch (cause) {
      throw new KeyError(`trustedSigners[${i}]: ${cause instanceof Error ? cause.message : 'not a public key'}`, {
        cause,
      })
    }
  })
  const maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES
  if (!Number.isSafeInteger(maxFrameBytes) || maxFrameBytes < 1 || maxFrameBytes > HARD_LIMITS.maxFrameBytes) {
    throw new RangeError(`options.maxFrameBytes must be an integer from 1 to ${HARD_LIMITS.maxFrameBytes}`)
  }
  const sessions = options.sessions ?? 'accept'
  if (sessions !== 'accept' && sessions !== 'current' && sessions !== 'reject') {
    throw new TypeError("options.sessions must be 'accept', 'current' or 'reject'")
  }
  return { signers, maxFrameBytes, sessions, expectedStreamId: parseStreamId(options.expectedStreamId) }
}

/** `expectedStreamId` as bytes: 16 bytes, or 32 hex digits (either case); anything else is caller misuse. */
function parseStreamId(value: string | Uint8Array | undefined): Uint8Array | null {
  if (value === undefined) return null
  if (value instanceof Uint8Array) {
    if (value.length !== STREAM_ID_BYTES)
      throw new RangeError(`options.expectedStreamId must be ${STREAM_ID_BYTES} bytes`)
    return value.slice()
  }
  if (typeof value !== 'string' || !/^[0-9a-fA-F]{32}$/.test(value))
    throw new TypeError('options.expectedStreamId must be 16 bytes or 32 hex digits')
  const out = new Uint8Array(STREAM_ID_BYTES)
  for (let i = 0; i < STREAM_ID_BYTES; i++) out[i] = Number.parseInt(value.slice(2 * i, 2 * i + 2), 16)
  return out
}

/** Parses every recipient key, naming the role and index of a bad one. */
export function parseRecipientKeys(recipients: Recipients): Record<string, PublicKey[]> {
  const out: Record<string, PublicKey[]> = Object.create(null)
  for (const [role, keys] of Object.entries(recipients)) {
    out[role] = keys.map((text, i) => {
      try {
        return parsePublicKey(text)
      } catch (cause) {
        throw new KeyError(`recipients.${role}[${i}]: ${cause instanceof Error ? cause.message : 'not a public key'}`, {
          cause,
        })
      }
    })
  }
  return out
}
