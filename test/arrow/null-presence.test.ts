import {
  type Data,
  type DataType,
  Dictionary,
  Field,
  Int32,
  List,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Utf8,
  vectorFromArray,
} from 'apache-arrow'
import { describe, expect, it } from 'vitest'
import { decodeGroupBatch, encodeGroupBatch, planGroups } from '../../src/arrow/index.js'

// Issue 19, item 1: a keyless observer sees each unit's size; it must not reveal whether a column has a null.
function plain(v: unknown): unknown {
  return v !== null && typeof v === 'object' && 'toJSON' in v ? (v as { toJSON(): unknown }).toJSON() : v
}

function unitSize(values: unknown[], type: DataType = new Int32(), data?: Data): number {
  const schema = new Schema([new Field('x', type, true)])
  const batch = new RecordBatch({ x: data ?? vectorFromArray(values as never, type).data[0]! })
  const [layout] = planGroups(new Schema(schema.fields), [0], 1, null)
  const unit = encodeGroupBatch(batch, layout!)
  // The unit still decodes to the same values (a bitmap of all ones with a null count of 0).
  const back = decodeGroupBatch(unit, layout!, batch.numRows)
  expect(back.numRows).toBe(batch.numRows)
  expect([...back.getChildAt(0)!].map(plain)).toEqual([...batch.getChildAt(0)!].map(plain))
  return unit.length
}

describe('null presence does not change unit sizes', () => {
  it('Int32, with no, one and seven nulls', () => {
    const none = unitSize(Array.from({ length: 100 }, (_, i) => i))
    const one = unitSize(Array.from({ length: 100 }, (_, i) => (i === 3 ? null : i)))
    const seven = unitSize(Array.from({ length: 100 }, (_, i) => (i < 7 ? null : i)))
    expect(one).toBe(none)
    expect(seven).toBe(none)
  })

  it('inside a struct child and a list child', () => {
    const struct = new Struct([new Field('a', new Int32(), true)])
    const s0 = unitSize([{ a: 1 }, { a: 2 }] as never, struct)
    const s1 = unitSize([{ a: 1 }, { a: null }] as never, struct)
    expect(s1).toBe(s0)
    const list = new List(new Field('item', new Int32(), true))
    const l0 = unitSize([[1, 2], [3]] as never, list)
    const l1 = unitSize([[1, null], [3]] as never, list)
    expect(l1).toBe(l0)
  })

  it('in dictionary-encoded columns (indices and dictionary values)', () => {
    const type = new Dictionary(new Utf8(), new Int32())
    const column = (indexNulls: boolean, valueNulls: boolean): Data => {
      const dictionary = vectorFromArray(valueNulls ? ['a', null, 'c'] : ['a', 'b', 'c'], new Utf8())
      const nullBitmap = indexNulls ? Uint8Array.of(0b1101) : undefined
      return makeData({
        type,
        length: 4,
        nullCount: indexNulls ? 1 : 0,
        nullBitmap,
        data: Int32Array.of(0, 1, 0, 2),
        dictionary,
      })
    }
    const d0 = unitSize([], type, column(false, false))
    expect(unitSize([], type, column(true, false))).toBe(d0)
    expect(unitSize([], type, column(false, true))).toBe(d0)
    expect(unitSize([], type, column(true, true))).toBe(d0)
  })
})
