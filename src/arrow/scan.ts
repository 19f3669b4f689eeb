/**
 * Strict framing check of an Arrow IPC *stream* before arrow-js reads it.
 *
 * The encapsulated message format (Arrow columnar spec, "Encapsulated message format") is:
 * `0xFFFFFFFF` continuation, int32 LE metadata length, flatbuffer `Message`, padding to 8, then `bodyLength` body
 * bytes. The stream ends with `0xFFFFFFFF 0x00000000` (EOS). We require that exact shape — no legacy 4-byte
 * prefixes, no file format, nothing after EOS — and check every length against the real buffer length before
 * anything is sliced (`subarray` clamps silently, which would hide truncation).
 *
 * @module
 */

import { ArrowSealError } from '../errors.js'
import { type VerifiedMessage, verifyMessage } from './verify-metadata.js'

/**
 * One framed message: its header tag, batch length and field nodes, and where its metadata and body lie.
 *
 * @example
 * ```ts
 * const [schemaMsg] = scanStream(ipcBytes)
 * console.log(schemaMsg!.tag, schemaMsg!.metadataLength)
 * ```
 * @internal
 */
export interface ScannedMessage {
  tag: number
  /** Record batch (or dictionary batch) row count, 0 for schema messages. */
  length: number
  /** Field nodes as [length, nullCount, …] (see `VerifiedMessage.nodes`). */
  nodes: number[]
  metadataStart: number
  metadataLength: number
  bodyStart: number
  bodyLength: number
  /** Whether the metadata was byte-identical to the `known` metadata passed to {@link scanStream} (not re-walked). */
  known: boolean
}

/**
 * Message metadata that {@link verifyMessage} already accepted, with what it returned. {@link verifyMessage} is a
 * pure function of the metadata bytes, so byte-identical metadata needs no second walk.
 *
 * @example
 * ```ts
 * const [schema] = scanStream(firstUnit)
 * const meta = firstUnit.slice(schema!.metadataStart, schema!.metadataStart + schema!.metadataLength)
 * const known: KnownMetadata = { bytes: meta, message: verifyMessage(meta) }
 * scanStream(nextUnit, known) // walks every message but a byte-identical schema message
 * ```
 * @internal
 */
export interface KnownMetadata {
  readonly bytes: Uint8Array
  readonly message: VerifiedMessage
}

const CONTINUATION = 0xffffffff

/**
 * Plain byte equality, a word at a time when both sides allow it (message metadata is 4-byte aligned and a multiple
 * of 8 long). Not constant-time: both sides are authenticated plaintext the reader already holds.
 */
function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  const n = a.byteLength
  if (n !== b.byteLength) return false
  if (n % 4 === 0 && a.byteOffset % 4 === 0 && b.byteOffset % 4 === 0) {
    const wa = new Int32Array(a.buffer, a.byteOffset, n >>> 2)
    const wb = new Int32Array(b.buffer, b.byteOffset, n >>> 2)
    for (let i = 0; i < wa.length; i++) if (wa[i] !== wb[i]) return false
    return true
  }
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false
  return true
}

function invalid(what: string): ArrowSealError {
  return new ArrowSealError('ARROW_INVALID', `malformed Arrow IPC stream: ${what}`)
}

/** Reads the body length (int64 LE, slot 3 of `Message`) without materialising a bigint twice. */
function bodyLengthOf(meta: Uint8Array): number {
  const view = new DataView(meta.buffer, meta.byteOffset, meta.byteLength)
  const root = view.getInt32(0, true)
  const vt = root - view.getInt32(root, true)
  const vtSize = view.getInt16(vt, true)
  const slot = 4 + 2 * 3
  const off = slot < vtSize ? view.getInt16(vt + slot, true) : 0
  if (off === 0) return 0
  const lo = view.getUint32(root + off, true)
  const hi = view.getInt32(root + off + 4, true)
  if (hi < 0 || hi >= 0x200000) throw invalid('body length out of range')
  return hi * 0x100000000 + lo
}

/**
 * Splits IPC stream bytes into messages, verifying framing, metadata bounds and body bounds, and that the stream
 * ends with EOS at exactly the last byte.
 *
 * @param known - metadata verified before (a group's schema message): a message whose metadata is byte-identical
 *   reuses that verification result instead of walking the flatbuffer again. Every other check still runs.
 * @example
 * ```ts
 * const messages = scanStream(ipcBytes) // [{ tag: 1, ... }, { tag: 3, ... }]
 * ```
 * @internal
 */
export function scanStream(bytes: Uint8Array, known?: KnownMetadata): ScannedMessage[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const out: ScannedMessage[] = []
  let pos = 0
  for (;;) {
    if (pos + 8 > bytes.byteLength) throw invalid('truncated message prefix')
    if (view.getUint32(pos, true) !== CONTINUATION) throw invalid('missing continuation marker')
    const metadataLength = view.getInt32(pos + 4, true)
    pos += 8
    if (metadataLength === 0) break // EOS
    // Writers pad prefix + metadata to a multiple of 8 (spec: "padded to a multiple of 8 bytes").
    if (metadataLength < 0 || metadataLength % 8 !== 0) throw invalid('bad metadata length')
    if (metadataLength > bytes.byteLength - pos) throw invalid('truncated metadata')
    const meta = bytes.subarray(pos, pos + metadataLength)
    const same = known !== undefined && bytesEqual(meta, known.bytes)
    const { tag, length, nodes } = same ? known.message : verifyMessage(meta)
    const bodyLength = bodyLengthOf(meta)
    const bodyStart = pos + metadataLength
    if (bodyLength > bytes.byteLength - bodyStart) throw invalid('truncated body')
    out.push({ tag, length, nodes, metadataStart: pos, metadataLength, bodyStart, bodyLength, known: same })
    pos = bodyStart + bodyLength
  }
  if (pos !== bytes.byteLength) throw invalid('data after end-of-stream marker')
  return out
}

/**
 * Returns `bytes` if it starts on an 8-byte boundary, else an aligned copy. Arrow buffers are 8-byte aligned
 * within a message, so an aligned message start makes every typed-array view arrow-js creates valid.
 *
 * The copy is explicit: a Node `Buffer` is a Uint8Array whose `slice()` returns a view at the same offset, and
 * decrypted or streamed units are often Buffers. (Like arrow-js's own reader, it also copies a view reaching past
 * its ArrayBuffer, which some WHATWG stream implementations have produced.)
 *
 * @example
 * ```ts
 * const unit = aligned(frame.subarray(7)) // copied only when misaligned
 * ```
 */
export function aligned(bytes: Uint8Array): Uint8Array {
  if (bytes.byteOffset % 8 === 0 && bytes.byteOffset + bytes.byteLength <= bytes.buffer.byteLength) return bytes
  const copy = new Uint8Array(bytes.byteLength)
  copy.set(bytes)
  return copy
}
