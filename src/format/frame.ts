/**
 * Frame encoding and structural parsing (format.md §Frames). A frame is one batch (one unit per access group)
 * or the end marker, followed by one MAC per recipient. Parsing checks structure, limits and ordering fields;
 * the reader authenticates the frame (its MAC, then each unit's AEAD tag) before anything is decoded.
 * @module
 */
import { FormatError } from '../errors.js'
import { ByteReader, ByteWriter } from './bytes.js'
import {
  FRAME_KIND_BATCH,
  FRAME_KIND_END,
  FRAME_SIG_BYTES,
  HARD_LIMITS,
  MAC_BYTES,
  UNIT_FLAG_DEFLATE,
} from './constants.js'

/** One unit as written: the group it belongs to, its flags and its payload (ciphertext, or IPC for public). */
export interface UnitBytes {
  readonly groupId: number
  readonly flags: number
  readonly payload: Uint8Array
}

/** A frame parsed from `frameLen` bytes (everything after the length field). All byte fields are views. */
export interface ParsedFrame {
  readonly kind: typeof FRAME_KIND_BATCH | typeof FRAME_KIND_END
  readonly index: number
  readonly rows: number
  readonly units: readonly UnitBytes[]
  /** Kind through the end of the units: what the frame digest covers. */
  readonly body: Uint8Array
  readonly macs: readonly Uint8Array[]
  /** The frame signature (64 bytes) of a service-access stream (header flag bit 2), else null: the first of `signatures`. */
  readonly signature: Uint8Array | null
  /**
   * Every frame signature, in order: one per header of the chain with flag bit 2 (the root's first, then each
   * rewrap layer's that added gateways; format.md §Rewrapped streams). Empty when there is none.
   */
  readonly signatures: readonly Uint8Array[]
}

/** Bytes of the frame fields before the units: kind, index, rows, unit count. */
const FRAME_FIXED = 1 + 8 + 4 + 2
const UNIT_FIXED = 2 + 1 + 4

/**
 * Builds a frame's bytes (including the leading length field), leaving the MAC slots to be filled. This is the
 * plain reference encoder of the spec: the writer itself uses `seal/frame-layout.ts`, which seals in place and
 * produces the same bytes; tests use this one to craft frames an attacker could send.
 */
export function writeFrame(
  kind: number,
  index: number,
  rows: number,
  units: readonly UnitBytes[],
  macCount: number,
  signed = false,
): { frame: Uint8Array; body: Uint8Array; macs: Uint8Array; signature: Uint8Array | null } {
  let bodyLen = FRAME_FIXED
  for (const u of units) bodyLen += UNIT_FIXED + u.payload.length
  const frameLen = bodyLen + 2 + macCount * MAC_BYTES + (signed ? FRAME_SIG_BYTES : 0)
  if (frameLen > HARD_LIMITS.maxFrameBytes) {
    throw new FormatError(
      'LIMIT_EXCEEDED',
      `a frame of ${frameLen} bytes exceeds the ${HARD_LIMITS.maxFrameBytes}-byte limit; write smaller batches`,
    )
  }
  const w = new ByteWriter(4 + frameLen)
  w.u32(frameLen).u8(kind).u64(index).u32(rows).u16(units.length)
  for (const u of units) w.u16(u.groupId).u8(u.flags).u32(u.payload.length).put(u.payload)
  w.u16(macCount)
  const macs = w.reserve(macCount * MAC_BYTES)
  const signature = signed ? w.reserve(FRAME_SIG_BYTES) : null
  const frame = w.done()
  return { frame, body: frame.subarray(4, 4 + bodyLen), macs, signature }
}

/** The reads a frame parse needs: a ByteReader over one buffer, or a PartsReader over the chunks it came in. */
export interface FrameCursor {
  readonly offset: number
  u8(field: string): number
  u16(field: string): number
  u32(field: string): number
  u64(field: string): number
  bytes(n: number, field: string): Uint8Array
  skip(n: number, field: string): void
  readonly remaining: number
  end(): void
}

/** Where a unit's payload lies in its frame (offset from the frame kind byte). */
export interface UnitPlace {
  readonly groupId: number
  readonly flags: number
  readonly offset: number
  readonly length: number
}

