// WebCrypto-specific guarantees, checked through an injected SubtleCrypto that records calls.
import { describe, expect, it } from 'vitest'
import { webCryptoBackend } from '../../src/aead/webcrypto.js'
import { expectAuthFailed } from './helpers.js'

function recordingSubtle() {
  const real = globalThis.crypto.subtle
  const imports: { format: string; extractable: boolean; usages: readonly string[] }[] = []
  let encrypts = 0
  const subtle = {
    importKey: (
      format: 'raw',
      data: BufferSource,
      alg: AlgorithmIdentifier,
      extractable: boolean,
      usages: KeyUsage[],
    ) => {
      imports.push({ format, extractable, usages })
      return real.importKey(format, data, alg, extractable, usages)
    },
    encrypt: (alg: AesGcmParams, key: CryptoKey, data: BufferSource) => {
      encrypts++
      return real.encrypt(alg, key, data)
    },
    decrypt: (alg: AesGcmParams, key: CryptoKey, data: BufferSource) => real.decrypt(alg, key, data),
    digest: (alg: AlgorithmIdentifier, data: BufferSource) => real.digest(alg, data),
  }
  return { subtle: subtle as unknown as SubtleCrypto, imports, encrypts: () => encrypts }
}

describe('webCryptoBackend', () => {
  it('imports each key once, non-extractable, for AES-GCM only', async () => {
    const rec = recordingSubtle()
    const backend = webCryptoBackend(rec.subtle)
    const key = await backend.importKey(new Uint8Array(32).fill(3))
    for (let i = 0; i < 10; i++) {
      const nonce = new Uint8Array(12)
      nonce[11] = i
      await backend.open(
        key,
        nonce,
        new Uint8Array(0),
        await backend.seal(key, nonce, new Uint8Array(0), new Uint8Array(i)),
      )
    }
    expect(rec.encrypts()).toBe(10)
    expect(rec.imports).toEqual([{ format: 'raw', extractable: false, usages: ['encrypt', 'decrypt'] }])
  })

  it('maps any SubtleCrypto decrypt failure to AUTH_FAILED without a cause', async () => {
    const failing = {
      importKey: globalThis.crypto.subtle.importKey.bind(globalThis.crypto.subtle),
      decrypt: () => Promise.reject(new DOMException('secret detail', 'OperationError')),
    } as unknown as SubtleCrypto
    const backend = webCryptoBackend(failing)
    const key = await backend.importKey(new Uint8Array(32))
    await expectAuthFailed(backend.open(key, new Uint8Array(12), new Uint8Array(0), new Uint8Array(32)))
  })
})
