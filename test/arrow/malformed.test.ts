import {
  CompressionType,
  compressionRegistry,
  Decimal,
  Dictionary,
  Field,
  Int8,
  Int16,
  Int32,
  List,
  makeData,
  RecordBatch,
  RecordBatchFileWriter,
  RecordBatchStreamWriter,
  Schema,
  SparseUnion,
  Struct,
  TimestampMillisecond,
  Utf8,
  Utf8View,
  vectorFromArray,
} from 'apache-arrow'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  decodeGroupBatch,
  decodeGroupSchema,
  encodeGroupBatch,
  encodeGroupSchema,
  type GroupLayout,
  planGroups,
} from '../../src/arrow/index.js'
import { scanStream } from '../../src/arrow/scan.js'
import { ArrowSealError } from '../../src/errors.js'
import { allTypesTable, structBatch } from '../fixtures/tables.js'
import { propertyRuns } from '../helpers/property-runs.js'

const table = allTypesTable({ batches: 2 })
const batch = table.batches[1]!
const rows = batch.numRows
const names = table.schema.fields.map((f) => f.name)
const pick = (...wanted: string[]) => names.map((n) => (wanted.includes(n) ? 0 : null))
/** A group with a dictionary, a nested list<struct<dictionary>>, a union, a view, strings and schema metadata. */
const [layout] = planGroups(
  table.schema,
  pick('i64', 'utf8', 'dict', 'list_struct_dict', 'dense_union', 'map', 'utf8_view', 'dec128'),
  1,
  0,
)
const unit = encodeGroupBatch(batch, layout!)
const schemaBytes = encodeGroupSchema(layout!)

function expectArrowInvalid(fn: () => unknown): void {
  let thrown: unknown
  try {
    fn()
  } catch (err) {
    thrown = err
  }
  expect(thrown).toBeInstanceOf(ArrowSealError)
  expect((thrown as ArrowSealError).code).toBe('ARROW_INVALID')
}

/** Replaces field k of the layout's schema. */
function withField(k: number, field: Field, metadata = layout!.schema.metadata): GroupLayout {
  const fields = layout!.schema.fields.map((f, i) => (i === k ? field : f))
  return { positions: layout!.positions, schema: new Schema(fields, metadata) }
}

function streamOf(...batches: ReturnType<typeof structBatch>[]): Uint8Array {
  const w = new RecordBatchStreamWriter()
  for (const b of batches) w.write(b)
  w.finish()
  return w.toUint8Array(true)
}

