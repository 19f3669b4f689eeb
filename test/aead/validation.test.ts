// Argument checks, size limits, key-handle binding and buffer hygiene, identical on every backend.
import { runInNewContext } from 'node:vm'
import { describe, expect, it } from 'vitest'
import { nobleBackend } from '../../src/aead/noble.js'
import type { AeadKey } from '../../src/aead/types.js'
import { allBackends, expectAuthFailed, NOT_BYTES, toHex, withFakeLength } from './helpers.js'

const KEY = Uint8Array.from({ length: 32 }, (_, i) => i + 1)
const NONCE = new Uint8Array(12).fill(9)
const AAD = new TextEncoder().encode('aad')
const PT = new TextEncoder().encode('plaintext')

for (const backend of allBackends()) {
  describe(`${backend.name} backend argument checks`, () => {
    it('importKey accepts only 32-byte Uint8Arrays', async () => {
      for (const n of [0, 1, 16, 24, 31, 33, 64]) {
        await expect(backend.importKey(new Uint8Array(n))).rejects.toThrow(RangeError)
      }
      for (const v of NOT_BYTES) await expect(backend.importKey(v as Uint8Array)).rejects.toThrow(TypeError)
      await expect(backend.importKey(Buffer.from(KEY))).resolves.toBeDefined()
    })

    it('seal and open accept only 12-byte nonces', async () => {
      const key = await backend.importKey(KEY)
      const sealed = await backend.seal(key, NONCE, AAD, PT)
      for (const n of [0, 1, 8, 11, 13, 16, 64]) {
        await expect(backend.seal(key, new Uint8Array(n), AAD, PT)).rejects.toThrow(RangeError)
        await expect(backend.open(key, new Uint8Array(n), AAD, sealed)).rejects.toThrow(RangeError)
      }
    })

    it('refuses non-Uint8Array arguments with TypeError', async () => {
      const key = await backend.importKey(KEY)
      const sealed = await backend.seal(key, NONCE, AAD, PT)
      for (const v of NOT_BYTES) {
        const bad = v as Uint8Array
        await expect(backend.seal(key, bad, AAD, PT)).rejects.toThrow(TypeError)
        await expect(backend.seal(key, NONCE, bad, PT)).rejects.toThrow(TypeError)
        await expect(backend.seal(key, NONCE, AAD, bad)).rejects.toThrow(TypeError)
        await expect(backend.open(key, bad, AAD, sealed)).rejects.toThrow(TypeError)
        await expect(backend.open(key, NONCE, bad, sealed)).rejects.toThrow(TypeError)
        await expect(backend.open(key, NONCE, AAD, bad)).rejects.toThrow(TypeError)
        await expect(backend.sha256(bad)).rejects.toThrow(TypeError)
      }
    })

    it('refuses sealed input shorter than the 16-byte tag with AUTH_FAILED', async () => {
      const key = await backend.importKey(KEY)
      for (let n = 0; n < 16; n++) await expectAuthFailed(backend.open(key, NONCE, AAD, new Uint8Array(n)))
      await expectAuthFailed(backend.open(key, NONCE, AAD, new Uint8Array(16)))
    })

    it('bounds every input below 2^32 bytes with RangeError', async () => {
      const key = await backend.importKey(KEY)
      const sealed = await backend.seal(key, NONCE, AAD, PT)
      const big = () => withFakeLength(new Uint8Array(16), 2 ** 32)
      await expect(backend.seal(key, NONCE, big(), PT)).rejects.toThrow(RangeError)
      await expect(backend.seal(key, NONCE, AAD, big())).rejects.toThrow(RangeError)
      await expect(backend.open(key, NONCE, big(), sealed)).rejects.toThrow(RangeError)
      await expect(backend.open(key, NONCE, AAD, withFakeLength(sealed.slice(), 2 ** 32 + 16))).rejects.toThrow(
        RangeError,
      )
      await expect(backend.sha256(big())).rejects.toThrow(RangeError)
      // 2^32 - 1 bytes of ciphertext plus the tag is the largest legal sealed input: it reaches authentication.
      await expectAuthFailed(backend.open(key, NONCE, AAD, withFakeLength(new Uint8Array(32), 2 ** 32 + 15)))
    })

    it('refuses key handles it did not issue', async () => {
      const forged = { backend: backend.name } as AeadKey
      await expect(backend.seal(forged, NONCE, AAD, PT)).rejects.toThrow(TypeError)
      await expect(backend.open(forged, NONCE, AAD, new Uint8Array(32))).rejects.toThrow(TypeError)
      await expect(backend.seal(null as unknown as AeadKey, NONCE, AAD, PT)).rejects.toThrow(TypeError)
      for (const other of allBackends()) {
        const foreign = await other.importKey(KEY)
        await expect(backend.seal(foreign, NONCE, AAD, PT)).rejects.toThrow(TypeError)
      }
    })

    it('reads views at their offset and never mutates its inputs', async () => {
      const key = await backend.importKey(KEY)
      const embed = (b: Uint8Array) => {
        const big = new Uint8Array(b.byteLength + 7).fill(0xee)
        big.set(b, 3)
        return big.subarray(3, 3 + b.byteLength)
      }
      const expected = await backend.seal(key, NONCE, AAD, PT)
      const [n, a, p] = [embed(NONCE), embed(AAD), embed(PT)]
      const sealed = await backend.seal(key, n, a, p)
      expect(toHex(sealed)).toBe(toHex(expected))
      const s = embed(sealed)
      expect(toHex(await backend.open(key, n, a, s))).toBe(toHex(PT))
      expect([toHex(n), toHex(a), toHex(p), toHex(s)]).toEqual([toHex(NONCE), toHex(AAD), toHex(PT), toHex(expected)])
    })

    it('accepts views over a SharedArrayBuffer', async () => {
      const key = await backend.importKey(KEY)
      const shared = new Uint8Array(new SharedArrayBuffer(PT.byteLength))
      shared.set(PT)
      const sealed = await backend.seal(key, NONCE, AAD, shared)
      expect(toHex(sealed)).toBe(toHex(await backend.seal(key, NONCE, AAD, PT)))
      const sharedSealed = new Uint8Array(new SharedArrayBuffer(sealed.byteLength))
      sharedSealed.set(sealed)
      expect(toHex(await backend.open(key, NONCE, AAD, sharedSealed))).toBe(toHex(PT))
    })

    it('accepts Uint8Arrays from another realm', async () => {
      const foreign = (n: number, fill: number) => runInNewContext(`new Uint8Array(${n}).fill(${fill})`) as Uint8Array
      const key = await backend.importKey(foreign(32, 1))
      const sealed = await backend.seal(key, foreign(12, 2), foreign(3, 3), foreign(5, 4))
      const reference = nobleBackend()
      const refKey = await reference.importKey(new Uint8Array(32).fill(1))
      const expected = await reference.seal(
        refKey,
        new Uint8Array(12).fill(2),
        new Uint8Array(3).fill(3),
        new Uint8Array(5).fill(4),
      )
      expect(toHex(sealed)).toBe(toHex(expected))
      expect(toHex(await backend.sha256(foreign(5, 4)))).toBe(toHex(await reference.sha256(new Uint8Array(5).fill(4))))
    })

    it('keeps its own copy of the key bytes', async () => {
      const raw = KEY.slice()
      const key = await backend.importKey(raw)
      raw.fill(0)
      const reference = nobleBackend()
      const expected = await reference.seal(await reference.importKey(KEY), NONCE, AAD, PT)
      expect(toHex(await backend.seal(key, NONCE, AAD, PT))).toBe(toHex(expected))
    })

    it('returns plain Uint8Arrays that own their buffer', async () => {
      const key = await backend.importKey(KEY)
      const sealed = await backend.seal(key, NONCE, AAD, PT)
      const outputs = [sealed, await backend.open(key, NONCE, AAD, sealed), await backend.sha256(PT)]
      for (const out of outputs) {
        // A Buffer's slice() aliases memory and a pooled Buffer's .buffer holds unrelated bytes.
        expect(Object.getPrototypeOf(out)).toBe(Uint8Array.prototype)
        expect(out.byteOffset).toBe(0)
        expect(out.buffer.byteLength).toBe(out.byteLength)
      }
    })
  })
}
