import { bech32 as scure } from '@scure/base'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { KeyError } from '../../src/errors.js'
import { BECH32_MAX_LENGTH, bech32Decode, bech32Encode } from '../../src/keys/bech32.js'
import { label, NOT_BYTES, NOT_STRING } from './helpers.js'

const CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l'

function expectKeyError(fn: () => unknown, re: RegExp): KeyError {
  try {
    fn()
  } catch (e) {
    expect(e).toBeInstanceOf(KeyError)
    expect((e as KeyError).code).toBe('KEY_INVALID')
    expect((e as Error).message).toMatch(re)
    return e as KeyError
  }
  throw new Error('expected a KeyError')
}

describe('bech32: BIP-173 vectors', () => {
  it('accepts the valid BIP-173 strings that carry whole bytes', () => {
    expect(bech32Decode('A12UEL5L', 'a')).toEqual(new Uint8Array(0))
    expect(bech32Decode('a12uel5l', 'a')).toEqual(new Uint8Array(0))
    expect(
      bech32Decode(
        'an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1tt5tgs',
        'an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio',
      ),
    ).toEqual(new Uint8Array(0))
    // 32 words = 160 bits = 20 bytes, no padding.
    expect(bech32Decode('abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw', 'abcdef')).toHaveLength(20)
    // 82 'q' words = 410 bits: 51 zero bytes and 2 zero padding bits.
    const q = `11${'q'.repeat(82)}c8247j`
    expect(bech32Decode(q, '1')).toEqual(new Uint8Array(51))
  })

  it('rejects the invalid BIP-173 strings', () => {
    expectKeyError(() => bech32Decode('\x201nwldj5', 'a'), /position 0 is not printable/)
    expectKeyError(() => bech32Decode('\x7f1axkwrx', 'a'), /not printable/)
    expectKeyError(() => bech32Decode('pzry9x0s0muk', 'a'), /missing prefix/)
    expectKeyError(() => bech32Decode('1pzry9x0s0muk', 'a'), /missing prefix/)
    expectKeyError(() => bech32Decode('x1b4n0q5v', 'x'), /not in the Bech32 alphabet/)
    expectKeyError(() => bech32Decode('li1dgmt3', 'li'), /too short/)
    expectKeyError(() => bech32Decode('de1lg7wt\xff', 'de'), /not printable/)
    expectKeyError(() => bech32Decode('A1G7SGD8', 'a'), /checksum/) // checksum made with upper-case hrp
    expectKeyError(() => bech32Decode('10a06t8', 'a'), /missing prefix/)
    expectKeyError(() => bech32Decode('1qzzfhee', 'a'), /missing prefix/)
  })

  it('matches the reference encoding of @scure/base', () => {
    expect(bech32Encode('aseal', new Uint8Array([1, 2, 3]))).toBe(
      scure.encode('aseal', scure.toWords(new Uint8Array([1, 2, 3]))),
    )
  })
})

