/**
 * Work-around for sliced Utf8View/BinaryView columns in arrow-js 21.
 *
 * `Data.slice` on a view array already narrows its view buffer to the slice *and* keeps the slice offset; the IPC
 * writer then applies the offset a second time (`values.subarray(offset * 16, …)`), writing a view buffer that is
 * too short — arrow-js's own `tableToIPC(table.slice(…))` produces a stream it cannot read back. We re-build such
 * a top-level column at offset 0 (one copy of that column only, and only when it is a sliced view array). Sliced
 * views nested inside other types cannot be repaired this way and are refused before anything is written.
 *
 * @module
 */

import { type Data, DataType, type Field, Type, Vector, vectorFromArray } from 'apache-arrow'
import { ArrowSealError } from '../errors.js'

function isView(data: Data): boolean {
  return data.type.typeId === Type.Utf8View || data.type.typeId === Type.BinaryView
}

/** Whether values of `type` are or contain view arrays: only then can a Data of it hold a sliced view. */
function hasViewType(type: DataType): boolean {
  if (type.typeId === Type.Utf8View || type.typeId === Type.BinaryView) return true
  if (DataType.isDictionary(type) && hasViewType(type.dictionary)) return true
  return (type.children ?? []).some((c: Field) => hasViewType(c.type))
}

function hasSlicedView(data: Data): boolean {
  if (isView(data) && data.offset !== 0) return true
  return (data.children ?? []).some(hasSlicedView) || (data.dictionary?.data.some(hasSlicedView) ?? false)
}

/**
 * Returns `data`, or for a sliced top-level view column an equivalent column at offset 0.
 *
 * @throws ArrowSealError `ARROW_UNSUPPORTED` for a sliced view array nested inside another type.
 * @example
 * ```ts
 * const safe = unsliceViews(batch.data.children[i]!)
 * ```
 * @internal
 */
export function unsliceViews(data: Data): Data {
  // Decided from the type first: a dictionary of n chunks would otherwise be walked for every batch.
  if (!hasViewType(data.type)) return data
  if (isView(data) && data.offset !== 0) {
    const values = new Vector([data]).toArray() as unknown[]
    return vectorFromArray(values as never, data.type).data[0] as Data
  }
  if ((data.children ?? []).some(hasSlicedView) || data.dictionary?.data.some(hasSlicedView)) {
    throw new ArrowSealError(
      'ARROW_UNSUPPORTED',
      'sliced Utf8View/BinaryView arrays nested in another type cannot be written by arrow-js 21',
    )
  }
  return data
}
