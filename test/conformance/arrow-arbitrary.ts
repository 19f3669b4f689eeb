/**
 * fast-check arbitraries of Arrow schemas and tables built with apache-arrow's own builders: nested lists of
 * structs of dictionaries, maps, dense and sparse unions, large offsets (LargeUtf8, LargeBinary, LargeList),
 * Null and all-null columns, zero-length batches, field and schema metadata, and duplicate top-level names.
 */
import {
  Binary,
  Bool,
  type Data,
  type DataType,
  DenseUnion,
  Dictionary,
  Field,
  Float64,
  Int32,
  Int64,
  LargeBinary,
  LargeList,
  LargeUtf8,
  List,
  Map_,
  makeData,
  Null,
  type RecordBatch,
  Schema,
  SparseUnion,
  Struct,
  Table,
  Utf8,
  vectorFromArray,
} from 'apache-arrow'
import fc from 'fast-check'
import { structBatch } from '../fixtures/tables.js'

/** A type description: plain data, so counterexamples print readably; turned into arrow types by `toType`. */
export type TypeDesc =
  | { readonly k: 'int32' | 'int64' | 'float64' | 'bool' | 'utf8' | 'largeUtf8' | 'binary' | 'largeBinary' | 'null' }
  | { readonly k: 'dict' }
  | { readonly k: 'list' | 'largeList'; readonly child: TypeDesc }
  | { readonly k: 'struct'; readonly children: readonly TypeDesc[] }
  | { readonly k: 'map'; readonly value: TypeDesc }
  | { readonly k: 'dense' | 'sparse'; readonly children: readonly TypeDesc[] }

const leaves = ['int32', 'int64', 'float64', 'bool', 'utf8', 'largeUtf8', 'binary', 'largeBinary', 'null'] as const

/** Recursive type descriptions, at most three levels deep. */
export const typeDescArb: fc.Arbitrary<TypeDesc> = fc.letrec<{ t: TypeDesc; leaf: TypeDesc }>((tie) => ({
  leaf: fc.oneof(
    fc.constantFrom(...leaves).map((k) => ({ k })),
    fc.constant({ k: 'dict' as const }),
  ),
  t: fc.oneof(
    { maxDepth: 3, depthIdentifier: 'type' },
    { weight: 3, arbitrary: tie('leaf') },
    fc.record({ k: fc.constantFrom('list' as const, 'largeList' as const), child: tie('t') }),
    fc.record({ k: fc.constant('struct' as const), children: fc.array(tie('t'), { minLength: 1, maxLength: 3 }) }),
    fc.record({ k: fc.constant('map' as const), value: tie('leaf') }),
    fc.record({
      k: fc.constantFrom('dense' as const, 'sparse' as const),
      children: fc.array(tie('leaf'), { minLength: 1, maxLength: 3 }),
    }),
  ),
})).t

/** The arrow type of a description. Dictionary ids come from `nextDictId` so one schema's ids never collide. */
export function toType(d: TypeDesc, nextDictId: () => number): DataType {
  switch (d.k) {
    case 'int32':
      return new Int32()
    case 'int64':
      return new Int64()
    case 'float64':
      return new Float64()
    case 'bool':
      return new Bool()
    case 'utf8':
      return new Utf8()
    case 'largeUtf8':
      return new LargeUtf8()
    case 'binary':
      return new Binary()
    case 'largeBinary':
      return new LargeBinary()
    case 'null':
      return new Null()
    case 'dict':
      return new Dictionary(new Utf8(), new Int32(), nextDictId())
    case 'list':
      return new List(new Field('item', toType(d.child, nextDictId), true))
    case 'largeList':
      return new LargeList(new Field('item', toType(d.child, nextDictId), true))
    case 'struct':
      return new Struct(d.children.map((c, i) => new Field(`s${i}`, toType(c, nextDictId), true)))
    case 'map':
      return new Map_(
        // The typings want Field<Struct<{key, value}>>; the entries field is exactly that.
        new Field(
          'entries',
          new Struct([new Field('key', new Utf8(), false), new Field('value', toType(d.value, nextDictId), true)]),
          false,
        ) as never,
      )
    case 'dense':
    case 'sparse': {
      const children = d.children.map((c, i) => new Field(`u${i}`, toType(c, nextDictId), true))
      const ids = children.map((_, i) => i)
      return d.k === 'dense' ? new DenseUnion(ids, children) : new SparseUnion(ids, children)
    }
  }
}

/** Values of a description (null allowed everywhere except inside unions, which carry nulls in their children). */
export function valueArb(d: TypeDesc): fc.Arbitrary<unknown> {
  const nullable = (a: fc.Arbitrary<unknown>) => fc.option(a, { nil: null, freq: 4 })
  switch (d.k) {
    case 'int32':
      return nullable(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }))
    case 'int64':
      return nullable(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }))
    case 'float64':
      return nullable(fc.double({ noNaN: true }))
    case 'bool':
      return nullable(fc.boolean())
    case 'utf8':
    case 'largeUtf8':
      return nullable(fc.string({ unit: 'grapheme', maxLength: 6 }))
    case 'binary':
    case 'largeBinary':
      return nullable(fc.uint8Array({ maxLength: 6 }))
    case 'null':
      return fc.constant(null)
    case 'dict':
      return nullable(fc.constantFrom('red', 'green', 'blue', '', 'ünïcode'))
    case 'list':
    case 'largeList':
      return nullable(fc.array(valueArb(d.child), { maxLength: 3 }))
    case 'struct':
      return nullable(fc.tuple(...d.children.map(valueArb)))
    case 'map':
      return nullable(
        fc.uniqueArray(fc.tuple(fc.string({ maxLength: 3 }), valueArb(d.value)), {
          maxLength: 3,
          selector: (e) => e[0],
        }),
      )
    case 'dense':
    case 'sparse':
      return fc.nat(d.children.length - 1).chain((t) => valueArb(d.children[t]!).map((v) => ({ t, v })))
  }
}

