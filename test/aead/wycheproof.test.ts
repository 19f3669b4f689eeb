// Wycheproof AES-GCM (C2SP/wycheproof testvectors_v1/aes_gcm_test.json, see test/vectors/README.md) on every backend.
// We support only AES-256 with a 96-bit IV and 128-bit tag; the other cases are counted and must be refused as misuse.
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { allBackends, concat, expectAuthFailed, hex, toHex } from './helpers.js'

interface Case {
  tcId: number
  comment: string
  flags: string[]
  key: string
  iv: string
  aad: string
  msg: string
  ct: string
  tag: string
  result: 'valid' | 'invalid' | 'acceptable'
}
interface Group {
  keySize: number
  ivSize: number
  tagSize: number
  tests: Case[]
}
const file = JSON.parse(readFileSync(new URL('../vectors/wycheproof-aes_gcm_test.json', import.meta.url), 'utf8')) as {
  numberOfTests: number
  testGroups: Group[]
}

const supported = (g: Group) => g.keySize === 256 && g.ivSize === 96 && g.tagSize === 128
const cases = (pred: (g: Group) => boolean) => file.testGroups.filter(pred).flatMap((g) => g.tests)
const ours = cases(supported)
const valid = ours.filter((t) => t.result === 'valid')
const invalid = ours.filter((t) => t.result === 'invalid')
const otherKeySize = cases((g) => g.keySize !== 256)
const otherIvSize = cases((g) => g.keySize === 256 && g.ivSize !== 96)

describe('wycheproof aes_gcm_test.json selection', () => {
  it('covers every case exactly once, with explicit skip counts', () => {
    expect(ours.length + otherKeySize.length + otherIvSize.length).toBe(file.numberOfTests)
    expect(file.numberOfTests).toBe(316)
    expect(valid).toHaveLength(39)
    expect(invalid).toHaveLength(27)
    expect(ours.filter((t) => t.result === 'acceptable')).toHaveLength(0)
    expect(otherKeySize).toHaveLength(211) // AES-128 and AES-192: refused by importKey
    expect(otherIvSize).toHaveLength(39) // AES-256 with IVs other than 96 bits: refused as misuse
  })
})

for (const backend of allBackends()) {
  describe(`wycheproof AES-256-GCM on ${backend.name}`, () => {
    it.each(valid.map((t) => [t.tcId, t] as const))('valid tcId %i seals to ct||tag and opens', async (_, t) => {
      const key = await backend.importKey(hex(t.key))
      const sealed = await backend.seal(key, hex(t.iv), hex(t.aad), hex(t.msg))
      expect(toHex(sealed)).toBe(t.ct + t.tag)
      const opened = await backend.open(key, hex(t.iv), hex(t.aad), concat(hex(t.ct), hex(t.tag)))
      expect(toHex(opened)).toBe(t.msg)
    })

    it.each(invalid.map((t) => [t.tcId, t] as const))('invalid tcId %i is refused with AUTH_FAILED', async (_, t) => {
      const key = await backend.importKey(hex(t.key))
      await expectAuthFailed(backend.open(key, hex(t.iv), hex(t.aad), concat(hex(t.ct), hex(t.tag))))
    })

    it('refuses every non-256-bit key with RangeError', async () => {
      for (const t of otherKeySize) await expect(backend.importKey(hex(t.key))).rejects.toThrow(RangeError)
    })

    it('refuses every non-96-bit IV with RangeError on seal and open', async () => {
      for (const t of otherIvSize) {
        const key = await backend.importKey(hex(t.key))
        await expect(backend.seal(key, hex(t.iv), hex(t.aad), hex(t.msg))).rejects.toThrow(RangeError)
        await expect(backend.open(key, hex(t.iv), hex(t.aad), concat(hex(t.ct), hex(t.tag)))).rejects.toThrow(
          RangeError,
        )
      }
    })
  })
}
