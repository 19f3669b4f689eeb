/**
 * CSV/NDJSON value rendering checked against apache-arrow's own reading of the same vectors: for every type the
 * output formats claim, the rendered text parses back to the value `Vector.get` returns (for Decimal, to
 * apache-arrow's `util.bigNumToBigInt` and, where a double holds it, `util.bigNumToNumber(v, scale)`).
 */
import * as A from 'apache-arrow'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { cellText, decimalText, jsonValue } from '../../src/cli/convert/values.js'

function decimalVector(values: readonly bigint[], scale: number, bitWidth: 128 | 256): A.Vector<A.Decimal> {
  const words = bitWidth / 32
  const buf = new Uint32Array(values.length * words)
  values.forEach((v, i) => {
    let x = BigInt.asUintN(bitWidth, v)
    for (let w = 0; w < words; w++) {
      buf[i * words + w] = Number(x & 0xffffffffn)
      x >>= 32n
    }
  })
  const type = new A.Decimal(scale, 38, bitWidth)
  return A.makeVector(A.makeData({ type, length: values.length, data: buf }))
}

describe('Decimal', () => {
  it('renders 123.45, not the word array', () => {
    const vec = decimalVector([12345n, -12345n, 5n, 0n], 2, 128)
    const texts = [0, 1, 2, 3].map((i) => cellText(vec.get(i), vec.type))
    expect(texts).toEqual(['123.45', '-123.45', '0.05', '0.00'])
    expect(jsonValue(vec.get(0), vec.type)).toBe('123.45') // a JSON string: a number would round
  })

  // 128 bits only: apache-arrow's bigNum helpers turn negative 256-bit values into -0 (checked exactly below).
  it('matches apache-arrow for any value and scale', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(1n << 126n), max: (1n << 126n) - 1n }),
        fc.integer({ min: -5, max: 38 }),
        fc.constantFrom(128 as const),
        (v, scale, width) => {
          const vec = decimalVector([v], scale, width)
          const text = cellText(vec.get(0), vec.type)
          // Exact: the text without its point is apache-arrow's unscaled integer, times 10^-scale.
          const [int, frac = ''] = text.split('.')
          expect(frac.length).toBe(Math.max(scale, 0))
          // BigInt(): for more than 64 bits apache-arrow 21 returns the integer as text.
          const unscaled = BigInt(A.util.bigNumToBigInt(vec.get(0) as never))
          expect(unscaled).toBe(v)
          if (scale >= 0) expect(BigInt(`${int}${frac}`)).toBe(unscaled)
          else expect(BigInt(text)).toBe(unscaled * 10n ** BigInt(-scale))
          if (Number.isSafeInteger(Number(v)) && scale >= 0)
            expect(Number(text)).toBeCloseTo(A.util.bigNumToNumber(vec.get(0) as never, scale), 10)
        },
      ),
    )
  })

  it('256-bit decimals, negative ones included, read exactly', () => {
    const big = -(10n ** 70n) - 7n
    const vec = decimalVector([big, -10n], 3, 256)
    expect(cellText(vec.get(0), vec.type)).toBe(`-${(10n ** 67n).toString()}.007`)
    expect(cellText(vec.get(1), vec.type)).toBe('-0.010')
  })

  it('decimalText handles sign, padding and negative scales', () => {
    expect(decimalText(-5n, 3)).toBe('-0.005')
    expect(decimalText(7n, -2)).toBe('700')
    expect(decimalText(0n, -2)).toBe('0')
  })
})

