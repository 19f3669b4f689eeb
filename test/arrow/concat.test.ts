/**
 * concatBatches (the writer's `minBatchRows`): for every flat type it supports, the merged batch holds exactly
 * the rows of the batches, in order, nulls included, at every bit alignment; for everything else it declines
 * (returns null) instead of guessing.
 */
import {
  Binary,
  Bool,
  type DataType,
  DateDay,
  Decimal,
  Dictionary,
  Field,
  FixedSizeBinary,
  Float32,
  Float64,
  Int8,
  Int32,
  Int64,
  IntervalDayTime,
  IntervalMonthDayNano,
  LargeBinary,
  LargeUtf8,
  List,
  makeData,
  Null,
  Schema,
  Table,
  TimestampMillisecond,
  Uint16,
  Utf8,
  vectorFromArray,
} from 'apache-arrow'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { canConcatType, concatBatches, dictionariesMatch } from '../../src/arrow/concat.js'
import { validateData } from '../../src/arrow/validate.js'
import { structBatch, tableDiff } from '../fixtures/tables.js'

/** One column kind: its type and an arbitrary of its (nullable) values. */
interface Kind {
  readonly name: string
  readonly type: () => DataType
  readonly value: fc.Arbitrary<unknown>
}

const bytes = fc.uint8Array({ maxLength: 6 })
const KINDS: readonly Kind[] = [
  { name: 'int8', type: () => new Int8(), value: fc.integer({ min: -128, max: 127 }) },
  { name: 'uint16', type: () => new Uint16(), value: fc.integer({ min: 0, max: 65535 }) },
  { name: 'int32', type: () => new Int32(), value: fc.integer() },
  { name: 'int64', type: () => new Int64(), value: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }) },
  { name: 'float32', type: () => new Float32(), value: fc.float({ noNaN: true }) },
  { name: 'float64', type: () => new Float64(), value: fc.double({ noNaN: true }) },
  { name: 'bool', type: () => new Bool(), value: fc.boolean() },
  { name: 'utf8', type: () => new Utf8(), value: fc.string({ maxLength: 5 }) },
  { name: 'largeUtf8', type: () => new LargeUtf8(), value: fc.string({ maxLength: 5 }) },
  { name: 'binary', type: () => new Binary(), value: bytes },
  { name: 'largeBinary', type: () => new LargeBinary(), value: bytes },
  { name: 'dateDay', type: () => new DateDay(), value: fc.integer({ min: -1e6, max: 1e6 }).map((d) => d * 86_400_000) },
  {
    name: 'timestamp',
    type: () => new TimestampMillisecond(),
    value: fc.integer({ min: 0, max: 2 ** 40 }),
  },
  { name: 'fixedSizeBinary', type: () => new FixedSizeBinary(3), value: fc.uint8Array({ minLength: 3, maxLength: 3 }) },
]

const withNulls = (k: Kind) => fc.option(k.value, { nil: null, freq: 4 })

/** Tables of 1 … 4 flat columns in 1 … 5 batches of 0 … 40 rows: lengths that start merged bitmaps anywhere. */
const flatTableArb = fc
  .record({
    kinds: fc.array(fc.constantFrom(...KINDS), { minLength: 1, maxLength: 4 }),
    rows: fc.array(fc.nat(40), { minLength: 1, maxLength: 5 }),
  })
  .chain(({ kinds, rows }) =>
    fc
      .tuple(...rows.map((n) => fc.tuple(...kinds.map((k) => fc.array(withNulls(k), { minLength: n, maxLength: n })))))
      .map((perBatch) => {
        const schema = new Schema(kinds.map((k, i) => new Field(`${k.name}_${i}`, k.type(), true)))
        const batches = perBatch.map((cols, b) =>
          structBatch(
            schema,
            rows[b]!,
            cols.map((values, i) => vectorFromArray(values as never, schema.fields[i]!.type).data[0]!),
          ),
        )
        return { schema, batches }
      }),
  )

