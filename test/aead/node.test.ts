// node:crypto backend: a key becomes a KeyObject once, and every unit reuses it (no per-unit key import).
import * as nodeCrypto from 'node:crypto'
import { describe, expect, it, vi } from 'vitest'
import { nodeBackend } from '../../src/node/backend.js'

vi.mock('node:crypto', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:crypto')>()
  return {
    ...real,
    createSecretKey: vi.fn(real.createSecretKey),
    createCipheriv: vi.fn(real.createCipheriv),
    createDecipheriv: vi.fn(real.createDecipheriv),
  }
})

describe('nodeBackend', () => {
  it('creates one KeyObject per key and passes it to every cipher', async () => {
    const backend = nodeBackend()
    const key = await backend.importKey(new Uint8Array(32).fill(5))
    for (let i = 0; i < 5; i++) {
      const nonce = new Uint8Array(12).fill(i)
      await backend.open(
        key,
        nonce,
        new Uint8Array(0),
        await backend.seal(key, nonce, new Uint8Array(0), new Uint8Array(i)),
      )
    }
    expect(vi.mocked(nodeCrypto.createSecretKey)).toHaveBeenCalledTimes(1)
    const keyObject = vi.mocked(nodeCrypto.createSecretKey).mock.results[0]!.value
    for (const fn of [nodeCrypto.createCipheriv, nodeCrypto.createDecipheriv]) {
      const calls = vi.mocked(fn).mock.calls
      expect(calls).toHaveLength(5)
      for (const call of calls) {
        expect(call[0]).toBe('aes-256-gcm')
        expect(call[1]).toBe(keyObject)
        // Pinned tag length: OpenSSL would otherwise accept a truncated tag in setAuthTag().
        expect(call[3]).toEqual({ authTagLength: 16 })
      }
    }
  })
})
