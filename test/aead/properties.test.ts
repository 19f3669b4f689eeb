// Cross-backend equality and tamper detection as fast-check properties: the three backends must be
// interchangeable byte for byte, and any single-bit change to sealed bytes, AAD or nonce must be refused.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { sealParts } from '../../src/aead/parts.js'
import { allBackends, expectAuthFailed, hex, toHex } from './helpers.js'

const backends = allBackends()

const input = fc.record({
  key: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  nonce: fc.uint8Array({ minLength: 12, maxLength: 12 }),
  aad: fc.uint8Array({ maxLength: 64 }),
  plaintext: fc.uint8Array({ maxLength: 2048 }),
})

const flip = (bytes: Uint8Array, bit: number): Uint8Array => {
  const out = bytes.slice()
  out[bit >>> 3]! ^= 1 << (bit & 7)
  return out
}

describe('AES-256-GCM properties across backends', () => {
  it('all backends seal identically and each opens every other backend’s output', async () => {
    await fc.assert(
      fc.asyncProperty(input, async ({ key, nonce, aad, plaintext }) => {
        const sealed = await Promise.all(
          backends.map(async (b) => b.seal(await b.importKey(key), nonce, aad, plaintext)),
        )
        const reference = toHex(sealed[0]!)
        for (const s of sealed) expect(toHex(s)).toBe(reference)
        expect(sealed[0]!.byteLength).toBe(plaintext.byteLength + 16)
        for (const b of backends) {
          const k = await b.importKey(key)
          for (const s of sealed) expect(toHex(await b.open(k, nonce, aad, s))).toBe(toHex(plaintext))
        }
      }),
      { numRuns: 100 },
    )
  })

  it('sealing a plaintext in parts, into a frame slot, gives the bytes seal() gives', async () => {
    // Sizes straddle the node backend's paths: parts gathered (≤ 32 KiB), parts streamed in 256 KiB pieces.
    const filled = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 131 + seed) & 0xff)
    const part = fc.oneof(
      fc.uint8Array({ maxLength: 64 }),
      fc.tuple(fc.integer({ min: 4000, max: 70_000 }), fc.nat(255)).map(([n, seed]) => filled(n, seed)),
      fc.nat(255).map((seed) => filled(300_000, seed).subarray(7)),
    )
    await fc.assert(
      fc.asyncProperty(input, fc.array(part, { maxLength: 8 }), async ({ key, nonce, aad }, parts) => {
        const total = parts.reduce((n, p) => n + p.byteLength, 0)
        const joined = new Uint8Array(total)
        let at = 0
        for (const p of parts) {
          joined.set(p, at)
          at += p.byteLength
        }
        for (const b of backends) {
          const k = await b.importKey(key)
          const frame = new Uint8Array(total + 16 + 10).fill(0xee)
          await sealParts(b, k, nonce, aad, parts, frame.subarray(5, 5 + total + 16))
          expect(toHex(frame.subarray(5, 5 + total + 16))).toBe(toHex(await b.seal(k, nonce, aad, joined)))
          // Nothing outside the slot is touched.
          expect([...frame.subarray(0, 5), ...frame.subarray(5 + total + 16)].every((x) => x === 0xee)).toBe(true)
          await expect(sealParts(b, k, nonce, aad, parts, new Uint8Array(total + 15))).rejects.toThrow(RangeError)
        }
      }),
      { numRuns: 40 },
    )
  })

  it('refuses any single bit flip in the sealed bytes', async () => {
    await fc.assert(
      fc.asyncProperty(input, fc.nat(), async ({ key, nonce, aad, plaintext }, seed) => {
        const sealed = await backends[0]!.seal(await backends[0]!.importKey(key), nonce, aad, plaintext)
        const tampered = flip(sealed, seed % (sealed.byteLength * 8))
        for (const b of backends) await expectAuthFailed(b.open(await b.importKey(key), nonce, aad, tampered))
      }),
      { numRuns: 100 },
    )
  })

  it('refuses any single bit flip in the AAD', async () => {
    await fc.assert(
      fc.asyncProperty(input, fc.nat(), async ({ key, nonce, aad, plaintext }, seed) => {
        fc.pre(aad.byteLength > 0)
        const sealed = await backends[0]!.seal(await backends[0]!.importKey(key), nonce, aad, plaintext)
        const badAad = flip(aad, seed % (aad.byteLength * 8))
        for (const b of backends) await expectAuthFailed(b.open(await b.importKey(key), nonce, badAad, sealed))
      }),
      { numRuns: 100 },
    )
  })

  it('refuses any single bit flip in the nonce', async () => {
    await fc.assert(
      fc.asyncProperty(input, fc.nat(), async ({ key, nonce, aad, plaintext }, seed) => {
        const sealed = await backends[0]!.seal(await backends[0]!.importKey(key), nonce, aad, plaintext)
        const badNonce = flip(nonce, seed % 96)
        for (const b of backends) await expectAuthFailed(b.open(await b.importKey(key), badNonce, aad, sealed))
      }),
      { numRuns: 100 },
    )
  })

  it('refuses truncated, extended and wrong-key inputs', async () => {
    await fc.assert(
      fc.asyncProperty(input, fc.uint8Array({ minLength: 32, maxLength: 32 }), async (i, otherKey) => {
        fc.pre(toHex(otherKey) !== toHex(i.key))
        const sealed = await backends[0]!.seal(await backends[0]!.importKey(i.key), i.nonce, i.aad, i.plaintext)
        const extended = new Uint8Array(sealed.byteLength + 1)
        extended.set(sealed)
        for (const b of backends) {
          const k = await b.importKey(i.key)
          await expectAuthFailed(b.open(k, i.nonce, i.aad, sealed.subarray(0, sealed.byteLength - 1)))
          await expectAuthFailed(b.open(k, i.nonce, i.aad, extended))
          await expectAuthFailed(b.open(await b.importKey(otherKey), i.nonce, i.aad, sealed))
        }
      }),
      { numRuns: 50 },
    )
  })
})

describe('SHA-256 across backends', () => {
  it('matches FIPS 180-2 vectors', async () => {
    const abc = new TextEncoder().encode('abc')
    for (const b of backends) {
      expect(toHex(await b.sha256(abc))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
      expect(toHex(await b.sha256(new Uint8Array(0)))).toBe(
        'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      )
    }
  })

  it('agrees on random inputs, including views at an offset', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 4096 }), fc.nat(), async (data, cut) => {
        const view = data.subarray(cut % (data.byteLength + 1))
        const digests = await Promise.all(backends.map((b) => b.sha256(view)))
        for (const d of digests) expect(toHex(d)).toBe(toHex(digests[0]!))
        expect(digests[0]!.byteLength).toBe(32)
      }),
      { numRuns: 100 },
    )
  })

  it('hashes a view, not the whole underlying buffer', async () => {
    const buf = hex('00616263ff')
    for (const b of backends) {
      expect(toHex(await b.sha256(buf.subarray(1, 4)))).toBe(
        'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
      )
    }
  })
})
