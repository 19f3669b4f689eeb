/**
 * Frame layout for writers that fill payloads in place: the same bytes as `writeFrame` in `format/frame.ts`
 * (format.md §Frames), but the fixed fields are written first and each unit's payload and each MAC get a view
 * to fill afterwards, so a sealed unit is written once, straight into the frame (or into a whole-table buffer).
 * @module
 */
import { FormatError } from '../errors.js'
import { FRAME_SIG_BYTES, HARD_LIMITS, MAC_BYTES } from '../format/constants.js'

/** Kind, index, rows, unit count. */
const FRAME_FIXED = 1 + 8 + 4 + 2
/** Group id, flags, payload length. */
const UNIT_FIXED = 2 + 1 + 4

/**
 * One unit's place in a frame.
 *
 * @example
 * ```ts
 * const shape: UnitShape = { groupId: 1, flags: 0, length: ipc.length + 16 }
 * ```
 */
export interface UnitShape {
  readonly groupId: number
  readonly flags: number
  /** Payload length in bytes (for a sealed unit: plaintext length + 16). */
  readonly length: number
}

/**
 * Views into a laid-out frame.
 *
 * @example
 * ```ts
 * const { payloads, macs } = layoutFrame(out, FRAME_KIND_BATCH, 0, rows, shapes, 1)
 * ```
 */
export interface FrameSlots {
  /** The whole frame, length field included. */
  readonly frame: Uint8Array
  /** Kind through the end of the units: what the frame digest covers. */
  readonly body: Uint8Array
  /** One view per unit, to fill with its payload. */
  readonly payloads: Uint8Array[]
  /** All MAC slots, 16 bytes per recipient. */
  readonly macs: Uint8Array
  /** The frame signature's slot (64 bytes) in a service-access stream, else null. */
  readonly signature: Uint8Array | null
}

/**
 * Bytes a frame takes, length field included; refuses a frame over the hard limit.
 *
 * @example
 * ```ts
 * const size = frameSize([{ groupId: 0, flags: 0, length: 100 }], 2)
 * ```
 */
export function frameSize(units: readonly UnitShape[], macCount: number, signed = false): number {
  let bodyLen = FRAME_FIXED
  for (const u of units) bodyLen += UNIT_FIXED + u.length
  const frameLen = bodyLen + 2 + macCount * MAC_BYTES + (signed ? FRAME_SIG_BYTES : 0)
  if (frameLen > HARD_LIMITS.maxFrameBytes) {
    throw new FormatError(
      'LIMIT_EXCEEDED',
      `a frame of ${frameLen} bytes exceeds the ${HARD_LIMITS.maxFrameBytes}-byte limit; write smaller batches`,
    )
  }
  return 4 + frameLen
}

/**
 * Writes a frame's fixed fields into `out` (exactly {@link frameSize} bytes) and returns views for the payloads
 * and MACs.
 *
 * @example
 * ```ts
 * const slots = layoutFrame(new Uint8Array(frameSize(units, 1)), FRAME_KIND_BATCH, 0, rows, units, 1)
 * slots.payloads[0]!.set(ciphertext)
 * ```
 */
export function layoutFrame(
  out: Uint8Array,
  kind: number,
  index: number,
  rows: number,
  units: readonly UnitShape[],
  macCount: number,
  signed = false,
): FrameSlots {
  const size = frameSize(units, macCount, signed)
  if (out.length !== size) throw new RangeError(`frame buffer is ${out.length} bytes, the frame needs ${size}`)
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength)
  view.setUint32(0, size - 4)
  view.setUint8(4, kind)
  view.setUint32(5, Math.floor(index / 0x1_0000_0000))
  view.setUint32(9, index >>> 0)
  view.setUint32(13, rows)
  view.setUint16(17, units.length)
  let pos = 4 + FRAME_FIXED
  const payloads: Uint8Array[] = []
  for (const u of units) {
    view.setUint16(pos, u.groupId)
    view.setUint8(pos + 2, u.flags)
    view.setUint32(pos + 3, u.length)
    pos += UNIT_FIXED
    payloads.push(out.subarray(pos, pos + u.length))
    pos += u.length
  }
  const body = out.subarray(4, pos)
  view.setUint16(pos, macCount)
  pos += 2
  const macs = out.subarray(pos, pos + macCount * MAC_BYTES)
  pos += macCount * MAC_BYTES
  return { frame: out, body, payloads, macs, signature: signed ? out.subarray(pos, pos + FRAME_SIG_BYTES) : null }
}
