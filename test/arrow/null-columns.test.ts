import { type Data, Field, Float64, Int8, Schema } from 'apache-arrow'
import { describe, expect, it } from 'vitest'
import { BatchMerger } from '../../src/arrow/merge.js'
import { MAX_NULL_COLUMN_BYTES, nullBytes, nullData } from '../../src/arrow/nulls.js'
import { allTypesTable } from '../fixtures/tables.js'

function allocated(data: Data): number {
  const own = [data.values, data.valueOffsets, data.nullBitmap, data.typeIds].reduce(
    (n, b) => n + ((b as ArrayBufferView | undefined)?.byteLength ?? 0),
    0,
  )
  return own + data.children.reduce((n, c) => n + allocated(c), 0)
}

// Issue 19, item 4: a frame declaring 2^31 − 1 rows, opened with includeDenied and a denied Float64 field, made the
// reader allocate 16 GiB and fail with an untyped RangeError.
describe('all-null stand-ins for denied fields', () => {
  it('nullBytes bounds what nullData allocates, for every type', () => {
    for (const field of allTypesTable().schema.fields) {
      for (const rows of [0, 1, 9, 1000]) {
        expect(allocated(nullData(field.type, rows)), `${field.name} × ${rows}`).toBeLessThanOrEqual(
          nullBytes(field.type, rows),
        )
      }
    }
  })

  it('a frame too large for its denied columns is refused with LIMIT_EXCEEDED before allocating', () => {
    const denied = { positions: [0], schema: new Schema([new Field('x', new Float64(), true)]) }
    const merger = new BatchMerger([], [denied])
    expect(() => merger.mergeColumns([], 2 ** 31 - 1)).toThrow(expect.objectContaining({ code: 'LIMIT_EXCEEDED' }))
    // Just over the bound, for a one-byte type too (2 GiB would otherwise be allocated without an error).
    const small = new BatchMerger([], [{ positions: [0], schema: new Schema([new Field('x', new Int8(), true)]) }])
    const rows = Math.floor(MAX_NULL_COLUMN_BYTES / 1.125) + 16
    expect(() => small.mergeColumns([], rows)).toThrow(expect.objectContaining({ code: 'LIMIT_EXCEEDED' }))
    expect(merger.mergeColumns([], 1000).numRows).toBe(1000)
  })
})