describe('decodeGroupBatch accepts exactly what the header promised', () => {
  it('decodes the valid unit', () => {
    expect(decodeGroupBatch(unit, layout!, rows).numRows).toBe(rows)
  })

  it('rejects a row count different from the frame', () => {
    expectArrowInvalid(() => decodeGroupBatch(unit, layout!, rows + 1))
    expectArrowInvalid(() => decodeGroupBatch(unit, layout!, 0))
  })

  it('rejects any schema difference: name, nullability, field/schema metadata, types', () => {
    const f = layout!.schema.fields
    const k = (name: string) => f.findIndex((x) => x.name === name)
    const dict = f[k('dict')]!.type as Dictionary
    const variants: GroupLayout[] = [
      withField(0, f[0]!.clone({ name: 'renamed' })),
      withField(0, f[0]!.clone({ nullable: !f[0]!.nullable })),
      withField(k('utf8'), f[k('utf8')]!.clone({ metadata: new Map([['pii', 'false']]) })),
      withField(0, f[0]!, new Map([['origin', 'forged']])),
      withField(0, f[0]!, new Map()),
      withField(k('dict'), f[k('dict')]!.clone({ type: new Dictionary(dict.dictionary, new Int16(), dict.id) })),
      withField(
        k('dict'),
        f[k('dict')]!.clone({ type: new Dictionary(dict.dictionary, dict.indices, dict.id + 1000) }),
      ),
      withField(k('dict'), f[k('dict')]!.clone({ type: new Dictionary(new Utf8View(), dict.indices, dict.id) })),
      withField(k('dec128'), f[k('dec128')]!.clone({ type: new Decimal(3, 20, 128) })),
      withField(k('i64'), f[k('i64')]!.clone({ type: new TimestampMillisecond() })),
      { positions: layout!.positions.slice(1), schema: new Schema(f.slice(1), layout!.schema.metadata) },
    ]
    for (const v of variants) expectArrowInvalid(() => decodeGroupBatch(unit, v, rows))
  })

  it('rejects a timezone difference', () => {
    const s = new Schema([new Field('ts', new TimestampMillisecond('UTC'))])
    const [l] = planGroups(s, [0], 1, null)
    const b = structBatch(s, 2, [makeData({ type: s.fields[0]!.type, length: 2, data: new BigInt64Array(2) } as never)])
    const u = encodeGroupBatch(b, l!)
    const other = new Schema([new Field('ts', new TimestampMillisecond('Europe/Paris'))])
    expect(decodeGroupBatch(u, l!, 2).numRows).toBe(2)
    expectArrowInvalid(() => decodeGroupBatch(u, { positions: [0], schema: other }, 2))
  })

  it('rejects zero or two record batches, trailing bytes, file format and legacy framing', () => {
    const sub = decodeGroupBatch(unit, layout!, rows)
    expectArrowInvalid(() => decodeGroupBatch(streamOf(sub, sub), layout!, rows))
    const schemaOnly = schemaBytes.subarray(4 + 4 * layout!.positions.length)
    expectArrowInvalid(() => decodeGroupBatch(schemaOnly, layout!, 0))
    expectArrowInvalid(() => decodeGroupBatch(new Uint8Array([...unit, 0, 0, 0, 0, 0, 0, 0, 0]), layout!, rows))
    const file = new RecordBatchFileWriter()
    file.write(sub)
    file.finish()
    expectArrowInvalid(() => decodeGroupBatch(file.toUint8Array(true), layout!, rows))
    const legacy = new RecordBatchStreamWriter({ writeLegacyIpcFormat: true })
    legacy.write(sub)
    legacy.finish()
    expectArrowInvalid(() => decodeGroupBatch(legacy.toUint8Array(true), layout!, rows))
  })

  it('rejects a batch whose columns do not match the layout at encode time', () => {
    const other = planGroups(table.schema, pick('i8'), 1, 0)[0]!
    const forged: GroupLayout = { positions: other.positions, schema: layout!.schema }
    expect(() => encodeGroupBatch(batch, forged)).toThrow(RangeError)
    const wrongType: GroupLayout = {
      positions: [names.indexOf('i8')],
      schema: new Schema([new Field('i8', new Int32())]),
    }
    expectArrowInvalid(() => encodeGroupBatch(batch, wrongType))
  })

  it('rejects non-Uint8Array input and bad rows with TypeError/RangeError (caller misuse)', () => {
    expect(() => decodeGroupBatch([1, 2] as unknown as Uint8Array, layout!, 1)).toThrow(TypeError)
    expect(() => decodeGroupBatch(unit, layout!, -1)).toThrow(RangeError)
    expect(() => decodeGroupSchema('x' as unknown as Uint8Array, { maxFields: 1 })).toThrow(TypeError)
  })
})

/** Finds the record batch message's `nodes` vector length field (Message.fbs slot 2 → RecordBatch slot 1). */
function nodesLengthOffset(bytes: Uint8Array): number {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const rd32 = (p: number) => v.getInt32(p, true)
  const field = (table: number, slot: number) => {
    const vt = table - rd32(table)
    const o = 4 + 2 * slot < v.getInt16(vt, true) ? v.getInt16(vt + 4 + 2 * slot, true) : 0
    return o ? table + o : 0
  }
  let pos = 0
  let lastMeta = -1
  for (;;) {
    const len = rd32(pos + 4)
    if (len === 0) break
    const meta = pos + 8
    const bodyField = field(meta + rd32(meta), 3)
    const body = bodyField ? Number(v.getBigInt64(bodyField, true)) : 0
    lastMeta = meta
    pos = meta + len + body
  }
  const h = field(lastMeta + rd32(lastMeta), 2)
  const header = h + rd32(h)
  const n = field(header, 1)
  return n + rd32(n)
}

describe('metadata bounds (flatbuffer) checks', () => {
  it('rejects a huge nodes vector length at once (arrow-js alone would loop ~2^31 times)', () => {
    const bad = unit.slice()
    const at = nodesLengthOffset(bad)
    expect(new DataView(bad.buffer).getInt32(at, true)).toBeGreaterThan(0)
    new DataView(bad.buffer).setInt32(at, 0x7ffffff0, true)
    const t0 = performance.now()
    expectArrowInvalid(() => decodeGroupBatch(bad, layout!, rows))
    expect(performance.now() - t0).toBeLessThan(1000)
  })
})

