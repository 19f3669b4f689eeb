/**
 * Where every integer field of a sealed stream sits, and the boundary values the fuzzer writes into it: 0, 1,
 * the field's limit, limit + 1 and the largest value the field's width can hold (2^32 − 1 for u32 fields).
 */
import { HARD_LIMITS, HEADER_PREFIX_BYTES } from '../../src/format/constants.js'
import { parseFrame } from '../../src/format/frame.js'
import { parseHeader } from '../../src/format/header.js'
import { splitStream } from '../helpers/streams.js'

/** One integer field: absolute offset in the stream, width in bytes, and its values of interest. */
export interface IntField {
  readonly name: string
  readonly offset: number
  readonly size: 1 | 2 | 4 | 8
  readonly values: readonly number[]
}

const MAX = { 1: 0xff, 2: 0xffff, 4: 0xffff_ffff, 8: 2 ** 53 - 1 } as const

function boundaries(size: IntField['size'], limit?: number): number[] {
  const vals = new Set<number>([0, 1, 2, MAX[size]])
  if (size === 8) vals.add(0xffff_ffff).add(2 ** 32)
  if (limit !== undefined) {
    for (const v of [limit - 1, limit, limit + 1]) if (v >= 0 && v <= MAX[size]) vals.add(v)
  }
  return [...vals]
}

function field(name: string, offset: number, size: IntField['size'], limit?: number): IntField {
  return { name, offset, size, values: boundaries(size, limit) }
}

/** Every integer field of the header and of each frame, with offsets into `stream`. */
export function intFields(stream: Uint8Array): IntField[] {
  const { header: hb, frames } = splitStream(stream)
  const h = parseHeader(hb)
  const at = (v: Uint8Array) => v.byteOffset - stream.byteOffset
  const out: IntField[] = [
    field('version', 8, 1, 1),
    field('suite', 9, 2, 1),
    field('header body_length', 11, 4, HARD_LIMITS.maxHeaderBytes),
    field('header flags', HEADER_PREFIX_BYTES, 2, 1),
    field('group_count', 65, 2, HARD_LIMITS.maxGroups),
  ]
  for (const g of h.groups) {
    const schemaLenAt = at(g.schema) - 4
    const base = schemaLenAt - 4 - (g.commitment ? 32 : 0)
    out.push(
      field(`group ${g.id} id`, base, 2, h.groups.length),
      field(`group ${g.id} kind`, base + 2, 1, 1),
      field(`group ${g.id} flags`, base + 3, 1, 1),
      field(`group ${g.id} schema_length`, schemaLenAt, 4, HARD_LIMITS.maxSchemaBytes),
    )
    // The first u32 of a revealed schema blob is its field count.
    if (g.flags & 1) out.push(field(`group ${g.id} field count`, at(g.schema), 4, HARD_LIMITS.maxFieldsPerGroup))
  }
  const firstStanza = h.stanzas[0]!
  out.push(field('recipient_count', at(firstStanza.fingerprint) - 2, 2, HARD_LIMITS.maxRecipients))
  for (const [i, s] of h.stanzas.entries())
    out.push(field(`stanza ${i} payload_length`, at(s.payload) - 2, 2, s.payload.length))

  let o = hb.length
  for (const [f, frame] of frames.entries()) {
    const p = parseFrame(frame.subarray(4), h.groups.length, h.stanzas.length)
    out.push(
      field(`frame ${f} frame_length`, o, 4, HARD_LIMITS.maxFrameBytes),
      field(`frame ${f} kind`, o + 4, 1, 2),
      field(`frame ${f} index`, o + 5, 8, HARD_LIMITS.maxBatches),
      field(`frame ${f} rows`, o + 13, 4, HARD_LIMITS.maxRowsPerBatch),
      field(`frame ${f} unit_count`, o + 17, 2, h.groups.length),
    )
    for (const [u, unit] of p.units.entries()) {
      const lenAt = at(unit.payload) - 4
      out.push(
        field(`frame ${f} unit ${u} group_id`, lenAt - 3, 2, h.groups.length),
        field(`frame ${f} unit ${u} flags`, lenAt - 1, 1, 1),
        field(`frame ${f} unit ${u} length`, lenAt, 4, HARD_LIMITS.maxFrameBytes),
      )
    }
    out.push(field(`frame ${f} mac_count`, at(p.macs[0]!) - 2, 2, h.stanzas.length))
    o += frame.length
  }
  return out
}

/** A copy of `stream` with `f` set to `value` (big-endian). */
export function setField(stream: Uint8Array, f: IntField, value: number): Uint8Array {
  const out = stream.slice()
  const dv = new DataView(out.buffer)
  if (f.size === 1) dv.setUint8(f.offset, value)
  else if (f.size === 2) dv.setUint16(f.offset, value)
  else if (f.size === 4) dv.setUint32(f.offset, value)
  else {
    dv.setUint32(f.offset, Math.floor(value / 2 ** 32))
    dv.setUint32(f.offset + 4, value >>> 0)
  }
  return out
}

/**
 * Byte ranges [start, end) of the MACs of recipients other than `me`, in every frame. A reader checks only its own
 * MAC (format.md §Reading a frame), so a change confined to these bytes is invisible to it by design.
 */
export function foreignMacRanges(stream: Uint8Array, me: Uint8Array): [number, number][] {
  const { header: hb, frames } = splitStream(stream)
  const h = parseHeader(hb)
  const mine = h.stanzas.findIndex((s) => s.fingerprint.every((x, i) => x === me[i]))
  const out: [number, number][] = []
  for (const frame of frames) {
    const p = parseFrame(frame.subarray(4), h.groups.length, h.stanzas.length)
    for (const [i, mac] of p.macs.entries()) {
      if (i === mine) continue
      const at = mac.byteOffset - stream.byteOffset
      out.push([at, at + mac.length])
    }
  }
  return out
}
