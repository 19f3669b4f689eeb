/**
 * Argument checks shared by every AEAD backend, so all three refuse exactly the same inputs the same way.
 *
 * Messages name the argument and its length, never its bytes.
 *
 * @internal
 * @module
 */

import { AuthError } from '../errors.js'
import { AEAD_KEY_LENGTH, AEAD_MAX_INPUT_LENGTH, AEAD_NONCE_LENGTH, AEAD_TAG_LENGTH } from './types.js'

/**
 * True for a `Uint8Array`, including Node `Buffer` and arrays from another realm (where `instanceof` fails).
 *
 * @example
 * ```ts
 * isBytes(new Uint8Array(4)) // true
 * isBytes([1, 2, 3])          // false
 * ```
 */
export function isBytes(value: unknown): value is Uint8Array {
  return (
    value instanceof Uint8Array ||
    (ArrayBuffer.isView(value) && (value as { constructor?: { name?: string } }).constructor?.name === 'Uint8Array')
  )
}

/**
 * Throws `TypeError` unless `value` is a Uint8Array, and `RangeError` if it is 2^32 bytes or longer.
 *
 * @example
 * ```ts
 * assertInput('aad', aad)
 * ```
 */
export function assertInput(name: string, value: unknown): asserts value is Uint8Array {
  if (!isBytes(value)) throw new TypeError(`${name} must be a Uint8Array`)
  if (value.byteLength > AEAD_MAX_INPUT_LENGTH) {
    throw new RangeError(`${name} must be shorter than 2^32 bytes, got ${value.byteLength}`)
  }
}

/**
 * Throws unless `raw` is exactly 32 bytes (AES-256 only: we never silently fall back to AES-128/192).
 *
 * @example
 * ```ts
 * assertKeyBytes(new Uint8Array(32)) // ok
 * assertKeyBytes(new Uint8Array(16)) // RangeError
 * ```
 */
export function assertKeyBytes(raw: unknown): asserts raw is Uint8Array {
  if (!isBytes(raw)) throw new TypeError('key must be a Uint8Array')
  if (raw.byteLength !== AEAD_KEY_LENGTH) {
    throw new RangeError(`key must be ${AEAD_KEY_LENGTH} bytes, got ${raw.byteLength}`)
  }
}

/**
 * Throws unless `nonce` is exactly 12 bytes. Other lengths are legal GCM but derive the counter through GHASH
 * (SP 800-38D §7.1), which Wycheproof's CounterWrap/LongIv cases show implementations get wrong; we refuse them.
 *
 * @example
 * ```ts
 * assertNonce(new Uint8Array(12)) // ok
 * ```
 */
export function assertNonce(nonce: unknown): asserts nonce is Uint8Array {
  if (!isBytes(nonce)) throw new TypeError('nonce must be a Uint8Array')
  if (nonce.byteLength !== AEAD_NONCE_LENGTH) {
    throw new RangeError(`nonce must be ${AEAD_NONCE_LENGTH} bytes, got ${nonce.byteLength}`)
  }
}

/**
 * Validates the arguments of `seal` in one place so every backend checks the same things in the same order.
 *
 * @example
 * ```ts
 * checkSealArgs(nonce, aad, plaintext)
 * ```
 */
export function checkSealArgs(nonce: unknown, aad: unknown, plaintext: unknown): void {
  assertNonce(nonce)
  assertInput('aad', aad)
  assertInput('plaintext', plaintext)
}

/**
 * Validates the arguments of `open` and splits `sealed` into ciphertext and tag views (no copy).
 *
 * Input too short to hold a tag is bad data, not misuse, so it fails like any other forgery: `AUTH_FAILED`.
 *
 * @example
 * ```ts
 * const { ciphertext, tag } = checkOpenArgs(nonce, aad, sealed)
 * ```
 */
export function checkOpenArgs(
  nonce: unknown,
  aad: unknown,
  sealed: unknown,
): { ciphertext: Uint8Array; tag: Uint8Array } {
  assertNonce(nonce)
  assertInput('aad', aad)
  if (!isBytes(sealed)) throw new TypeError('sealed must be a Uint8Array')
  // The bound applies to the ciphertext part so that anything seal() can produce, open() accepts.
  if (sealed.byteLength - AEAD_TAG_LENGTH > AEAD_MAX_INPUT_LENGTH) {
    throw new RangeError(`sealed must be shorter than 2^32 + ${AEAD_TAG_LENGTH} bytes, got ${sealed.byteLength}`)
  }
  if (sealed.byteLength < AEAD_TAG_LENGTH) throw new AuthError('AUTH_FAILED')
  const split = sealed.byteLength - AEAD_TAG_LENGTH
  return { ciphertext: sealed.subarray(0, split), tag: sealed.subarray(split) }
}
