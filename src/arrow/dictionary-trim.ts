/**
 * Dictionary trimming: a unit carries only the dictionary entries that the rows it seals reference.
 *
 * A dictionary column keeps its whole dictionary when a table is sliced (`table.slice(…)`) or built from a
 * larger dictionary, so writing it as it is would put values of rows that are not in the stream — data the writer
 * removed — into every unit, public ones included. Before a batch is encoded, each top-level dictionary column's
 * dictionary is cut down to the entries its rows use, and its indices renumbered to match (issue 20).
 *
 * Fields that share one dictionary id are trimmed together, to the union of what their rows use, so that every
 * group's unit still carries the same dictionary for that id, as readers require when they merge groups.
 *
 * @module
 */

import {
  Data,
  DataType,
  type Dictionary,
  type RecordBatch,
  type Schema,
  type Vector,
  vectorFromArray,
} from 'apache-arrow'
import { ArrowSealError, asArrowSealError } from '../errors.js'
import { recordBatchOf } from './batch.js'

/** Whether row `r` of `data` is valid (not null), reading its validity bitmap at the data's offset. */
function isValid(data: Data, r: number): boolean {
  const bitmap = data.nullBitmap
  if (!bitmap || bitmap.length === 0 || data.nullCount === 0) return true
  const bit = data.offset + r
  return ((bitmap[bit >> 3]! >> (bit & 7)) & 1) === 1
}

/** The dictionary indices of `data`'s valid rows (the values buffer is already narrowed to the slice). */
function markUsed(data: Data<Dictionary>, used: Uint8Array): void {
  const indices = data.values as ArrayLike<number | bigint>
  for (let r = 0; r < data.length; r++) {
    if (!isValid(data, r)) continue
    const i = Number(indices[r]!)
    // An index outside its dictionary is a malformed column; refuse it rather than write it.
    if (!(i >= 0 && i < used.length))
      throw new ArrowSealError('ARROW_INVALID', `dictionary index ${i} is outside its dictionary`)
    used[i] = 1
  }
}

/**
 * `batch` (of the stream's `schema`) with every top-level dictionary column among `positions` (the fields that will be written) trimmed to
 * the entries its rows reference; the same batch when nothing needs trimming (the common case: one pass over
 * the indices, no copy).
 *
 * @throws ArrowSealError `ARROW_INVALID` for an index outside its dictionary, or a dictionary arrow-js cannot rebuild.
 * @example
 * ```ts
 * const trimmed = trimDictionaries(table.slice(10, 20).batches[0]!, table.schema, [0, 2])
 * ```
 * @internal
 */
export function trimDictionaries(batch: RecordBatch, schema: Schema, positions: readonly number[]): RecordBatch {
  const columns = batch.data.children
  // Dictionary id → the columns (by position) that use it, and which of its entries their rows use.
  const byId = new Map<number, { positions: number[]; dictionary: Vector; used: Uint8Array; skip: boolean }>()
  for (const p of positions) {
    const data = columns[p]
    if (!data || !DataType.isDictionary(data.type) || !data.dictionary) continue
    const id = data.type.id
    let entry = byId.get(id)
    if (!entry) {
      entry = { positions: [], dictionary: data.dictionary, used: new Uint8Array(data.dictionary.length), skip: false }
      byId.set(id, entry)
    } else if (entry.dictionary !== data.dictionary) {
      // One id over two dictionary objects (equal or not): trimming one and not the other could make the groups'
      // dictionaries for this id differ where they were equal, so leave every column of this id as written.
      entry.skip = true
    }
    if (entry.skip) continue
    entry.positions.push(p)
    markUsed(data as Data<Dictionary>, entry.used)
  }
  const replaced = new Map<number, Data>()
  for (const { positions: ps, dictionary, used, skip } of byId.values()) {
    if (skip) continue
    const keep: number[] = []
    for (let i = 0; i < used.length; i++) if (used[i]) keep.push(i)
    if (keep.length === dictionary.length) continue
    const renumber = new Int32Array(dictionary.length)
    for (const [k, i] of keep.entries()) renumber[i] = k
    let trimmed: Vector
    try {
      trimmed = vectorFromArray(
        keep.map((i) => dictionary.get(i)),
        dictionary.type,
      )
    } catch (err) {
      throw asArrowSealError(err, 'ARROW_INVALID', 'a dictionary could not be trimmed to the rows it is written with')
    }
    for (const p of ps) {
      const data = columns[p]! as Data<Dictionary>
      const old = data.values as ArrayLike<number | bigint>
      const Indices = data.values.constructor as new (n: number) => typeof data.values
      const indices = new Indices(data.length)
      const big = typeof old[0] === 'bigint'
      for (let r = 0; r < data.length; r++) {
        // Null rows keep index 0: their slot is unused, but must stay inside the (now smaller) dictionary.
        const next = isValid(data, r) ? renumber[Number(old[r]!)]! : 0
        ;(indices as unknown as (number | bigint)[])[r] = big ? BigInt(next) : next
      }
      replaced.set(
        p,
        new Data(
          data.type,
          data.offset,
          data.length,
          data.nullCount,
          { [1]: indices, [2]: data.nullBitmap } as never,
          [],
          trimmed,
        ),
      )
    }
  }
  if (replaced.size === 0) return batch
  return recordBatchOf(
    schema,
    columns.map((c, i) => replaced.get(i) ?? c),
    batch.numRows,
  )
}
