/**
 * One chunk per dictionary before a unit is written (issue 19, item 5).
 *
 * arrow-js's dictionary builder gives each flushed chunk the dictionary so far, as a Vector of every earlier chunk
 * plus the new one, and its IPC writer sends such a dictionary as one initial batch and one delta per further
 * chunk. Units are self-contained, so every unit re-sent every delta: a column of n chunks cost n²/2 dictionary
 * messages to write, and as many to read (12.8 s to seal 8,000 chunks). Joined into one chunk first, each unit
 * carries one dictionary batch per dictionary, with the same values in the same order, so indices are unchanged.
 *
 * @module
 */

import { Data, type DataType, Vector, vectorFromArray } from 'apache-arrow'
import { concatChunks } from './concat.js'

// Per multi-chunk dictionary, its one-chunk copy: batches of one table often share a dictionary object.
const joined = new WeakMap<Vector, Vector | null>()

/**
 * `dictionary` as one chunk (the same values), or null when it cannot be rebuilt exactly. Work is linear in the
 * dictionary's length, never in its chunk count: a builder's dictionary of batch k has k chunks, most of them
 * empty, and even walking that list for every batch was quadratic.
 */
function joinDictionary(dictionary: Vector): Vector | null {
  let out = joined.get(dictionary)
  if (out !== undefined) return out
  const type = dictionary.type as DataType
  out = null
  try {
    // Fewer chunks than values: join the buffers. Otherwise read the values (each a binary search over the
    // chunk offsets) and rebuild them, as dictionary trimming does.
    const data = dictionary.data.length <= dictionary.length ? concatChunks(type, dictionary.data) : null
    out = data ? new Vector([data]) : vectorFromArray(valuesOf(dictionary) as never, type)
    if (out.length !== dictionary.length || out.data.length !== 1) out = null
  } catch {
    out = null // left as written: correct, only slower to write and read
  }
  joined.set(dictionary, out)
  return out
}

function valuesOf(dictionary: Vector): unknown[] {
  const values = new Array<unknown>(dictionary.length)
  for (let i = 0; i < values.length; i++) values[i] = dictionary.get(i)
  return values
}

/**
 * `data` with every dictionary of more than one chunk (its own, and its children's) joined into one; `data`
 * itself when it has none.
 *
 * @example
 * ```ts
 * const column = compactDictionaries(batch.data.children[i]!)
 * ```
 * @internal
 */
export function compactDictionaries(data: Data): Data {
  const children = data.children ?? []
  let changed = false
  const next = children.map((c) => {
    const n = compactDictionaries(c)
    if (n !== c) changed = true
    return n
  })
  let dictionary = data.dictionary
  if (dictionary && dictionary.data.length > 1) {
    const one = joinDictionary(dictionary)
    if (one) {
      dictionary = one
      changed = true
    }
  }
  if (!changed) return data
  return new Data(data.type, data.offset, data.length, data.nullCount, data.buffers, next, dictionary)
}
