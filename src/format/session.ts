/**
 * The session credential of suite 2 (format.md §Suite 2): a short-lived Ed25519 key, its validity window, and
 * the writer's hybrid signature over both. This module is bytes only; signing and verifying live in
 * `keys/session.ts`.
 * @module
 */

import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex } from '@noble/hashes/utils.js'
import { FormatError } from '../errors.js'
import { type ByteReader, ByteWriter } from './bytes.js'
import { FINGERPRINT_BYTES, MAX_SESSION_SECONDS, SESSION_CREDENTIAL_BYTES, SIGNATURE_BYTES } from './constants.js'

/**
 * A session credential as it sits in a suite-2 header.
 *
 * @example
 * ```ts
 * const cred: SessionCredential = { key, notBefore: 1_700_000_000, notAfter: 1_700_003_600, certificate }
 * ```
 */
export interface SessionCredential {
  /** Ed25519 public key of the session (32 bytes). */
  readonly key: Uint8Array
  /** Start of validity, Unix seconds. */
  readonly notBefore: number
  /** End of validity, Unix seconds; after `notBefore` and at most 7 days later. */
  readonly notAfter: number
  /** Hybrid Ed25519 + ML-DSA-65 signature by the writer's long-term key over the signer, key and window (format.md). */
  readonly certificate: Uint8Array
}

/** Session key length (Ed25519 public key). */
export const SESSION_KEY_BYTES = 32

/**
 * Short display id of a session key: hex of the first 8 bytes of its SHA-256 (`WriterSession.sessionKeyId`,
 * `inspect().session.keyId`).
 *
 * @example
 * ```ts
 * sessionKeyId(credential.key) // e.g. 'e406d202cf258c9b'
 * ```
 */
export function sessionKeyId(key: Uint8Array): string {
  return bytesToHex(sha256(key).subarray(0, 8))
}

/**
 * What the long-term key signs: `signer fingerprint (32) ‖ session key (32) ‖ u64 not_before ‖ u64 not_after`.
 *
 * @example
 * ```ts
 * const message = certifiedBytes(writer.publicKeyObject.fingerprint, cred)
 * ```
 */
export function certifiedBytes(signer: Uint8Array, cred: Omit<SessionCredential, 'certificate'>): Uint8Array {
  return new ByteWriter(FINGERPRINT_BYTES + SESSION_KEY_BYTES + 16)
    .put(signer)
    .put(cred.key)
    .u64(cred.notBefore)
    .u64(cred.notAfter)
    .done()
}

/**
 * Checks a window the way every reader does: `notBefore < notAfter ≤ notBefore + 7 days`.
 *
 * @throws FormatError `FORMAT_INVALID` otherwise.
 * @example
 * ```ts
 * checkSessionWindow(1_700_000_000, 1_700_003_600) // ok
 * ```
 */
export function checkSessionWindow(notBefore: number, notAfter: number): void {
  if (!(notBefore < notAfter) || notAfter - notBefore > MAX_SESSION_SECONDS) {
    throw new FormatError('FORMAT_INVALID', 'the session credential has an invalid validity window')
  }
}

/**
 * Writes a credential (exactly {@link SESSION_CREDENTIAL_BYTES} bytes).
 *
 * @example
 * ```ts
 * writer.put(encodeCredential(cred))
 * ```
 */
export function encodeCredential(cred: SessionCredential): Uint8Array {
  return new ByteWriter(SESSION_CREDENTIAL_BYTES)
    .put(cred.key)
    .u64(cred.notBefore)
    .u64(cred.notAfter)
    .put(cred.certificate)
    .done()
}

/**
 * Reads a credential at the reader's position; structure and window only, no cryptography.
 *
 * @example
 * ```ts
 * const cred = readCredential(reader)
 * ```
 */
export function readCredential(r: ByteReader): SessionCredential {
  const key = r.bytes(SESSION_KEY_BYTES, 'session key')
  const notBefore = r.u64('session not_before')
  const notAfter = r.u64('session not_after')
  checkSessionWindow(notBefore, notAfter)
  const certificate = r.bytes(SIGNATURE_BYTES, 'session certificate')
  return { key, notBefore, notAfter, certificate }
}
