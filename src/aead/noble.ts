/**
 * AES-256-GCM and SHA-256 in pure JavaScript via `@noble/ciphers` and `@noble/hashes`, for runtimes that have no
 * WebCrypto (some embedded JS engines, insecure-context browser pages). Slower than native and, like all JS,
 * timing is best effort; output is byte-identical to the native backends.
 *
 * @module
 */

import { gcm } from '@noble/ciphers/aes.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { AuthError } from '../errors.js'
import { assertInput, assertKeyBytes, checkOpenArgs, checkSealArgs } from './checks.js'
import { KeyStore } from './key.js'
import { checkDigestParts } from './parts.js'
import type { AeadKey, CryptoBackend } from './types.js'

/**
 * Creates the pure-JS backend.
 *
 * @example
 * ```ts
 * import { nobleBackend } from './noble.js'
 * const backend = nobleBackend()
 * const key = await backend.importKey(new Uint8Array(32).fill(7))
 * const digest = await backend.sha256(new TextEncoder().encode('abc'))
 * ```
 */
export function nobleBackend(): CryptoBackend {
  const keys = new KeyStore<Uint8Array>('noble')

  return Object.freeze({
    name: 'noble' as const,

    async importKey(raw: Uint8Array): Promise<AeadKey> {
      assertKeyBytes(raw)
      // Private copy, so later changes to the caller's buffer cannot change the key.
      return keys.wrap(raw.slice())
    },

    async seal(key: AeadKey, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array> {
      const raw = keys.unwrap(key)
      checkSealArgs(nonce, aad, plaintext)
      return gcm(raw, nonce, aad).encrypt(plaintext)
    },

    async open(key: AeadKey, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Promise<Uint8Array> {
      const raw = keys.unwrap(key)
      checkOpenArgs(nonce, aad, sealed)
      try {
        // noble verifies the tag before running CTR, so no unverified plaintext is ever produced.
        return gcm(raw, nonce, aad).decrypt(sealed)
      } catch {
        throw new AuthError('AUTH_FAILED')
      }
    },

    async sha256(data: Uint8Array): Promise<Uint8Array> {
      assertInput('data', data)
      return sha256(data)
    },

    async sha256Parts(parts: readonly Uint8Array[]): Promise<Uint8Array> {
      const hash = sha256.create()
      for (const p of checkDigestParts(parts)) hash.update(p)
      return hash.digest()
    },
  })
}
