/**
 * One access group's columns of one record batch ↔ a self-contained Arrow IPC stream.
 *
 * A unit is `schema message, dictionary batches…, exactly one record batch, EOS`. Reusing arrow-js's own writer
 * and reader keeps every type's buffer layout correct; we add what a security boundary needs on top: strict
 * framing ({@link scanStream}), metadata bounds ({@link verifyMessageMetadata}), an exact schema match, the row
 * count, and structural validation of the decoded buffers ({@link validateData}).
 *
 * @module
 */

import { type Data, DataType, RecordBatch, RecordBatchReader, RecordBatchStreamWriter } from 'apache-arrow'
import { ArrowSealError, asArrowSealError } from '../errors.js'
import { recordBatchOf } from './batch.js'
import { schemasEqual, typesEqual } from './equality.js'
import type { GroupLayout } from './layout.js'
import { aligned, scanStream } from './scan.js'
import { validateData } from './validate.js'
import { HEADER_DICTIONARY_BATCH, HEADER_RECORD_BATCH, HEADER_SCHEMA } from './verify-metadata.js'
import { unsliceViews } from './views.js'

/**
 * Serialises the columns of `batch` selected by `layout` as one Arrow IPC stream (schema, the dictionaries those
 * columns use, one record batch, EOS). Record-batch custom metadata is not carried.
 *
 * Columns are matched by index and their *data* types checked against `layout.schema` (not `batch.schema`'s
 * names: arrow-js can mislabel duplicate names, see {@link recordBatchOf}); names and metadata come from the layout.
 *
 * @throws ArrowSealError `ARROW_INVALID` when a column at `layout.positions` is missing or its type differs from
 *   `layout.schema` (a batch whose schema drifted from the sealed one), or arrow-js cannot serialise it.
 *
 * @example
 * ```ts
 * const [pub, pii] = planGroups(batch.schema, [0, 1], 2, 0)
 * const unit = encodeGroupBatch(batch, pii!) // Uint8Array, ready for the format layer to encrypt
 * ```
 */
export function encodeGroupBatch(batch: RecordBatch, layout: GroupLayout): Uint8Array {
  const { positions, schema } = layout
  if (positions.length !== schema.fields.length) throw new RangeError('layout positions and schema fields differ')
  const children: Data[] = []
  for (let k = 0; k < positions.length; k++) {
    const i = positions[k]!
    const child = batch.data.children[i]
    if (!child || !typesEqual(child.type, schema.fields[k]!.type)) {
      throw new ArrowSealError('ARROW_INVALID', `record batch field ${i} does not match the sealed schema`)
    }
    children.push(unsliceViews(child))
  }
  try {
    const writer = new RecordBatchStreamWriter()
    writer.write(recordBatchOf(schema, children, batch.numRows))
    writer.finish()
    return writer.toUint8Array(true)
  } catch (err) {
    throw asArrowSealError(err, 'ARROW_INVALID', 'record batch could not be serialised to Arrow IPC')
  }
}

/** Field nodes one top-level field occupies in a record batch (depth-first; a dictionary column is one node). */
function nodeCount(type: DataType): number {
  if (DataType.isDictionary(type)) return 1
  let n = 1
  for (const child of type.children ?? []) n += nodeCount(child.type)
  return n
}

/**
 * Checks the message sequence (schema, dictionary batches, one record batch; EOS already checked by the scan),
 * that the record batch and each top-level column declare exactly `rows` rows, and that no array length exceeds
 * what its body can hold — all before arrow-js allocates anything from those lengths.
 */
