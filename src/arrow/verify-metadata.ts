/**
 * Bounds verifier for Arrow IPC message metadata (the flatbuffer inside each encapsulated message).
 *
 * Why this exists: flatbuffers JS has no verifier, and arrow-js trusts every offset and vector length it reads.
 * A flipped bit in a vector length makes `decodeFieldNodes` loop up to 2^31 times over out-of-bounds reads (which
 * return `undefined` rather than throwing), i.e. a hang; a self-referencing `children` offset recurses forever. We
 * walk the same tables arrow-js will walk — following signed offsets exactly as flatbuffers JS does — and check
 * that every table, vtable, vector and string lies inside the buffer before arrow-js sees it. The walk is bounded
 * by a visit budget proportional to the metadata size, so shared sub-tables (a DAG) cannot blow up either.
 *
 * Field slot numbers follow `format/Message.fbs` and `format/Schema.fbs` of the Arrow specification (a union
 * takes two slots: its `_type` byte, then its value).
 *
 * @module
 */

import { ArrowSealError } from '../errors.js'

/**
 * Arrow `MessageHeader` union tag of a Schema message (Message.fbs).
 * @example
 * ```ts
 * if (verifyMessageMetadata(meta) === HEADER_SCHEMA) console.log('schema message')
 * ```
 * @internal
 */
export const HEADER_SCHEMA = 1
/**
 * Arrow `MessageHeader` union tag of a DictionaryBatch message (Message.fbs).
 * @example
 * ```ts
 * if (verifyMessageMetadata(meta) === HEADER_DICTIONARY_BATCH) console.log('dictionary batch')
 * ```
 * @internal
 */
export const HEADER_DICTIONARY_BATCH = 2
/**
 * Arrow `MessageHeader` union tag of a RecordBatch message (Message.fbs).
 * @example
 * ```ts
 * if (verifyMessageMetadata(meta) === HEADER_RECORD_BATCH) console.log('record batch')
 * ```
 * @internal
 */
export const HEADER_RECORD_BATCH = 3

/** Arrow `Type` union tags with non-scalar members: 10 Timestamp (timezone string), 14 Union (typeIds vector). */
const TYPE_TIMESTAMP = 10
const TYPE_UNION = 14
const TYPE_MAX = 26

function invalid(what: string): ArrowSealError {
  return new ArrowSealError('ARROW_INVALID', `malformed Arrow IPC metadata: ${what}`)
}

class Walker {
  private budget: number
  private readonly view: DataView

  constructor(private readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
    // Every honest table occupies at least 4 bytes, so len/4 visits suffice; +16 covers tiny messages.
    this.budget = (buf.byteLength >>> 2) + 16
  }

  private i32(pos: number): number {
    if (pos < 0 || pos + 4 > this.buf.byteLength) throw invalid('offset out of bounds')
    return this.view.getInt32(pos, true)
  }

  private i16(pos: number): number {
    if (pos < 0 || pos + 2 > this.buf.byteLength) throw invalid('vtable out of bounds')
    return this.view.getInt16(pos, true)
  }

  private u8(pos: number): number {
    if (pos < 0 || pos >= this.buf.byteLength) throw invalid('scalar out of bounds')
    return this.buf[pos]!
  }

  /** Checks a table at `pos`; returns the absolute position of each present field slot (0 when absent). */
  table(pos: number, slots: number): number[] {
    if (--this.budget < 0) throw invalid('too many tables')
    const vt = pos - this.i32(pos)
    const vtSize = this.i16(vt)
    const tableSize = this.i16(vt + 2)
    if (vtSize < 4 || (vtSize & 1) !== 0 || tableSize < 4) throw invalid('bad vtable')
    if (vt + vtSize > this.buf.byteLength || pos + tableSize > this.buf.byteLength) throw invalid('table out of bounds')
    const out: number[] = []
    for (let s = 0; s < slots; s++) {
      const entry = 4 + 2 * s
      const off = entry < vtSize ? this.i16(vt + entry) : 0
      if (off < 0 || (off !== 0 && off >= tableSize)) throw invalid('field offset out of table')
      out.push(off === 0 ? 0 : pos + off)
    }
    return out
  }

