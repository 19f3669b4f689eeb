/**
 * One access group's columns of one record batch → an Arrow IPC stream held as a list of parts.
 *
 * arrow-js's stream writer emits a unit as small metadata chunks plus *views* of the columns' own buffers; only
 * `toUint8Array()` copies them into one contiguous array. The hot path does not need that copy: the AEAD can read
 * the parts in order and write the ciphertext straight into the frame, so the column bytes are read once (by
 * AES) instead of being copied first. Concatenating the parts gives exactly the bytes `toUint8Array()` would.
 *
 * @module
 */

import { AsyncByteQueue, type Data, type RecordBatch, RecordBatchStreamWriter, type Vector } from 'apache-arrow'
import { ArrowSealError, asArrowSealError } from '../errors.js'
import { concatAll } from '../format/bytes.js'
import { recordBatchOf } from './batch.js'
import { compactDictionaries } from './dictionary-compact.js'
import { typesEqual } from './equality.js'
import type { GroupLayout } from './layout.js'
import { ValidityAssembler } from './validity.js'
import { unsliceViews } from './views.js'

/**
 * An IPC stream as the writer produced it: its parts in order (views, some of them into the caller's column
 * buffers) and their total length.
 *
 * @example
 * ```ts
 * const unit: IpcParts = encodeGroupParts(batch, layout)
 * const bytes = joinParts(unit) // the contiguous IPC stream
 * ```
 */
export interface IpcParts {
  readonly parts: readonly Uint8Array[]
  readonly length: number
}

/** A sink for arrow-js's writer that keeps each chunk as written instead of queueing it for a reader. */
class PartsSink extends AsyncByteQueue {
  readonly parts: Uint8Array[] = []
  length = 0
  override write(value: ArrayBufferView | ArrayBufferLike | Uint8Array): void {
    // The writer passes Uint8Array views (it converts before writing); anything else is a bug we want to see.
    if (!(value instanceof Uint8Array)) throw new TypeError('arrow-js wrote a chunk that is not a Uint8Array')
    if (value.byteLength === 0) return
    this.parts.push(value)
    this.length += value.byteLength
  }
}

/**
 * A stream writer that emits a schema message encoded once per group instead of re-encoding it (a flatbuffer
 * build of every field, name and metadata) for every unit; with 1k-row batches that was a large share of the
 * encode phase. The bytes are those arrow-js's own `_writeSchema` produced for the same schema.
 */
class UnitWriter extends RecordBatchStreamWriter {
  readonly #schemaMessage: Uint8Array
  constructor(schemaMessage: Uint8Array) {
    super()
    this.#schemaMessage = schemaMessage
  }
  protected override _writeSchema(): this {
    this._write(this.#schemaMessage)
    return this
  }
  // Always a validity bitmap, so null presence does not show in unit sizes (see ValidityAssembler). Units are never
  // compressed at the Arrow level (readers refuse compressed bodies), so arrow-js's compression step is not needed.
  protected override _assembleRecordBatch(batch: RecordBatch | Vector) {
    const { byteLength, nodes, bufferRegions, buffers, variadicBufferCounts } = ValidityAssembler.assembleBatch(batch)
    return { byteLength, nodes, bufferRegions, buffers, variadicBufferCounts }
  }
}

// Per layout (one per group per stream), the encoded schema message: layouts are immutable once planned.
const schemaMessages = new WeakMap<GroupLayout, Uint8Array>()

function schemaMessageOf(layout: GroupLayout): Uint8Array {
  let bytes = schemaMessages.get(layout)
  if (!bytes) {
    const sink = new PartsSink()
    new RecordBatchStreamWriter().reset(sink, layout.schema)
    bytes = joinParts(sink)
    schemaMessages.set(layout, bytes)
  }
  return bytes
}

/**
 * Serialises the columns of `batch` selected by `layout` as one Arrow IPC stream (schema, the dictionaries those
 * columns use, one record batch, EOS), returned as parts. Record-batch custom metadata is not carried.
 *
 * Columns are matched by index and their *data* types checked against `layout.schema` (not `batch.schema`'s
 * names: arrow-js can mislabel duplicate names, see {@link recordBatchOf}); names and metadata come from the layout.
 * The parts alias the batch's buffers: use them before the caller can change the batch.
 *
 * @throws ArrowSealError `ARROW_INVALID` when a column at `layout.positions` is missing or its type differs from
 *   `layout.schema`, or arrow-js cannot serialise it.
 *
 * @example
 * ```ts
 * const [pub, pii] = planGroups(batch.schema, [0, 1], 2, 0)
 * const { parts, length } = encodeGroupParts(batch, pii!)
 * ```
 */
export function encodeGroupParts(batch: RecordBatch, layout: GroupLayout): IpcParts {
  const { positions, schema } = layout
  if (positions.length !== schema.fields.length) throw new RangeError('layout positions and schema fields differ')
  const children: Data[] = []
  for (let k = 0; k < positions.length; k++) {
    const i = positions[k]!
    const child = batch.data.children[i]
    const type = schema.fields[k]!.type
    // Identity first: batches of one table usually share the very type objects the layout was planned from.
    if (!child || (child.type !== type && !typesEqual(child.type, type))) {
      throw new ArrowSealError('ARROW_INVALID', `record batch field ${i} does not match the sealed schema`)
    }
    children.push(compactDictionaries(unsliceViews(child)))
  }
  try {
    const sink = new PartsSink()
    const writer = new UnitWriter(schemaMessageOf(layout))
    writer.reset(sink)
    writer.write(recordBatchOf(schema, children, batch.numRows))
    writer.finish()
    return { parts: sink.parts, length: sink.length }
  } catch (err) {
    throw asArrowSealError(err, 'ARROW_INVALID', 'record batch could not be serialised to Arrow IPC')
  }
}

/**
 * The parts as one contiguous array (the part itself when there is only one).
 *
 * @example
 * ```ts
 * joinParts({ parts: [Uint8Array.of(1), Uint8Array.of(2)], length: 2 }) // Uint8Array [1, 2]
 * ```
 */
export function joinParts(unit: IpcParts): Uint8Array {
  return unit.parts.length === 1 ? unit.parts[0]! : concatAll(unit.parts)
}
