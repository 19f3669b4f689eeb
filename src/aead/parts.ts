/**
 * Sealing a plaintext held as parts (an Arrow IPC unit as arrow-js's writer emits it) straight into its place in
 * a frame. Backends that can stream (node:crypto) read the parts in order and never join them; the others get
 * one joined copy, exactly what they would have been given before.
 *
 * @module
 */
import { concatAll } from '../format/bytes.js'
import { assertInput, assertNonce, isBytes } from './checks.js'
import { AEAD_MAX_INPUT_LENGTH, AEAD_TAG_LENGTH, type AeadKey, type CryptoBackend } from './types.js'

/**
 * Checks the arguments of {@link CryptoBackend.sealInto} and returns the parts' total length.
 *
 * @throws TypeError / RangeError on misuse: a part that is not bytes, a total of 2^32 bytes or more, or an `out`
 *   that is not exactly total + 16 bytes.
 * @example
 * ```ts
 * const total = checkSealIntoArgs(nonce, aad, parts, out)
 * ```
 */
export function checkSealIntoArgs(nonce: unknown, aad: unknown, parts: readonly unknown[], out: unknown): number {
  assertNonce(nonce)
  assertInput('aad', aad)
  const total = partsTotal(parts, 'plaintext')
  if (!isBytes(out) || out.byteLength !== total + AEAD_TAG_LENGTH) {
    throw new RangeError(`out must be a Uint8Array of exactly ${total + AEAD_TAG_LENGTH} bytes`)
  }
  return total
}

/**
 * Checks the argument of {@link CryptoBackend.sha256Parts}: an array of byte arrays, 2^32 bytes at most in all
 * (the limit of {@link CryptoBackend.sha256}). Returns it.
 *
 * @example
 * ```ts
 * for (const p of checkDigestParts(parts)) hash.update(p)
 * ```
 */
export function checkDigestParts(parts: unknown): readonly Uint8Array[] {
  partsTotal(parts, 'data')
  return parts as readonly Uint8Array[]
}

/** The total length of `parts`, refusing anything but an array of byte arrays shorter than 2^32 bytes in all. */
function partsTotal(parts: unknown, name: string): number {
  if (!Array.isArray(parts)) throw new TypeError('parts must be an array of Uint8Array')
  let total = 0
  for (const p of parts) {
    if (!isBytes(p)) throw new TypeError('parts must be an array of Uint8Array')
    total += p.byteLength
  }
  if (total > AEAD_MAX_INPUT_LENGTH) throw new RangeError(`${name} must be shorter than 2^32 bytes, got ${total}`)
  return total
}

/**
 * SHA-256 of the concatenation of `parts` with whichever path `backend` has: fed in order where it can stream
 * (node:crypto, noble), else over one joined copy (Web Crypto digests one buffer only).
 *
 * @example
 * ```ts
 * const digest = await digestParts(backend, [Uint8Array.of(1), Uint8Array.of(2, 3)])
 * ```
 */
export async function digestParts(backend: CryptoBackend, parts: readonly Uint8Array[]): Promise<Uint8Array> {
  if (backend.sha256Parts) return backend.sha256Parts(parts)
  return backend.sha256(parts.length === 1 ? parts[0]! : concatAll(checkDigestParts(parts)))
}

/**
 * Seals the concatenation of `parts` into `out` (total + 16 bytes) with whichever path `backend` has.
 *
 * @example
 * ```ts
 * const out = new Uint8Array(3 + 16)
 * await sealParts(backend, key, nonce, aad, [Uint8Array.of(1), Uint8Array.of(2, 3)], out)
 * ```
 */
export async function sealParts(
  backend: CryptoBackend,
  key: AeadKey,
  nonce: Uint8Array,
  aad: Uint8Array,
  parts: readonly Uint8Array[],
  out: Uint8Array,
): Promise<void> {
  if (backend.sealInto) return backend.sealInto(key, nonce, aad, parts, out)
  checkSealIntoArgs(nonce, aad, parts, out)
  const joined = parts.length === 1 ? parts[0]! : concatAll(parts)
  out.set(await backend.seal(key, nonce, aad, joined))
  // A joined copy holds plaintext that nobody else references: wipe it (a single part is the caller's own).
  if (joined !== parts[0]) joined.fill(0)
}
