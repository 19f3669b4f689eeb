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
import { verifyMessage } from './verify-metadata.js'

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
}

const CONTINUATION = 0xffffffff

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
 * @example
 * ```ts
 * const messages = scanStream(ipcBytes) // [{ tag: 1, ... }, { tag: 3, ... }]
 * ```
 * @internal
 */
export function scanStream(bytes: Uint8Array): ScannedMessage[] {
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
    const { tag, length, nodes } = verifyMessage(meta)
    const bodyLength = bodyLengthOf(meta)
    const bodyStart = pos + metadataLength
    if (bodyLength > bytes.byteLength - bodyStart) throw invalid('truncated body')
    out.push({ tag, length, nodes, metadataStart: pos, metadataLength, bodyStart, bodyLength })
    pos = bodyStart + bodyLength
  }
  if (pos !== bytes.byteLength) throw invalid('data after end-of-stream marker')
  return out
}

/**
 * Returns `bytes` if it starts on an 8-byte boundary, else an aligned copy. Arrow buffers are 8-byte aligned
 * within a message, so an aligned message start makes every typed-array view arrow-js creates valid.
 *
 * @example
 * ```ts
 * const unit = aligned(frame.subarray(7)) // copied only when misaligned
 * ```
 */
export function aligned(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset % 8 === 0 ? bytes : bytes.slice()
}