function validity(values: readonly unknown[]): { nullBitmap: Uint8Array; nullCount: number } {
  const nullBitmap = new Uint8Array(Math.ceil(values.length / 8))
  let nullCount = 0
  values.forEach((v, i) => {
    if (v === null) nullCount++
    else nullBitmap[i >> 3]! |= 1 << (i & 7)
  })
  return { nullBitmap, nullCount }
}

/**
 * Builds Data of `type` from values: leaves and maps with apache-arrow's builders (vectorFromArray), lists,
 * structs and unions from their children with makeData, so unions may sit anywhere.
 */
export function buildData(d: TypeDesc, type: DataType, values: readonly unknown[]): Data {
  const length = values.length
  switch (d.k) {
    case 'list':
    case 'largeList': {
      const childType = (type as List).children[0]!.type
      const flat: unknown[] = []
      const offsets: number[] = [0]
      for (const v of values) {
        if (v !== null) flat.push(...(v as unknown[]))
        offsets.push(flat.length)
      }
      const child = buildData(d.child, childType, flat)
      const valueOffsets = d.k === 'list' ? Int32Array.from(offsets) : BigInt64Array.from(offsets, BigInt)
      return makeData({
        type: type as List,
        length,
        ...validity(values),
        valueOffsets: valueOffsets as Int32Array,
        child,
      })
    }
    case 'struct': {
      const fields = (type as Struct).children
      const children = d.children.map((c, i) =>
        buildData(
          c,
          fields[i]!.type,
          values.map((v) => (v === null ? null : (v as unknown[])[i]!)),
        ),
      )
      return makeData({ type: type as Struct, length, ...validity(values), children })
    }
    case 'map': {
      const maps = values.map((v) => (v === null ? null : new Map(v as [string, unknown][])))
      return vectorFromArray(maps, type as Map_).data[0]!
    }
    case 'dense':
    case 'sparse': {
      // A union has no validity of its own: a slot under a null parent becomes a null in child 0.
      const tagged = (values as ({ t: number; v: unknown } | null)[]).map((x) => x ?? { t: 0, v: null })
      const fields = (type as DenseUnion).children
      const typeIds = Int8Array.from(tagged, (x) => x.t)
      if (d.k === 'sparse') {
        const children = d.children.map((c, i) =>
          buildData(
            c,
            fields[i]!.type,
            tagged.map((x) => (x.t === i ? x.v : null)),
          ),
        )
        return makeData({ type: type as SparseUnion, length, nullCount: 0, typeIds, children })
      }
      const offsets = new Int32Array(length)
      const perChild: unknown[][] = d.children.map(() => [])
      tagged.forEach((x, i) => {
        offsets[i] = perChild[x.t]!.length
        perChild[x.t]!.push(x.v)
      })
      const children = d.children.map((c, i) => buildData(c, fields[i]!.type, perChild[i]!))
      return makeData({ type: type as DenseUnion, length, nullCount: 0, typeIds, valueOffsets: offsets, children })
    }
    default:
      return vectorFromArray(values as unknown[], type).data[0]!
  }
}

/** A generated table: its columns' descriptions (for the report) and the table. */
export interface GeneratedTable {
  readonly descs: readonly TypeDesc[]
  readonly table: Table
}

const nameArb = fc.constantFrom('a', 'b', 'c', 'id', 'value', 'ü名')
const metaArb = fc.option(
  fc.dictionary(fc.constantFrom('unit', 'note', 'x'), fc.string({ maxLength: 4 }), { maxKeys: 2 }),
  {
    nil: undefined,
  },
)

/** Tables of 1 … 5 columns (names may repeat) in 1 … 3 batches of 0 … 5 rows, with optional metadata. */
export const tableArb: fc.Arbitrary<GeneratedTable> = fc
  .record({
    columns: fc.array(fc.record({ name: nameArb, desc: typeDescArb, meta: metaArb }), { minLength: 1, maxLength: 5 }),
    batchRows: fc.array(fc.nat(5), { minLength: 1, maxLength: 3 }),
    schemaMeta: metaArb,
  })
  .chain(({ columns, batchRows, schemaMeta }) =>
    fc
      .tuple(
        ...batchRows.map((n) =>
          fc.tuple(...columns.map((c) => fc.array(valueArb(c.desc), { minLength: n, maxLength: n }))),
        ),
      )
      .map((batchValues) => {
        let dictId = 1000
        const fields = columns.map(
          (c) =>
            new Field(
              c.name,
              toType(c.desc, () => dictId++),
              true,
              c.meta ? new Map(Object.entries(c.meta)) : undefined,
            ),
        )
        const schema = new Schema(fields, schemaMeta ? new Map(Object.entries(schemaMeta)) : undefined)
        const batches: RecordBatch[] = batchValues.map((cols, b) =>
          structBatch(
            schema,
            batchRows[b]!,
            columns.map((c, i) => buildData(c.desc, fields[i]!.type, cols[i]!)),
          ),
        )
        return { descs: columns.map((c) => c.desc), table: new Table(schema, batches) }
      }),
  )