function checkShape(bytes: Uint8Array, layout: GroupLayout, rows: number): void {
  const messages = scanStream(bytes)
  const last = messages.length - 1
  if (last < 1 || messages[0]!.tag !== HEADER_SCHEMA || messages[last]!.tag !== HEADER_RECORD_BATCH) {
    throw new ArrowSealError('ARROW_INVALID', 'group unit must hold a schema and exactly one record batch')
  }
  for (let m = 1; m <= last; m++) {
    const msg = messages[m]!
    if (m < last && msg.tag !== HEADER_DICTIONARY_BATCH) {
      throw new ArrowSealError('ARROW_INVALID', 'group unit must hold exactly one record batch')
    }
    // Every value of every non-null type takes at least one bit of body, so no honest length exceeds 8 × body
    // bytes (top-level columns may, for the Null type: they are bound to `rows` below). Without this bound a
    // flipped bit in a dictionary length makes arrow-js memoise a 2^31-slot array.
    const bound = Math.max(m === last ? rows : 0, msg.bodyLength * 8)
    if (msg.length > bound || msg.nodes.some((v, i) => i % 2 === 0 && v > bound)) {
      throw new ArrowSealError('ARROW_INVALID', 'array length exceeds what the message body can hold')
    }
  }
  const { length, nodes } = messages[last]!
  if (length !== rows) throw new ArrowSealError('ARROW_INVALID', 'group row count differs from the frame')
  let k = 0
  for (const field of layout.schema.fields) {
    if (nodes[2 * k] !== rows) throw new ArrowSealError('ARROW_INVALID', 'column length differs from the row count')
    k += nodeCount(field.type)
  }
  if (2 * k !== nodes.length) throw new ArrowSealError('ARROW_INVALID', 'field node count differs from the schema')
  for (let i = 0; i < nodes.length; i += 2) {
    if (nodes[i + 1]! > nodes[i]!) throw new ArrowSealError('ARROW_INVALID', 'null count exceeds length')
  }
}

/**
 * Decodes one group unit produced by {@link encodeGroupBatch} and checks it against what the header promised.
 * The result's schema is `layout.schema` itself.
 *
 * @param rows - the row count bound into the unit's AAD; the decoded batch must have exactly this many rows.
 * @throws ArrowSealError `ARROW_INVALID` on any malformed input, a schema differing from `layout.schema` in names,
 *   types (dictionary id, index and value types included), nullability or field/schema metadata, a row-count
 *   mismatch, or anything but exactly one record batch. Never another exception type.
 *
 * @example
 * ```ts
 * const batch = decodeGroupBatch(unit, layout, 1024)
 * console.log(batch.numRows) // 1024
 * ```
 */
export function decodeGroupBatch(bytes: Uint8Array, layout: GroupLayout, rows: number): RecordBatch {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('bytes must be a Uint8Array')
  if (!Number.isSafeInteger(rows) || rows < 0) throw new RangeError('rows must be a non-negative safe integer')
  // Units sit at arbitrary offsets inside frames; arrow-js's typed-array views need 8-byte alignment.
  bytes = aligned(bytes)
  try {
    checkShape(bytes, layout, rows)
    const reader = RecordBatchReader.from(bytes)
    reader.open()
    if (!schemasEqual(reader.schema, layout.schema)) {
      throw new ArrowSealError('ARROW_INVALID', 'group schema differs from the sealed header')
    }
    const first = reader.next()
    const batch = first.done ? undefined : first.value
    // arrow-js yields a placeholder subclass for a stream with no record batch; only a real one counts.
    if (!batch || Object.getPrototypeOf(batch) !== RecordBatch.prototype || !reader.next().done) {
      throw new ArrowSealError('ARROW_INVALID', 'group unit must hold exactly one record batch')
    }
    if (batch.numRows !== rows) throw new ArrowSealError('ARROW_INVALID', 'group row count differs from the frame')
    // batch.schema may mislabel duplicate names (see recordBatchOf); the columns' own types are the truth.
    const columns = batch.data.children
    const fields = layout.schema.fields
    if (columns.length !== fields.length || columns.some((c, k) => !typesEqual(c.type, fields[k]!.type))) {
      throw new ArrowSealError('ARROW_INVALID', 'group columns differ from the sealed header')
    }
    validateData(batch.data)
    return recordBatchOf(layout.schema, columns, rows)
  } catch (err) {
    throw asArrowSealError(err, 'ARROW_INVALID', 'group unit is not a valid Arrow IPC stream')
  }
}
