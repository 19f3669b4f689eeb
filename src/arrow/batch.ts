/**
 * Building a RecordBatch over existing column Data, without copying and without arrow-js's name-based schema merge.
 *
 * arrow-js 21's `new RecordBatch(schema, data)` rebuilds its schema with `Schema.assign`, which (a) matches fields
 * by *name*, so with duplicate names the first `dup` field silently takes the type and metadata of the last one,
 * and (b) calls `new Schema(fields)`, which rejects two equal-but-distinct dictionary types sharing one id — what
 * a dictionary shared across two groups decodes to. Arrow allows both and arrowseal works by index, so we build
 * the batch over an empty struct and then install the exact schema and data. That is sound only because every
 * child has exactly `rows` rows (the one thing the skipped `ensureSameLengthData` would fix up), checked first.
 *
 * @module
 */

import { type Data, makeData, RecordBatch, Schema, Struct } from 'apache-arrow'
import { ArrowSealError } from '../errors.js'
import { typesEqual } from './equality.js'

const EMPTY_SCHEMA = new Schema([])

/**
 * A RecordBatch with exactly `schema` (field order, duplicate names and metadata preserved) over `children`.
 *
 * @throws ArrowSealError `ARROW_INVALID` when the child count or a child's length does not match.
 * @example
 * ```ts
 * const batch = recordBatchOf(layout.schema, [idData, emailData], 1024)
 * ```
 * @internal
 */
export function recordBatchOf(schema: Schema, children: readonly Data[], rows: number): RecordBatch {
  if (children.length !== schema.fields.length) {
    throw new ArrowSealError('ARROW_INVALID', 'column count differs from the schema')
  }
  for (const child of children) {
    if (child.length !== rows) throw new ArrowSealError('ARROW_INVALID', 'column length differs from the row count')
  }
  const data = makeData({ type: new Struct(schema.fields), length: rows, nullCount: 0, children: [...children] })
  const batch = new RecordBatch(
    EMPTY_SCHEMA,
    makeData({ type: new Struct([]), length: rows, nullCount: 0, children: [] }),
  )
  Reflect.set(batch, 'schema', schema)
  Reflect.set(batch, 'data', data)
  return batch
}

/**
 * The schema a table or batch really has: `schema`'s names, nullability and metadata, with each top-level field's
 * type taken from the batch's column data. arrow-js 21 relabels the types of duplicate field names in the
 * schemas it builds (`new Table([batch])`, `tableFromIPC`), while the column data keeps the right types.
 *
 * @example
 * ```ts
 * const schema = trueSchema(table.schema, table.batches[0])
 * ```
 * @internal
 */
export function trueSchema(schema: Schema, batch: RecordBatch | undefined): Schema {
  const columns = batch?.data.children
  if (!columns || columns.length !== schema.fields.length) return schema
  let changed = false
  const fields = schema.fields.map((f, i) => {
    const type = columns[i]!.type
    if (type === f.type || typesEqual(type, f.type)) return f
    changed = true
    return f.clone({ type })
  })
  return changed ? new Schema(fields, schema.metadata) : schema
}