/** A frame's structure with its units as places, read without the payloads having to be in one buffer. */
export interface FrameLayout {
  readonly kind: typeof FRAME_KIND_BATCH | typeof FRAME_KIND_END
  readonly index: number
  readonly rows: number
  readonly units: readonly UnitPlace[]
  /** Bytes from the kind through the end of the units: what the frame digest covers. */
  readonly bodyLength: number
  readonly macs: readonly Uint8Array[]
  /** The first frame signature (the writer's on a service-access stream), or null. */
  readonly signature: Uint8Array | null
  /** Every frame signature, oldest header first (a rewrapped stream has one per header with flag bit 2). */
  readonly signatures: readonly Uint8Array[]
}

/**
 * Parses one frame. `groupCount`, `macCount` and `signed` come from the verified header: `signed` is the number of
 * frame signatures (true: one, a service-access header; a rewrapped stream has one per header with flag bit 2). A
 * batch frame must carry exactly one unit per group in group order, an end frame none, and a signed stream's
 * frames end with that many 64-byte signatures.
 */
export function parseFrame(
  bytes: Uint8Array,
  groupCount: number,
  macCount: number,
  signed: boolean | number = false,
): ParsedFrame {
  const f = readFrameLayout(new ByteReader(bytes, 'frame'), groupCount, macCount, signed)
  const units = f.units.map((u) => ({
    groupId: u.groupId,
    flags: u.flags,
    payload: bytes.subarray(u.offset, u.offset + u.length),
  }))
  const { kind, index, rows, macs, signature, signatures } = f
  return { kind, index, rows, units, body: bytes.subarray(0, f.bodyLength), macs, signature, signatures }
}

/**
 * {@link parseFrame}'s checks over any {@link FrameCursor}, stepping over the unit payloads: the rewrapper reads
 * a frame spread over the chunks it arrived in this way, and never needs the payloads in one buffer.
 */
export function readFrameLayout(
  r: FrameCursor,
  groupCount: number,
  macCount: number,
  signed: boolean | number,
): FrameLayout {
  const kind = r.u8('kind')
  if (kind !== FRAME_KIND_BATCH && kind !== FRAME_KIND_END)
    throw new FormatError('FORMAT_INVALID', `frame has unknown kind ${kind}`)
  const index = r.u64('batch index')
  if (index > HARD_LIMITS.maxBatches) throw new FormatError('LIMIT_EXCEEDED', `batch index ${index} exceeds the limit`)
  const rows = r.u32('row count')
  if (rows > HARD_LIMITS.maxRowsPerBatch)
    throw new FormatError('LIMIT_EXCEEDED', `batch of ${rows} rows exceeds the limit`)
  const unitCount = r.u16('unit count')
  const expectedUnits = kind === FRAME_KIND_BATCH ? groupCount : 0
  if (unitCount !== expectedUnits)
    throw new FormatError('FORMAT_INVALID', `frame has ${unitCount} units, expected ${expectedUnits}`)
  if (kind === FRAME_KIND_END && rows !== 0)
    throw new FormatError('FORMAT_INVALID', 'end frame must have a zero row count')
  const units: UnitPlace[] = []
  for (let i = 0; i < unitCount; i++) {
    const groupId = r.u16('unit group')
    if (groupId !== i)
      throw new FormatError('FORMAT_INVALID', `unit ${i} belongs to group ${groupId}; units must follow group order`)
    const flags = r.u8('unit flags')
    if ((flags & ~UNIT_FLAG_DEFLATE) !== 0) throw new FormatError('FORMAT_UNSUPPORTED', `unit ${i} has unknown flags`)
    const length = r.u32('unit length')
    const offset = r.offset
    r.skip(length, 'unit payload')
    units.push({ groupId, flags, offset, length })
  }
  const bodyLength = r.offset
  const count = r.u16('mac count')
  if (count !== macCount) throw new FormatError('FORMAT_INVALID', `frame has ${count} MACs, expected ${macCount}`)
  const macs: Uint8Array[] = []
  for (let i = 0; i < count; i++) macs.push(r.bytes(MAC_BYTES, 'mac'))
  const sigCount = signed === true ? 1 : signed === false ? 0 : signed
  if (r.remaining < sigCount * FRAME_SIG_BYTES)
    throw new FormatError('FORMAT_INVALID', 'the frame lacks its frame signature (the header has service recipients)')
  const signatures: Uint8Array[] = []
  for (let i = 0; i < sigCount; i++) signatures.push(r.bytes(FRAME_SIG_BYTES, 'frame signature'))
  r.end()
  return { kind, index, rows, units, bodyLength, macs, signature: signatures[0] ?? null, signatures }
}