describe('metadata strings', () => {
  it('a schema metadata value may be most of the message (pandas writes kilobytes of JSON in one)', () => {
    const schema = new Schema([new Field('a', new Int32(), true)], new Map([['pandas', 'x'.repeat(5000)]]))
    const a = makeData({ type: new Int32(), length: 2, data: Int32Array.from([1, 2]) })
    const data = makeData({ type: new Struct(schema.fields), length: 2, nullCount: 0, children: [a] })
    const stream = RecordBatchStreamWriter.writeAll([new RecordBatch(schema, data)]).toUint8Array(true)
    expect(scanStream(stream).length).toBeGreaterThan(0)
  })
})

describe('decoded data validation', () => {
  it('rejects a dictionary index past the dictionary', () => {
    const type = new Dictionary(new Utf8(), new Int32(), 900)
    const s = new Schema([new Field('d', type)])
    const dictionary = vectorFromArray(['a', 'b', 'c'], new Utf8())
    const good = makeData({ type, length: 2, nullCount: 0, data: Int32Array.of(0, 2), dictionary })
    const bad = makeData({ type, length: 2, nullCount: 0, data: Int32Array.of(0, 3), dictionary })
    const [l] = planGroups(s, [0], 1, null)
    expect(decodeGroupBatch(encodeGroupBatch(structBatch(s, 2, [good]), l!), l!, 2).numRows).toBe(2)
    expectArrowInvalid(() => decodeGroupBatch(encodeGroupBatch(structBatch(s, 2, [bad]), l!), l!, 2))
  })

  it('rejects an undeclared union type id', () => {
    const type = new SparseUnion([0, 1], [new Field('i', new Int32()), new Field('s', new Utf8())])
    const s = new Schema([new Field('u', type)])
    const children = [vectorFromArray([1, 2], new Int32()).data[0]!, vectorFromArray(['a', 'b'], new Utf8()).data[0]!]
    const mk = (ids: number[]) => makeData({ type, length: 2, nullCount: 0, typeIds: Int8Array.from(ids), children })
    const [l] = planGroups(s, [0], 1, null)
    expect(decodeGroupBatch(encodeGroupBatch(structBatch(s, 2, [mk([0, 1])]), l!), l!, 2).numRows).toBe(2)
    expectArrowInvalid(() => decodeGroupBatch(encodeGroupBatch(structBatch(s, 2, [mk([0, 5])]), l!), l!, 2))
  })

  it('rejects a view pointing past its variadic buffer', () => {
    const s = new Schema([new Field('v', new Utf8View())])
    const good = vectorFromArray(['short', 'a value longer than twelve bytes'], new Utf8View()).data[0]!
    const views = (good.values as Uint8Array).slice()
    new DataView(views.buffer).setInt32(16 + 12, 1 << 20, true) // offset of the long value
    const bad = makeData({
      type: new Utf8View(),
      length: 2,
      nullCount: 0,
      views,
      variadicBuffers: good.variadicBuffers,
    })
    const [l] = planGroups(s, [0], 1, null)
    expect(decodeGroupBatch(encodeGroupBatch(structBatch(s, 2, [good]), l!), l!, 2).numRows).toBe(2)
    expectArrowInvalid(() => decodeGroupBatch(encodeGroupBatch(structBatch(s, 2, [bad]), l!), l!, 2))
  })

  it('rejects list offsets past the child', () => {
    const type = new List(new Field('item', new Int8()))
    const s = new Schema([new Field('l', type)])
    const child = makeData({ type: new Int8(), length: 3, nullCount: 0, data: Int8Array.of(1, 2, 3) })
    const mk = (end: number) => makeData({ type, length: 1, nullCount: 0, valueOffsets: Int32Array.of(0, end), child })
    const [l] = planGroups(s, [0], 1, null)
    expect(decodeGroupBatch(encodeGroupBatch(structBatch(s, 1, [mk(3)]), l!), l!, 1).numRows).toBe(1)
    // Forge the offsets after encoding: arrow-js's writer slices the child by the offsets it is given.
    const u = encodeGroupBatch(structBatch(s, 1, [mk(3)]), l!)
    const at = indexOfSeq(u, Int32Array.of(0, 3))
    expect(at).toBeGreaterThan(0)
    new DataView(u.buffer).setInt32(at + 4, 1000, true)
    expectArrowInvalid(() => decodeGroupBatch(u, l!, 1))
  })

  it('rejects string offsets that decrease or start below zero (every offset is checked, not just the ends)', () => {
    const s = new Schema([new Field('s', new Utf8())])
    const [l] = planGroups(s, [0], 1, null)
    const good = vectorFromArray(['ab', 'cd', 'ef'], new Utf8()).data[0]!
    const encoded = () => encodeGroupBatch(structBatch(s, 3, [good]), l!)
    expect(decodeGroupBatch(encoded(), l!, 3).numRows).toBe(3)
    const at = indexOfSeq(encoded(), Int32Array.of(0, 2, 4, 6))
    expect(at).toBeGreaterThan(0)
    // The ends stay in range: only a middle offset moves (decreasing), or the first one goes negative.
    for (const [slot, value] of [
      [2, 1],
      [0, -1],
    ] as const) {
      const u = encoded()
      new DataView(u.buffer, u.byteOffset).setInt32(at + 4 * slot, value, true)
      expectArrowInvalid(() => decodeGroupBatch(u, l!, 3))
    }
  })

  it('rejects a negative dictionary index, and one past the dictionary in a column with nulls', () => {
    const type = new Dictionary(new Utf8(), new Int8(), 901)
    const s = new Schema([new Field('d', type, true)])
    const dictionary = vectorFromArray(['a', 'b'], new Utf8())
    const nullBitmap = Uint8Array.of(0b011) // row 2 is null: its index is never read
    const mk = (data: Int8Array, nulls: boolean) =>
      makeData({ type, length: 3, nullCount: nulls ? 1 : 0, data, dictionary, ...(nulls ? { nullBitmap } : {}) })
    const [l] = planGroups(s, [0], 1, null)
    const decode = (d: ReturnType<typeof mk>) => decodeGroupBatch(encodeGroupBatch(structBatch(s, 3, [d]), l!), l!, 3)
    expect(decode(mk(Int8Array.of(0, 1, 99), true)).numRows).toBe(3)
    expectArrowInvalid(() => decode(mk(Int8Array.of(0, -1, 1), false)))
    expectArrowInvalid(() => decode(mk(Int8Array.of(2, 1, 0), true)))
  })
})