describe('concatBatches', () => {
  it('keeps every row, value and null of flat columns, in order (property)', () => {
    fc.assert(
      fc.property(flatTableArb, ({ schema, batches }) => {
        const merged = concatBatches(schema, batches)
        expect(merged).not.toBeNull()
        expect(merged!.numRows).toBe(batches.reduce((n, b) => n + b.numRows, 0))
        for (const column of merged!.data.children) validateData(column)
        expect(tableDiff(new Table([merged!]), new Table(schema, batches))).toBeNull()
      }),
      { numRuns: 300, seed: 20261129 },
    )
  })

  it('merges dictionary columns that share one dictionary, and keeps it', () => {
    const dictionary = vectorFromArray(['red', 'green', 'blue'], new Utf8())
    const type = new Dictionary(new Utf8(), new Int32())
    const schema = new Schema([new Field('colour', type, true)])
    const batch = (indices: number[], valid?: Uint8Array) =>
      structBatch(schema, indices.length, [
        makeData({
          type,
          length: indices.length,
          data: Int32Array.from(indices),
          dictionary,
          ...(valid ? { nullBitmap: valid, nullCount: -1 } : {}),
        }),
      ])
    const parts = [batch([0, 1, 2]), batch([2, 2, 0, 1, 1], Uint8Array.of(0b10101)), batch([])]
    const merged = concatBatches(schema, parts)!
    expect(merged.data.children[0]!.dictionary).toBe(dictionary)
    expect(tableDiff(new Table([merged]), new Table(schema, parts))).toBeNull()
    expect([...merged.getChildAt(0)!]).toEqual(['red', 'green', 'blue', 'blue', null, 'red', null, 'green'])
  })

  it('declines dictionary columns whose batches have different dictionaries', () => {
    const type = new Dictionary(new Utf8(), new Int32())
    const schema = new Schema([new Field('colour', type, true)])
    const own = (values: string[]) => structBatch(schema, values.length, [vectorFromArray(values, type).data[0]!])
    expect(concatBatches(schema, [own(['a', 'b']), own(['b', 'c'])])).toBeNull()
    expect(dictionariesMatch(own(['a', 'b']), own(['b', 'c']))).toBe(false)
  })

  it('merges dictionary columns whose dictionaries are separate objects with equal values', () => {
    const type = new Dictionary(new Utf8(), new Int32())
    const schema = new Schema([new Field('colour', type, true)])
    const own = (values: (string | null)[]) =>
      structBatch(schema, values.length, [vectorFromArray(values, type).data[0]!])
    const parts = [own(['a', 'b', 'a']), own(['a', null, 'b', 'b'])]
    expect(parts[0]!.data.children[0]!.dictionary).not.toBe(parts[1]!.data.children[0]!.dictionary)
    expect(dictionariesMatch(parts[0]!, parts[1]!)).toBe(true)
    const merged = concatBatches(schema, parts)!
    expect([...merged.getChildAt(0)!]).toEqual(['a', 'b', 'a', 'a', null, 'b', 'b'])
  })

  it('declines sliced batches, whose buffers arrow-js offsets differently', () => {
    const table = new Table({ n: vectorFromArray([1, 2, 3, 4, 5, 6], new Int32()) })
    const sliced = table.slice(2).batches[0]!
    expect(sliced.data.children[0]!.offset).not.toBe(0)
    expect(concatBatches(table.schema, [table.batches[0]!, sliced])).toBeNull()
  })

  it('leaves nested and other types to the caller', () => {
    expect(canConcatType(new List(new Field('x', new Int32())))).toBe(false)
    expect(canConcatType(new Decimal(2, 10, 128))).toBe(true)
    expect(canConcatType(new Null())).toBe(true)
    const schema = new Schema([new Field('l', new List(new Field('x', new Int32())), true)])
    const b = structBatch(schema, 1, [vectorFromArray([[1, 2]], schema.fields[0]!.type).data[0]!])
    expect(concatBatches(schema, [b, b])).toBeNull()
  })

  it('rebases string offsets that do not start at zero', () => {
    const schema = new Schema([new Field('s', new Utf8(), true)])
    const text = new TextEncoder().encode('xxxabc')
    const chunk = makeData({ type: new Utf8(), length: 2, valueOffsets: Int32Array.of(3, 5, 6), data: text })
    const plain = vectorFromArray(['d'], new Utf8()).data[0]!
    const merged = concatBatches(schema, [structBatch(schema, 1, [plain]), structBatch(schema, 2, [chunk])])!
    expect([...merged.getChildAt(0)!]).toEqual(['d', 'ab', 'c'])
  })

  it('copies whole values of multi-word types (decimal, day-time interval, month-day-nano interval)', () => {
    for (const [type, words] of [
      [new Decimal(2, 30, 128), 4],
      [new IntervalDayTime(), 2],
      [new IntervalMonthDayNano(), 4],
    ] as const) {
      const schema = new Schema([new Field('v', type, true)])
      const chunk = (n: number, base: number) =>
        makeData({ type, length: n, data: Int32Array.from({ length: n * words }, (_, i) => base + i) } as never)
      const merged = concatBatches(schema, [
        structBatch(schema, 2, [chunk(2, 100)]),
        structBatch(schema, 3, [chunk(3, 200)]),
      ])!
      const values = merged.data.children[0]!.values as unknown as ArrayLike<number>
      expect(Array.from(values)).toEqual([
        ...Array.from({ length: 2 * words }, (_, i) => 100 + i),
        ...Array.from({ length: 3 * words }, (_, i) => 200 + i),
      ])
    }
  })

  it('merges Null columns by length', () => {
    const schema = new Schema([new Field('z', new Null(), true)])
    const b = (n: number) => structBatch(schema, n, [makeData({ type: new Null(), length: n })])
    const merged = concatBatches(schema, [b(3), b(0), b(9)])!
    expect(merged.numRows).toBe(12)
    expect(merged.getChildAt(0)!.nullCount).toBe(12)
  })

  it('returns a single batch as it is', () => {
    const t = new Table({ n: vectorFromArray([1], new Int32()) })
    expect(concatBatches(t.schema, t.batches)).toBe(t.batches[0])
  })
})