  /** Follows a uoffset field to a sub-table position. */
  ref(fieldPos: number): number {
    const target = fieldPos + this.i32(fieldPos)
    if (target < 0 || target >= this.buf.byteLength) throw invalid('reference out of bounds')
    return target
  }

  /** Checks a vector of `elemSize`-byte elements; returns [start of elements, count]. */
  vector(fieldPos: number, elemSize: number): [number, number] {
    const [start, n] = this.bytes(fieldPos, elemSize)
    if (n > this.budget) throw invalid('vector too long')
    return [start, n]
  }

  // A vector's bounds alone: for strings, whose bytes are never visited one by one, so that a metadata value
  // may be most of the message (pandas and Parquet writers store kilobytes of JSON in one value).
  private bytes(fieldPos: number, elemSize: number): [number, number] {
    const at = this.ref(fieldPos)
    const n = this.i32(at)
    if (n < 0 || at + 4 + n * elemSize > this.buf.byteLength) throw invalid('vector out of bounds')
    return [at + 4, n]
  }

  string(fieldPos: number): void {
    this.bytes(fieldPos, 1)
  }

  tables(fieldPos: number, visit: (pos: number) => void): void {
    if (fieldPos === 0) return
    const [start, n] = this.vector(fieldPos, 4)
    for (let i = 0; i < n; i++) visit(this.ref(start + 4 * i))
  }

  keyValues(fieldPos: number): void {
    this.tables(fieldPos, (kv) => {
      const [key, value] = this.table(kv, 2)
      if (key) this.string(key)
      if (value) this.string(value)
    })
  }

  field(pos: number, depth: number): void {
    if (depth > 64) throw invalid('type nesting too deep')
    const [name, , typeType, type, dictionary, children, metadata] = this.table(pos, 7)
    if (name) this.string(name)
    const tag = typeType ? this.u8(typeType) : 0
    if (tag > TYPE_MAX) throw invalid('unknown type tag')
    if (type) {
      const member = this.ref(type)
      if (tag === TYPE_TIMESTAMP) {
        const [, tz] = this.table(member, 2)
        if (tz) this.string(tz)
      } else if (tag === TYPE_UNION) {
        const [, typeIds] = this.table(member, 2)
        if (typeIds) this.vector(typeIds, 4)
      } else {
        this.table(member, 0)
      }
    }
    if (dictionary) {
      const [, indexType] = this.table(this.ref(dictionary), 4)
      if (indexType) this.table(this.ref(indexType), 0)
    }
    this.tables(children!, (child) => this.field(child, depth + 1))
    this.keyValues(metadata!)
  }

  schema(pos: number): void {
    const [, fields, metadata, features] = this.table(pos, 4)
    this.tables(fields!, (f) => this.field(f, 0))
    this.keyValues(metadata!)
    if (features) this.vector(features, 8)
  }

  /** Row count and field nodes of the last record batch (or dictionary batch data) walked. */
  batchLength = 0
  nodes: number[] = []

  /** An int64 in [min, 2^53 - 1], `min` being 0 or -1. Read as two 32-bit halves: no BigInt per field node. */
  private i64(pos: number, min: 0 | -1 = 0): number {
    if (pos < 0 || pos + 8 > this.buf.byteLength) throw invalid('scalar out of bounds')
    const lo = this.view.getUint32(pos, true)
    const hi = this.view.getInt32(pos + 4, true)
    // hi ≤ 0x1fffff is exactly v ≤ 2^53 - 1 (Number.MAX_SAFE_INTEGER); the only negative value allowed is -1.
    if (hi >= 0 && hi <= 0x1fffff) return hi * 0x100000000 + lo
    if (min === -1 && hi === -1 && lo === 0xffffffff) return -1
    throw invalid('length out of range')
  }