function indexOfSeq(hay: Uint8Array, needle: Int32Array): number {
  const n = new Uint8Array(needle.buffer)
  outer: for (let i = hay.length - n.length; i >= 0; i--) {
    for (let j = 0; j < n.length; j++) if (hay[i + j] !== n[j]) continue outer
    return i
  }
  return -1
}

/** Either decodes (bit flips in bodies can stay valid) into fully readable values, or throws ArrowSealError. */
function decodeOrArrowSealError(bytes: Uint8Array): void {
  const t0 = performance.now()
  try {
    const b = decodeGroupBatch(bytes, layout!, rows)
    for (let c = 0; c < b.numCols; c++) {
      const col = b.getChildAt(c)!
      for (let r = 0; r < b.numRows; r++) JSON.stringify(col.get(r), (_, x) => (typeof x === 'bigint' ? `${x}` : x))
    }
  } catch (err) {
    if (!(err instanceof ArrowSealError)) throw err
  }
  expect(performance.now() - t0).toBeLessThan(2000)
}

function schemaOrArrowSealError(bytes: Uint8Array): void {
  try {
    decodeGroupSchema(bytes, { maxFields: 4096 })
  } catch (err) {
    if (!(err instanceof ArrowSealError)) throw err
  }
}

describe('fuzz: malformed bytes end in ArrowSealError, never another exception or a hang', () => {
  it('every truncation of a valid unit and of a valid group schema', () => {
    for (let n = 0; n < unit.length; n++) expectArrowInvalid(() => decodeGroupBatch(unit.subarray(0, n), layout!, rows))
    for (let n = 0; n < schemaBytes.length; n++) {
      expectArrowInvalid(() => decodeGroupSchema(schemaBytes.subarray(0, n), { maxFields: 4096 }))
    }
  })

  it('random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), (bytes) => {
        expectArrowInvalid(() => decodeGroupBatch(bytes, layout!, rows))
        schemaOrArrowSealError(bytes)
      }),
      { numRuns: propertyRuns(500) },
    )
  })

  it('random bytes behind a valid stream prefix (continuation + plausible length)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), fc.uint8Array({ minLength: 8, maxLength: 1024 }), (k, tail) => {
        const b = new Uint8Array(8 + tail.length)
        new DataView(b.buffer).setUint32(0, 0xffffffff)
        new DataView(b.buffer).setInt32(4, Math.min(k * 8, tail.length - (tail.length % 8)), true)
        b.set(tail, 8)
        decodeOrArrowSealError(b)
        const s = new Uint8Array(4 + b.length)
        s.set(b, 4)
        schemaOrArrowSealError(s)
      }),
      { numRuns: propertyRuns(500) },
    )
  })

  it('bit flips and byte overwrites of a valid unit', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(unit.length - 1), fc.integer({ min: 0, max: 7 })), { minLength: 1, maxLength: 4 }),
        (flips) => {
          const bad = unit.slice()
          for (const [i, bit] of flips) bad[i]! ^= 1 << bit
          decodeOrArrowSealError(bad)
        },
      ),
      { numRuns: propertyRuns(1500) },
    )
  })

  it('bit flips in the metadata region (first 1 KiB) of every message', () => {
    fc.assert(
      fc.property(fc.nat(Math.min(unit.length, 4096) - 1), fc.integer({ min: 0, max: 7 }), (i, bit) => {
        const bad = unit.slice()
        bad[i]! ^= 1 << bit
        decodeOrArrowSealError(bad)
      }),
      { numRuns: propertyRuns(2000) },
    )
  })

  it('bit flips of a valid group schema', () => {
    fc.assert(
      fc.property(fc.nat(schemaBytes.length - 1), fc.integer({ min: 0, max: 7 }), (i, bit) => {
        const bad = schemaBytes.slice()
        bad[i]! ^= 1 << bit
        schemaOrArrowSealError(bad)
      }),
      { numRuns: propertyRuns(1500) },
    )
  })
})

