/**
 * Re-using one dictionary across opened batches. Each opened batch carries its own decoded copy of a column's
 * dictionary; Arrow's writers compare dictionaries by identity, so without this an IPC stream would repeat the
 * dictionary before every batch, and the IPC *file* format (which cannot replace a dictionary) would fail.
 * @module
 */
import { Data, type Dictionary, RecordBatch, Type, type Vector } from 'apache-arrow'

function sameValues(a: Vector, b: Vector): boolean {
  if (a.length !== b.length || String(a.type) !== String(b.type)) return false
  for (let i = 0; i < a.length; i++) {
    const x: unknown = a.get(i)
    const y: unknown = b.get(i)
    if (x === y) continue
    if (x instanceof Uint8Array && y instanceof Uint8Array && x.length === y.length && x.every((v, j) => v === y[j]))
      continue
    return false
  }
  return true
}

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
      if (first === child.dictionary || !sameValues(first, child.dictionary)) return child
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
