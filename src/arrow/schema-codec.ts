/**
 * Compact encoding of one group's layout (field positions + Arrow schema), as carried in the sealed header.
 *
 * Bytes (all integers big-endian):
 * ```
 * u32 count                 number of top-level fields in the group
 * u32 positions[count]      original top-level field index of each, strictly ascending
 * Arrow IPC stream          exactly one Schema message (continuation 0xFFFFFFFF, int32 LE metadata length,
 *                           flatbuffer Message, no body) followed by EOS (0xFFFFFFFF 0x00000000), then nothing
 * ```
 * The schema message carries the group's fields with their metadata (dictionary ids, index and value types
 * included) and the schema-level metadata iff this group carries it. Reusing Arrow's own schema message keeps
 * every type representable without a second type grammar.
 *
 * @module
 */

import { Message, RecordBatchStreamWriter, Schema } from 'apache-arrow'
import { ArrowSealError, asArrowSealError } from '../errors.js'
import type { GroupLayout } from './layout.js'
import { aligned, scanStream } from './scan.js'
import { HEADER_SCHEMA } from './verify-metadata.js'

function invalid(what: string): ArrowSealError {
  return new ArrowSealError('ARROW_INVALID', `malformed group schema: ${what}`)
}

/**
 * Encodes a group layout in the compact form described in this module's documentation.
 *
 * @example
 * ```ts
 * const [pii] = planGroups(schema, [0, 0, null], 1, 0)
 * const bytes = encodeGroupSchema(pii!) // goes into the header (encrypted unless the schema is revealed)
 * ```
 */
export function encodeGroupSchema(layout: GroupLayout): Uint8Array {
  const { positions, schema } = layout
  if (positions.length !== schema.fields.length) throw new RangeError('layout positions and schema fields differ')
  let ipc: Uint8Array
  try {
    const writer = new RecordBatchStreamWriter()
    writer.reset(undefined, schema)
    writer.finish()
    ipc = writer.toUint8Array(true)
  } catch (err) {
    throw asArrowSealError(err, 'ARROW_INVALID', 'schema could not be serialised to Arrow IPC')
  }
  const out = new Uint8Array(4 + 4 * positions.length + ipc.byteLength)
  const view = new DataView(out.buffer)
  view.setUint32(0, positions.length)
  positions.forEach((p, k) => {
    if (!Number.isInteger(p) || p < 0 || p > 0xffffffff || (k > 0 && p <= positions[k - 1]!)) {
      throw new RangeError('layout positions must be strictly ascending u32 integers')
    }
    view.setUint32(4 + 4 * k, p)
  })
  out.set(ipc, 4 + 4 * positions.length)
  return out
}

/**
 * Decodes and bounds-checks bytes produced by {@link encodeGroupSchema}.
 *
 * @param limits.maxFields - upper bound on the stream's top-level field count: the group may hold at most this
 *   many fields and every position must be below it.
 * @throws ArrowSealError `ARROW_INVALID` on any malformed input (never another exception type, never a hang).
 *
 * @example
 * ```ts
 * const layout = decodeGroupSchema(bytes, { maxFields: 4096 })
 * console.log(layout.positions, layout.schema.fields.map((f) => f.name))
 * ```
 */
export function decodeGroupSchema(bytes: Uint8Array, limits: { maxFields: number }): GroupLayout {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('bytes must be a Uint8Array')
  const { maxFields } = limits
  if (!Number.isSafeInteger(maxFields) || maxFields < 0)
    throw new RangeError('maxFields must be a non-negative integer')
  try {
    if (bytes.byteLength < 4) throw invalid('truncated field count')
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    const count = view.getUint32(0)
    if (count > maxFields) throw new ArrowSealError('ARROW_INVALID', 'group has more fields than allowed')
    const ipcStart = 4 + 4 * count
    if (ipcStart > bytes.byteLength) throw invalid('truncated positions')
    const positions: number[] = []
    for (let k = 0; k < count; k++) {
      const p = view.getUint32(4 + 4 * k)
      if (p >= maxFields || (k > 0 && p <= positions[k - 1]!)) throw invalid('positions not ascending or too large')
      positions.push(p)
    }
    // arrow-js builds typed-array views over the message; they need 8-byte alignment, which a blob inside
    // a header at an arbitrary offset does not have.
    const ipc = aligned(bytes.subarray(ipcStart))
    const messages = scanStream(ipc)
    const only = messages[0]
    if (messages.length !== 1 || !only || only.tag !== HEADER_SCHEMA || only.bodyLength !== 0) {
      throw invalid('expected exactly one schema message')
    }
    const message = Message.decode(ipc.subarray(only.metadataStart, only.metadataStart + only.metadataLength))
    const schema = message.header()
    if (!(schema instanceof Schema)) throw invalid('expected a schema message')
    if (schema.fields.length !== count) throw invalid('field count differs from the schema')
    return { positions, schema }
  } catch (err) {
    throw asArrowSealError(err, 'ARROW_INVALID', 'group schema is not valid')
  }
}