describe('the other types the output formats claim', () => {
  const cases: [string, A.Vector, (text: string) => unknown][] = [
    ['int32', A.vectorFromArray([1, -2], new A.Int32()), Number],
    ['int64', A.vectorFromArray([1n, -(2n ** 60n)], new A.Int64()), BigInt],
    ['uint64', A.vectorFromArray([2n ** 63n + 1n], new A.Uint64()), BigInt],
    ['float64', A.vectorFromArray([1.5, -0.25], new A.Float64()), Number],
    ['utf8', A.vectorFromArray(['a,b', 'ü'], new A.Utf8()), String],
    ['bool', A.vectorFromArray([true, false], new A.Bool()), (t) => t === 'true'],
    ['timestamp ms', A.vectorFromArray([1709294400000], new A.TimestampMillisecond()), Date.parse],
    ['date day', A.vectorFromArray([new Date(Date.UTC(2024, 2, 1))], new A.DateDay()), Date.parse],
  ]
  it.each(cases)('%s: the text reads back to Vector.get', (_name, vec, parse) => {
    for (let i = 0; i < vec.length; i++) {
      const expected = vec.get(i)
      const got = parse(cellText(expected, vec.type))
      const want = expected instanceof Date ? expected.getTime() : expected
      expect(got).toEqual(typeof got === 'bigint' ? BigInt(want as bigint) : want)
    }
  })

  it('binary is base64 of the bytes apache-arrow returns', () => {
    const vec = A.vectorFromArray([new Uint8Array([0, 255, 7])], new A.Binary())
    expect(Uint8Array.from(atob(cellText(vec.get(0), vec.type)), (c) => c.charCodeAt(0))).toEqual(vec.get(0))
  })

  it('lists are JSON arrays of the elements', () => {
    const vec = A.vectorFromArray([[1, 2]], new A.List(new A.Field('item', new A.Int32())))
    expect(JSON.parse(cellText(vec.get(0), vec.type))).toEqual([...vec.get(0)!])
  })
})

describe('nested values render each child with its own type', () => {
  const dec = new A.Decimal(2, 10, 128)
  const ts = new A.TimestampMillisecond()
  const words = (v: bigint) =>
    Uint32Array.from([
      Number(BigInt.asUintN(32, v)),
      v < 0n ? 0xffffffff : 0,
      v < 0n ? 0xffffffff : 0,
      v < 0n ? 0xffffffff : 0,
    ])

  it('a decimal and a timestamp inside a struct', () => {
    const amount = A.makeData({ type: dec, length: 2, data: Uint32Array.from([...words(12345n), ...words(-5n)]) })
    const at = A.makeData({ type: ts, length: 2, data: BigInt64Array.from([1709294400000n, 0n]) })
    const type = new A.Struct([new A.Field('amount', dec), new A.Field('at', ts)])
    const vec = A.makeVector(A.makeData({ type, length: 2, children: [amount, at] }))
    expect(jsonValue(vec.get(0), vec.type)).toEqual({ amount: '123.45', at: '2024-03-01T12:00:00.000Z' })
    expect(JSON.parse(cellText(vec.get(1), vec.type))).toEqual({ amount: '-0.05', at: '1970-01-01T00:00:00.000Z' })
  })

  it('a list of decimals and a struct in a list', () => {
    const values = A.makeData({
      type: dec,
      length: 3,
      data: Uint32Array.from([...words(1n), ...words(250n), ...words(-100n)]),
    })
    const listType = new A.List(new A.Field('item', dec))
    const list = A.makeVector(
      A.makeData({ type: listType, length: 1, valueOffsets: Int32Array.from([0, 3]), child: values }),
    )
    expect(jsonValue(list.get(0), list.type)).toEqual(['0.01', '2.50', '-1.00'])
    const inner = new A.Struct([new A.Field('d', dec)])
    const structs = A.makeData({
      type: inner,
      length: 1,
      children: [A.makeData({ type: dec, length: 1, data: words(7n) })],
    })
    const lt = new A.List(new A.Field('item', inner))
    const ls = A.makeVector(A.makeData({ type: lt, length: 1, valueOffsets: Int32Array.from([0, 1]), child: structs }))
    expect(jsonValue(ls.get(0), ls.type)).toEqual([{ d: '0.07' }])
  })

  it('decimal map values', () => {
    const entries = new A.Struct([new A.Field('key', new A.Utf8(), false), new A.Field('value', dec)])
    const keys = A.vectorFromArray(['a', 'b'], new A.Utf8()).data[0]!
    const vals = A.makeData({ type: dec, length: 2, data: Uint32Array.from([...words(100n), ...words(-1n)]) })
    const mapType = new A.Map_(new A.Field('entries', entries, false))
    const child = A.makeData({ type: entries, length: 2, children: [keys, vals] })
    const vec = A.makeVector(A.makeData({ type: mapType, length: 1, valueOffsets: Int32Array.from([0, 2]), child }))
    expect(jsonValue(vec.get(0), vec.type)).toEqual({ a: '1.00', b: '-0.01' })
  })
})
