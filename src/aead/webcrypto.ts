/**
 * AES-256-GCM and SHA-256 on WebCrypto (`crypto.subtle`): the native, constant-time implementation in browsers,
 * Deno, Bun and Node. Keys are imported once as non-extractable CryptoKeys.
 *
 * @module
 */

import { AuthError } from '../errors.js'
import { assertInput, assertKeyBytes, checkOpenArgs, checkSealArgs } from './checks.js'
import { KeyStore } from './key.js'
import { AEAD_TAG_LENGTH, type AeadKey, type CryptoBackend } from './types.js'

/**
 * WebCrypto accepts only views over a plain ArrayBuffer (not a SharedArrayBuffer); copy in that rare case.
 * The `instanceof` also fails for another realm's ArrayBuffer, where the copy is merely redundant.
 */
function bufferSource(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : bytes.slice()
}

/**
 * Creates a backend on top of a WebCrypto `SubtleCrypto`.
 *
 * @param subtle - the implementation to use; defaults to `globalThis.crypto.subtle`. Injectable so tests and
 *   unusual hosts can supply their own.
 * @throws TypeError if no `SubtleCrypto` is available.
 *
 * @example
 * ```ts
 * import { webCryptoBackend } from './webcrypto.js'
 * const backend = webCryptoBackend()
 * const key = await backend.importKey(crypto.getRandomValues(new Uint8Array(32)))
 * const nonce = crypto.getRandomValues(new Uint8Array(12))
 * const sealed = await backend.seal(key, nonce, new Uint8Array(0), new TextEncoder().encode('hi'))
 * ```
 */
export function webCryptoBackend(subtle: SubtleCrypto | undefined = globalThis.crypto?.subtle): CryptoBackend {
  if (subtle === undefined || subtle === null) throw new TypeError('WebCrypto (crypto.subtle) is not available')
  const keys = new KeyStore<CryptoKey>('webcrypto')
  const params = (nonce: Uint8Array, aad: Uint8Array): AesGcmParams => ({
    name: 'AES-GCM',
    iv: bufferSource(nonce),
    additionalData: bufferSource(aad),
    tagLength: AEAD_TAG_LENGTH * 8,
  })

  return Object.freeze({
    name: 'webcrypto' as const,

    async importKey(raw: Uint8Array): Promise<AeadKey> {
      assertKeyBytes(raw)
      // Non-extractable: even code holding the CryptoKey cannot export its bytes.
      const key = await subtle.importKey('raw', bufferSource(raw), { name: 'AES-GCM' }, false, ['encrypt', 'decrypt'])
      return keys.wrap(key)
    },

    async seal(key: AeadKey, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array> {
      const cryptoKey = keys.unwrap(key)
      checkSealArgs(nonce, aad, plaintext)
      const out = await subtle.encrypt(params(nonce, aad), cryptoKey, bufferSource(plaintext))
      return new Uint8Array(out)
    },

    async open(key: AeadKey, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Promise<Uint8Array> {
      const cryptoKey = keys.unwrap(key)
      checkOpenArgs(nonce, aad, sealed)
      let out: ArrayBuffer
      try {
        out = await subtle.decrypt(params(nonce, aad), cryptoKey, bufferSource(sealed))
      } catch {
        // No cause attached: every AEAD failure must look the same (DESIGN property 8).
        throw new AuthError('AUTH_FAILED')
      }
      return new Uint8Array(out)
    },

    async sha256(data: Uint8Array): Promise<Uint8Array> {
      assertInput('data', data)
      return new Uint8Array(await subtle.digest('SHA-256', bufferSource(data)))
    },
  })
}