describe('bech32: our rules', () => {
  const sample = bech32Encode('aseal', new Uint8Array([1, 2, 3, 4, 5, 6, 7]))

  it('rejects mixed case, and accepts all-upper', () => {
    expectKeyError(() => bech32Decode(sample.replace('q', 'Q'), 'aseal'), /mixes upper and lower/)
    expect(bech32Decode(sample.toUpperCase(), 'aseal')).toEqual(new Uint8Array([1, 2, 3, 4, 5, 6, 7]))
    expect(bech32Encode('aseal', new Uint8Array([9]), true)).toBe(
      bech32Encode('aseal', new Uint8Array([9])).toUpperCase(),
    )
  })

  it('rejects a wrong prefix, naming the expected one only', () => {
    const e = expectKeyError(() => bech32Decode(sample, 'other', 'public key'), /wrong prefix.*"other1"/)
    expect(e.message.startsWith('public key:')).toBe(true)
    expect(e.message).not.toContain(sample.slice(6))
  })

  it('rejects non-zero padding bits (non-canonical encodings)', () => {
    // One byte = 8 bits -> 2 words, 2 padding bits. Set a padding bit and recompute a valid checksum.
    const words = scure.toWords(new Uint8Array([0xff]))
    words[1] = (words[1] as number) | 1
    const text = scure.encode('aseal', words)
    expectKeyError(() => bech32Decode(text, 'aseal'), /non-zero padding/)
  })

  it('rejects a leftover group of 5 or more bits', () => {
    const text = scure.encode('aseal', [0, 0, 0]) // 15 bits: 1 byte + 7 bits
    expectKeyError(() => bech32Decode(text, 'aseal'), /incomplete group/)
  })

  it('has no 90-character limit, but a hard cap', () => {
    const big = new Uint8Array(5000).map((_, i) => i)
    const text = bech32Encode('aseal', big)
    expect(text.length).toBeGreaterThan(8000)
    expect(bech32Decode(text, 'aseal')).toEqual(big)
    expect(scure.decode(text as `aseal1${string}`, false).words).toEqual(scure.toWords(big))
    expectKeyError(() => bech32Decode(`aseal1${'q'.repeat(BECH32_MAX_LENGTH)}`, 'aseal'), /limit/)
    expect(() => bech32Encode('aseal', new Uint8Array(BECH32_MAX_LENGTH))).toThrow(RangeError)
  })

  it('never echoes the input in error messages', () => {
    const secret = bech32Encode('ASEAL-SECRET-KEY-', new Uint8Array(33).fill(0xab), true)
    const broken = `${secret.slice(0, -1)}${secret.endsWith('Q') ? 'P' : 'Q'}`
    const e = expectKeyError(() => bech32Decode(broken, 'ASEAL-SECRET-KEY-', 'secret key'), /checksum/)
    expect(e.message).not.toContain(secret.slice(18, 30))
    expect(e.message.toLowerCase()).not.toContain(secret.slice(18, 30).toLowerCase())
  })

  it('rejects wrong argument types with TypeError', () => {
    for (const v of NOT_STRING) {
      expect(() => bech32Encode(v as string, new Uint8Array(1)), label(v)).toThrow(TypeError)
      expect(() => bech32Decode(v as string, 'a'), label(v)).toThrow(TypeError)
      expect(() => bech32Decode('a1qqqqqq', v as string), label(v)).toThrow(TypeError)
    }
    for (const v of NOT_BYTES) expect(() => bech32Encode('a', v as Uint8Array), label(v)).toThrow(TypeError)
    expect(() => bech32Encode('a', new Uint8Array(1), 1 as unknown as boolean)).toThrow(TypeError)
    expect(() => bech32Encode('', new Uint8Array(1))).toThrow(RangeError)
    expect(() => bech32Encode('aB', new Uint8Array(1))).toThrow(RangeError)
  })
})

describe('bech32: properties', () => {
  const hrpArb = fc
    .string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz-0123456789'), minLength: 1, maxLength: 20 })
    .filter((h) => h.length >= 1)

  it('round-trips any bytes, and agrees with @scure/base', () => {
    fc.assert(
      fc.property(hrpArb, fc.uint8Array({ maxLength: 600 }), fc.boolean(), (hrp, bytes, upper) => {
        const text = bech32Encode(hrp, bytes, upper)
        expect(bech32Decode(text, hrp)).toEqual(bytes)
        expect(text.toLowerCase()).toBe(scure.encode(hrp, scure.toWords(bytes), false))
      }),
    )
  })

  it('rejects every single-character substitution', () => {
    fc.assert(
      fc.property(
        hrpArb,
        fc.uint8Array({ minLength: 1, maxLength: 3300 }),
        fc.nat(),
        fc.integer({ min: 1, max: 31 }),
        (hrp, bytes, posSeed, delta) => {
          const text = bech32Encode(hrp, bytes)
          const dataStart = hrp.length + 1
          const pos = dataStart + (posSeed % (text.length - dataStart))
          const old = CHARSET.indexOf(text[pos] as string)
          const mutated = text.slice(0, pos) + CHARSET[(old + delta) % 32] + text.slice(pos + 1)
          expect(() => bech32Decode(mutated, hrp)).toThrow(KeyError)
        },
      ),
      { numRuns: 200 },
    )
  })

  it('rejects single-character substitutions in a public-key-sized text (3201 bytes)', () => {
    const bytes = new Uint8Array(3201).map((_, i) => (i * 7) & 0xff)
    const text = bech32Encode('aseal', bytes)
    fc.assert(
      fc.property(fc.integer({ min: 6, max: text.length - 1 }), fc.integer({ min: 1, max: 31 }), (pos, delta) => {
        const old = CHARSET.indexOf(text[pos] as string)
        const mutated = text.slice(0, pos) + CHARSET[(old + delta) % 32] + text.slice(pos + 1)
        expect(() => bech32Decode(mutated, 'aseal')).toThrow(/checksum/)
      }),
      { numRuns: 300 },
    )
  })

  it('rejects any single character made upper case (mixed case)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 4, maxLength: 64 }), fc.nat(), (bytes, posSeed) => {
        const text = bech32Encode('aseal', bytes)
        const letters = [...text].map((c, i) => (/[a-z]/.test(c) ? i : -1)).filter((i) => i >= 0)
        const pos = letters[posSeed % letters.length] as number
        const mutated = text.slice(0, pos) + (text[pos] as string).toUpperCase() + text.slice(pos + 1)
        expect(() => bech32Decode(mutated, 'aseal')).toThrow(/mixes upper and lower case/)
      }),
    )
  })
})