describe('compressed bodies', () => {
  it('are rejected even when a codec is registered (arrow-js would otherwise accept them)', () => {
    // A fake ZSTD codec whose output is never smaller, so arrow-js stores buffers raw but flags the batch as
    // compressed: the message carries BodyCompression, which is what arrowseal must refuse.
    const magic = [0x28, 0xb5, 0x2f, 0xfd]
    compressionRegistry.set(CompressionType.ZSTD, {
      encode: (d: Uint8Array) => Uint8Array.from([...magic, ...d, 0, 0, 0, 0]),
      decode: (d: Uint8Array) => d,
    })
    try {
      const sub = decodeGroupBatch(unit, layout!, rows)
      const w = new RecordBatchStreamWriter({ compressionType: CompressionType.ZSTD })
      w.write(sub)
      w.finish()
      const compressed = w.toUint8Array(true)
      expect(compressed).not.toEqual(unit)
      expectArrowInvalid(() => decodeGroupBatch(compressed, layout!, rows))
    } finally {
      compressionRegistry.set(CompressionType.ZSTD, null as never)
    }
  })
})

describe('exhaustive single-bit flips of all message metadata', () => {
  it('each ends quickly in a decoded batch or ArrowSealError (no length-driven blow-up)', () => {
    // Found by this sweep: a flipped dictionary length made arrow-js memoise a 2^24-slot array, and a flipped
    // variadic buffer count made it build a 2^24-element list — both now bounded before arrow-js sees them.
    const regions = scanStream(unit).map((m) => [m.metadataStart, m.metadataStart + m.metadataLength] as const)
    let worst = 0
    for (const [from, to] of regions) {
      for (let i = from; i < to; i++) {
        for (let bit = 0; bit < 8; bit++) {
          const bad = unit.slice()
          bad[i]! ^= 1 << bit
          const t0 = performance.now()
          try {
            decodeGroupBatch(bad, layout!, rows)
          } catch (err) {
            if (!(err instanceof ArrowSealError)) throw err
          }
          worst = Math.max(worst, performance.now() - t0)
        }
      }
    }
    expect(worst).toBeLessThan(1000)
  })
})
