import {
  Decimal,
  DenseUnion,
  Dictionary,
  Field,
  FixedSizeList,
  Float32,
  Float64,
  Int,
  Int16,
  Int32,
  List,
  Schema,
  SparseUnion,
  Struct,
  TimeMillisecond,
  TimestampMillisecond,
  Utf8,
} from 'apache-arrow'
import { describe, expect, it } from 'vitest'
import { fieldsEqual, schemasEqual, typesEqual } from '../../src/arrow/index.js'

describe('typesEqual', () => {
  it('treats the concrete and the generic class of one type as equal, in both orders', () => {
    expect(typesEqual(new Int32(), new Int(true, 32))).toBe(true)
    expect(typesEqual(new Int(true, 32), new Int32())).toBe(true)
  })
  it('distinguishes every parameter', () => {
    const pairs: [unknown, unknown][] = [
      [new Int32(), new Int(false, 32)],
      [new Int32(), new Int16()],
      [new Float32(), new Float64()],
      [new Decimal(2, 20, 128), new Decimal(3, 20, 128)],
      [new Decimal(2, 20, 128), new Decimal(2, 21, 128)],
      [new Decimal(2, 20, 128), new Decimal(2, 20, 256)],
      [new TimestampMillisecond('UTC'), new TimestampMillisecond()],
      [new TimestampMillisecond('UTC'), new TimestampMillisecond('Europe/Paris')],
      [new TimeMillisecond(), new TimestampMillisecond()],
      [new FixedSizeList(2, new Field('x', new Int32())), new FixedSizeList(3, new Field('x', new Int32()))],
      [new List(new Field('x', new Int32())), new List(new Field('y', new Int32()))],
      [new List(new Field('x', new Int32(), true)), new List(new Field('x', new Int32(), false))],
      [
        new Struct([new Field('a', new Int32(), true, new Map([['k', 'v']]))]),
        new Struct([new Field('a', new Int32(), true, new Map([['k', 'w']]))]),
      ],
      [
        new SparseUnion([0, 1], [new Field('a', new Int32()), new Field('b', new Utf8())]),
        new DenseUnion([0, 1], [new Field('a', new Int32()), new Field('b', new Utf8())]),
      ],
      [
        new SparseUnion([0, 1], [new Field('a', new Int32()), new Field('b', new Utf8())]),
        new SparseUnion([0, 2], [new Field('a', new Int32()), new Field('b', new Utf8())]),
      ],
      [new Dictionary(new Utf8(), new Int32(), 1), new Dictionary(new Utf8(), new Int32(), 2)],
      [new Dictionary(new Utf8(), new Int32(), 1), new Dictionary(new Utf8(), new Int16(), 1)],
      [new Dictionary(new Utf8(), new Int32(), 1, false), new Dictionary(new Utf8(), new Int32(), 1, true)],
      [new Dictionary(new Utf8(), new Int32(), 1), new Dictionary(new Int32(), new Int32(), 1)],
    ]
    for (const [a, b] of pairs) {
      expect(typesEqual(a as never, b as never)).toBe(false)
      expect(typesEqual(b as never, a as never)).toBe(false)
    }
    expect(typesEqual(new Dictionary(new Utf8(), new Int32(), 7), new Dictionary(new Utf8(), new Int32(), 7))).toBe(
      true,
    )
  })
})

describe('fieldsEqual / schemasEqual', () => {
  it('compare names, nullability, field metadata and schema metadata', () => {
    const f = new Field('a', new Int32(), true, new Map([['x', '1']]))
    expect(fieldsEqual(f, new Field('a', new Int32(), true, new Map([['x', '1']])))).toBe(true)
    expect(fieldsEqual(f, new Field('b', new Int32(), true, new Map([['x', '1']])))).toBe(false)
    expect(fieldsEqual(f, new Field('a', new Int32(), false, new Map([['x', '1']])))).toBe(false)
    expect(fieldsEqual(f, new Field('a', new Int32(), true))).toBe(false)
    const s = new Schema([f], new Map([['m', 'n']]))
    expect(schemasEqual(s, new Schema([f], new Map([['m', 'n']])))).toBe(true)
    expect(schemasEqual(s, new Schema([f]))).toBe(false)
    expect(schemasEqual(s, new Schema([f, f], new Map([['m', 'n']])))).toBe(false)
  })
})
