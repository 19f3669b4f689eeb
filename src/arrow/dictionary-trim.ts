/**
 * Dictionary trimming: a whole table is sealed with only the dictionary entries that its rows reference.
 *
 * A dictionary column keeps its whole dictionary when a table is sliced (`table.slice(…)`) or built from a
 * larger dictionary, so writing it as it is would put values of rows that are not in the stream — data the writer
 * removed — into every unit, public ones included (issue 20). Before the batches are encoded, each top-level
 * dictionary is cut down to the entries used by any row of any batch that shares it, and indices renumbered.
 *
 * The plan spans the whole table so that batches which shared one dictionary still share one (trimmed)
 * dictionary: readers, and Arrow's file format, rely on a dictionary that does not change between batches.
 * Fields that share one dictionary are trimmed together, to the union of what their rows use, so that every
 * group's unit carries the same dictionary, as readers require when they merge groups.
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

/** Marks the dictionary indices of `data`'s valid rows (the values buffer is already narrowed to the slice). */
function markUsed(data: Data<Dictionary>, used: Uint8Array): void {
  const indices = data.values as ArrayLike<number | bigint>
  const noNulls = !data.nullBitmap || data.nullBitmap.length === 0 || data.nullCount === 0
  // Without nulls and with 8- to 32-bit indices (the usual column), one tight loop: the per-row validity test and
  // bigint-safe conversion cost about 2 % of sealing a table (issue 12). Same check, same error.
  const bad =
    noNulls && !(indices instanceof BigInt64Array || indices instanceof BigUint64Array)
      ? markAll(indices as ArrayLike<number>, data.length, used)
      : markValid(data, indices, used)
  if (bad !== null) throw new ArrowSealError('ARROW_INVALID', `dictionary index ${bad} is outside its dictionary`)
}

/** Marks the first `n` indices; returns the first one outside `used` (an index no dictionary entry has), or null. */
function markAll(indices: ArrayLike<number>, n: number, used: Uint8Array): number | null {
  const size = used.length
  for (let r = 0; r < n; r++) {
    const i = indices[r]!
    if (!(i >= 0 && i < size)) return i
    used[i] = 1
  }
  return null
}

/** {@link markAll} over valid rows only, for columns with nulls or 64-bit indices. */
function markValid(data: Data, indices: ArrayLike<number | bigint>, used: Uint8Array): number | null {
  for (let r = 0; r < data.length; r++) {
    if (!isValid(data, r)) continue
    const i = Number(indices[r]!)
    // An index outside its dictionary is a malformed column; refuse it rather than write it.
    if (!(i >= 0 && i < used.length)) return i
    used[i] = 1
  }
  return null
}

/** How one dictionary is trimmed: old index → new index, and the dictionary of the entries kept. */
interface Trim {
  readonly renumber: Int32Array
  readonly dictionary: Vector
}

/**
 * The trims for a table: per dictionary object that has entries no written row uses. Opaque; apply it with
 * {@link applyDictionaryTrim}.
 * @internal
 */
export type DictionaryTrim = ReadonlyMap<Vector, Trim>

/**
 * Plans trimming for `batches` (a whole table), over the top-level dictionary columns among `positions` (the
 * fields that will be written; dropped fields do not count).
 *
 * @throws ArrowSealError `ARROW_INVALID` for an index outside its dictionary, or a dictionary arrow-js cannot rebuild.
 * @example
 * ```ts
 * const plan = planDictionaryTrim(table.slice(10, 20).batches, [0, 2])
 * ```
 * @internal
 */
export function planDictionaryTrim(batches: readonly RecordBatch[], positions: readonly number[]): DictionaryTrim {
  const used = new Map<Vector, Uint8Array>()
  // One dictionary id over two dictionary objects (equal or not): trimming them apart could make two groups'
  // dictionaries for one id differ where they were equal, so such dictionaries are left as written.
  const skip = new Set<Vector>()
  for (const batch of batches) {
    const byId = new Map<number, Vector>()
    for (const p of positions) {
      const data = batch.data.children[p]
      if (!data || !DataType.isDictionary(data.type) || !data.dictionary) continue
      const dictionary = data.dictionary
      const other = byId.get(data.type.id)
      if (other && other !== dictionary) skip.add(other).add(dictionary)
      byId.set(data.type.id, dictionary)
      const marks = used.get(dictionary) ?? new Uint8Array(dictionary.length)
      used.set(dictionary, marks)
      markUsed(data as Data<Dictionary>, marks)
    }
  }
  const plan = new Map<Vector, Trim>()
  for (const [dictionary, marks] of used) {
    if (skip.has(dictionary)) continue
    const keep: number[] = []
    for (let i = 0; i < marks.length; i++) if (marks[i]) keep.push(i)
    if (keep.length === dictionary.length) continue
    const renumber = new Int32Array(dictionary.length)
    for (const [k, i] of keep.entries()) renumber[i] = k
    try {
      plan.set(dictionary, {
        renumber,
        dictionary: vectorFromArray(
          keep.map((i) => dictionary.get(i)),
          dictionary.type,
        ),
      })
    } catch (err) {
      throw asArrowSealError(err, 'ARROW_INVALID', 'a dictionary could not be trimmed to the rows it is written with')
    }
  }
  return plan
}

/**
 * `batch` (of the stream's `schema`) with the planned dictionaries replaced by their trimmed ones and its
 * indices renumbered; the batch itself when the plan touches none of its columns.
 *
 * @example
 * ```ts
 * const trimmed = applyDictionaryTrim(batch, table.schema, plan)
 * ```
 * @internal
 */
export function applyDictionaryTrim(batch: RecordBatch, schema: Schema, plan: DictionaryTrim): RecordBatch {
  if (plan.size === 0) return batch
  const columns = batch.data.children
  let changed = false
  const next = columns.map((c) => {
    const trim = c.dictionary ? plan.get(c.dictionary) : undefined
    if (!trim) return c
    changed = true
    return renumbered(c as Data<Dictionary>, trim)
  })
  return changed ? recordBatchOf(schema, next, batch.numRows) : batch
}

function renumbered(data: Data<Dictionary>, trim: Trim): Data {
  const old = data.values as ArrayLike<number | bigint>
  const Indices = data.values.constructor as new (n: number) => typeof data.values
  const indices = new Indices(data.length)
  const big = data.length > 0 && typeof old[0] === 'bigint'
  for (let r = 0; r < data.length; r++) {
    // Null rows get index 0: their slot is unused, but must stay inside the (now smaller) dictionary.
    const i = isValid(data, r) ? trim.renumber[Number(old[r]!)]! : 0
    ;(indices as unknown as (number | bigint)[])[r] = big ? BigInt(i) : i
  }
  const buffers = { [1]: indices, [2]: data.nullBitmap } as never
  return new Data(data.type, data.offset, data.length, data.nullCount, buffers, [], trim.dictionary)
}
