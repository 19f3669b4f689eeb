/**
 * AES-256-GCM and SHA-256 on `node:crypto` (OpenSSL), the fastest backend on Node. Lives behind the Node-only
 * entry because the core must run on Web APIs alone.
 *
 * @module
 */

import { createCipheriv, createDecipheriv, createHash, createSecretKey, type KeyObject } from 'node:crypto'
import { assertInput, assertKeyBytes, checkOpenArgs, checkSealArgs } from '../aead/checks.js'
import { KeyStore } from '../aead/key.js'
import { checkDigestParts, checkSealIntoArgs } from '../aead/parts.js'
import { AEAD_TAG_LENGTH, type AeadKey, type CryptoBackend } from '../aead/types.js'
import { ArrowSealError, AuthError } from '../errors.js'

const ALGORITHM = 'aes-256-gcm'
/** Parts up to this size are gathered into `stage` (a cheap warm copy) so a small unit costs one update() call. */
const SMALL_PART = 32 * 1024
/** Largest piece given to one `update()` call (see sealInto). */
const PIECE = 256 * 1024
// One staging buffer per process is enough: sealInto never awaits between filling and draining it.
const stage = new Uint8Array(64 * 1024)
// Pinning the tag length stops OpenSSL from accepting a truncated tag in setAuthTag().
const GCM_OPTIONS = { authTagLength: AEAD_TAG_LENGTH } as const

/**
 * Returns `buf` as a plain Uint8Array. A Buffer's `slice` aliases instead of copying, and a pooled Buffer's
 * `.buffer` exposes unrelated bytes, so we hand out a plain view only when the Buffer owns its whole ArrayBuffer.
 */
function plainBytes(buf: Uint8Array): Uint8Array {
  if (buf.byteOffset === 0 && buf.byteLength === buf.buffer.byteLength) {
    return new Uint8Array(buf.buffer, 0, buf.byteLength)
  }
  return Uint8Array.prototype.slice.call(buf)
}

/**
 * Creates the `node:crypto` backend. Each key becomes a `KeyObject` once (`createSecretKey`), so sealing a unit
 * does no key import; inputs are passed to OpenSSL as views, without copying.
 *
 * @example
 * ```ts
 * import { nodeBackend } from 'arrowseal/node'
 * import { randomBytes } from 'node:crypto'
 * const backend = nodeBackend()
 * const key = await backend.importKey(randomBytes(32))
 * const nonce = randomBytes(12)
 * const sealed = await backend.seal(key, nonce, new Uint8Array(0), Buffer.from('hello'))
 * const plain = await backend.open(key, nonce, new Uint8Array(0), sealed)
 * ```
 */
export function nodeBackend(): CryptoBackend {
  const keys = new KeyStore<KeyObject>('node')

  return Object.freeze({
    name: 'node' as const,

    async importKey(raw: Uint8Array): Promise<AeadKey> {
      assertKeyBytes(raw)
      // createSecretKey copies the bytes, so later changes to the caller's buffer cannot change the key.
      return keys.wrap(createSecretKey(raw))
    },

    async seal(key: AeadKey, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array> {
      const keyObject = keys.unwrap(key)
      checkSealArgs(nonce, aad, plaintext)
      const cipher = createCipheriv(ALGORITHM, keyObject, nonce, GCM_OPTIONS)
      cipher.setAAD(aad)
      // node cannot encrypt into a caller buffer, so one copy into the single ct||tag allocation is the minimum.
      const out = new Uint8Array(plaintext.byteLength + AEAD_TAG_LENGTH)
      const ct = cipher.update(plaintext)
      out.set(ct, 0)
      // GCM is a stream mode: update() returns every byte and final() returns none, but stay correct if it did.
      const rest = cipher.final()
      out.set(rest, ct.byteLength)
      out.set(cipher.getAuthTag(), ct.byteLength + rest.byteLength)
      return out
    },

    async sealInto(
      key: AeadKey,
      nonce: Uint8Array,
      aad: Uint8Array,
      parts: readonly Uint8Array[],
      out: Uint8Array,
    ): Promise<void> {
      const keyObject = keys.unwrap(key)
      const total = checkSealIntoArgs(nonce, aad, parts, out)
      const cipher = createCipheriv(ALGORITHM, keyObject, nonce, GCM_OPTIONS)
      cipher.setAAD(aad)
      let at = 0
      const emit = (chunk: Uint8Array) => {
        const ct = cipher.update(chunk)
        out.set(ct, at)
        at += ct.byteLength
      }
      // Arrow's small metadata and padding parts are gathered, so a unit costs a few update() calls, not one
      // per part. Large parts go through in pieces: OpenSSL's output for each is a short-lived buffer that the
      // allocator reuses, where one update() of a 5 MB part would fault in 5 MB of fresh memory per call.
      let staged = 0
      const flush = () => {
        if (staged === 0) return
        emit(stage.subarray(0, staged))
        stage.fill(0, 0, staged)
        staged = 0
      }
      try {
        for (const part of parts) {
          if (part.byteLength <= SMALL_PART) {
            if (staged + part.byteLength > stage.byteLength) flush()
            stage.set(part, staged)
            staged += part.byteLength
            continue
          }
          flush()
          for (let i = 0; i < part.byteLength; i += PIECE) emit(part.subarray(i, Math.min(part.byteLength, i + PIECE)))
        }
        flush()
      } finally {
        stage.fill(0, 0, staged)
      }
      const rest = cipher.final()
      out.set(rest, at)
      at += rest.byteLength
      if (at !== total)
        throw new ArrowSealError('BACKEND_UNAVAILABLE', 'node:crypto AES-GCM returned an unexpected length')
      out.set(cipher.getAuthTag(), at)
    },

    async open(key: AeadKey, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Promise<Uint8Array> {
      const keyObject = keys.unwrap(key)
      const { ciphertext, tag } = checkOpenArgs(nonce, aad, sealed)
      let plain: Uint8Array | undefined
      try {
        const decipher = createDecipheriv(ALGORITHM, keyObject, nonce, GCM_OPTIONS)
        decipher.setAAD(aad)
        decipher.setAuthTag(tag)
        plain = decipher.update(ciphertext)
        // final() is where OpenSSL compares the tag; until it returns, `plain` is unauthenticated.
        if (decipher.final().byteLength !== 0) throw new Error('unexpected trailing output')
      } catch {
        plain?.fill(0)
        throw new AuthError('AUTH_FAILED')
      }
      return plainBytes(plain)
    },

    async sha256(data: Uint8Array): Promise<Uint8Array> {
      assertInput('data', data)
      return plainBytes(createHash('sha256').update(data).digest())
    },

    async sha256Parts(parts: readonly Uint8Array[]): Promise<Uint8Array> {
      const hash = createHash('sha256')
      for (const p of checkDigestParts(parts)) hash.update(p)
      return plainBytes(hash.digest())
    },
  })
}