  recordBatch(pos: number): void {
    const [length, nodes, buffers, compression, variadic] = this.table(pos, 5)
    this.batchLength = length ? this.i64(length) : 0
    this.nodes = []
    if (nodes) {
      // FieldNode is a 16-byte struct { length: int64, null_count: int64 } (Message.fbs).
      const [start, n] = this.vector(nodes, 16)
      // arrow-js writes null_count -1 ("unknown") for sliced arrays, so -1 is accepted there.
      for (let i = 0; i < n; i++) this.nodes.push(this.i64(start + 16 * i), this.i64(start + 16 * i + 8, -1))
    }
    const bufferCount = buffers ? this.vector(buffers, 16)[1] : 0
    // arrowseal never writes compressed bodies (units are encrypted; compression under encryption leaks sizes),
    // and a decompressor fed attacker-chosen lengths is a memory bomb if a codec happens to be registered.
    if (compression) throw invalid('compressed record batch bodies are not accepted')
    if (variadic) {
      // Each count makes arrow-js take that many further buffers: bound them by the buffers actually listed
      // (a flipped high bit would otherwise make it build a 2^24+ element array).
      const [start, n] = this.vector(variadic, 8)
      let total = 0
      for (let i = 0; i < n; i++) total += this.i64(start + 8 * i)
      if (total > bufferCount) throw invalid('variadic buffer counts exceed the buffers listed')
    }
  }

  /** Verifies a whole `Message` table and returns its header tag. */
  message(): number {
    this.batchLength = 0
    this.nodes = []
    const root = this.i32(0)
    const [, headerType, header, , metadata] = this.table(root, 5)
    const tag = headerType ? this.u8(headerType) : 0
    if (!header) throw invalid('message without header')
    const h = this.ref(header)
    if (tag === HEADER_SCHEMA) this.schema(h)
    else if (tag === HEADER_RECORD_BATCH) this.recordBatch(h)
    else if (tag === HEADER_DICTIONARY_BATCH) {
      const [, data] = this.table(h, 3)
      if (!data) throw invalid('dictionary batch without data')
      this.recordBatch(this.ref(data))
    } else throw invalid('unsupported message type')
    this.keyValues(metadata!)
    return tag
  }
}

/**
 * Verifies that one message's flatbuffer metadata is self-consistent and within bounds, so arrow-js can decode it
 * without hanging or recursing without end. Returns the message header tag (1, 2 or 3).
 *
 * @example
 * ```ts
 * const tag = verifyMessageMetadata(flatbufferBytes) // throws ArrowSealError('ARROW_INVALID') when malformed
 * ```
 * @internal
 */
export function verifyMessageMetadata(metadata: Uint8Array): number {
  return verifyMessage(metadata).tag
}

/**
 * What {@link verifyMessage} learned: the header tag and, for (dictionary) record batches, length and nodes.
 *
 * @example
 * ```ts
 * const { tag, length } = verifyMessage(flatbufferBytes)
 * if (tag === HEADER_RECORD_BATCH && length !== rows) throw new Error('row count mismatch')
 * ```
 * @internal
 */
export interface VerifiedMessage {
  tag: number
  /** Row count of the record batch (or of the dictionary batch's data). */
  length: number
  /** Field nodes flattened as [length0, nullCount0, length1, nullCount1, …], in Arrow's depth-first order. */
  nodes: number[]
}

/**
 * Like {@link verifyMessageMetadata}, and also returns the batch length and field nodes so callers can bound
 * them before arrow-js acts on them (arrow-js pads any top-level column shorter or longer than the batch with a
 * freshly allocated validity bitmap, so a flipped length bit would otherwise cost hundreds of megabytes).
 *
 * @example
 * ```ts
 * const { tag, length, nodes } = verifyMessage(flatbufferBytes)
 * ```
 * @internal
 */
export function verifyMessage(metadata: Uint8Array): VerifiedMessage {
  if (metadata.byteLength < 8) throw invalid('message too short')
  const walker = new Walker(metadata)
  const tag = walker.message()
  return { tag, length: walker.batchLength, nodes: walker.nodes }
}
