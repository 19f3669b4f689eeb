/**
 * Re-using one dictionary across opened batches. Each opened batch carries its own decoded copy of a column's
 * dictionary; Arrow's writers compare dictionaries by identity, so without this an IPC stream would repeat the
 * dictionary before every batch, and the IPC *file* format (which cannot replace a dictionary) would fail.
 * @module
 */
import { Data, type Dictionary, RecordBatch, Type, type Vector } from 'apache-arrow'
import { valuesEqual } from '../../arrow/equality.js'

/**
 * Returns a function that rewrites each batch so that top-level dictionary columns whose dictionary has the same
 * values as an earlier batch's share that earlier dictionary object. Dictionaries that really change are kept.
 *
 * @example
 * ```ts
 * const share = shareDictionaries()
 * for (const batch of batches) writer.write(share(batch))
 * ```
 */
export function shareDictionaries(): (batch: RecordBatch) => RecordBatch {
  const seen = new Map<number, Vector>()
  return (batch) => {
    let changed = false
    const children = batch.data.children.map((child, i) => {
      const field = batch.schema.fields[i]
      if (!field || field.type.typeId !== Type.Dictionary || !child.dictionary) return child
      const id = (field.type as Dictionary).id
      const first = seen.get(id)
      if (!first) {
        seen.set(id, child.dictionary)
        return child
      }
      if (first === child.dictionary || !valuesEqual(first, child.dictionary)) return child
      changed = true
      return new Data(
        child.type,
        child.offset,
        child.length,
        child.nullCount,
        child,
        child.children,
        first,
        child.variadicBuffers,
      )
    })
    if (!changed) return batch
    const data = batch.data.clone(
      batch.data.type,
      batch.data.offset,
      batch.data.length,
      batch.data.nullCount,
      undefined,
      children,
    )
    return new RecordBatch(batch.schema, data)
  }
}
