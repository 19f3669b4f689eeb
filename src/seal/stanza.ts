/**
 * The plaintext of a recipient stanza (format.md §Writing the header, step 4): the group keys it carries. Shared
 * by readers and gateways, which parse the same bytes.
 * @module
 */
import { FormatError } from '../errors.js'
import { ByteReader } from '../format/bytes.js'
import { GROUP_KEY_BYTES, GROUP_KIND_PUBLIC } from '../format/constants.js'
import type { ParsedHeader } from '../format/header.js'

/**
 * Reads the group keys out of a verified stanza payload: u16 count, then (u16 group id, 32-byte key) pairs, then
 * zero padding.
 *
 * @example
 * ```ts
 * const keys = parseStanzaPayload(ctx.open(preambleDigest, stanza.payload), header) // Map of group id → key
 * ```
 * @internal
 */
export function parseStanzaPayload(payload: Uint8Array, header: Pick<ParsedHeader, 'groups'>): Map<number, Uint8Array> {
  const r = new ByteReader(payload, 'stanza')
  const count = r.u16('group count')
  const keys = new Map<number, Uint8Array>()
  let last = -1
  for (let i = 0; i < count; i++) {
    const id = r.u16('group id')
    if (id <= last || id >= header.groups.length || header.groups[id]!.kind === GROUP_KIND_PUBLIC) {
      throw new FormatError('FORMAT_INVALID', 'stanza names a group that is not a sealed group of this stream')
    }
    last = id
    keys.set(id, r.bytes(GROUP_KEY_BYTES, 'group key').slice())
  }
  // Padding (format.md, "stanza plaintext"): zero bytes only, so a payload has exactly one meaning. Unpadded
  // payloads of earlier writers have none.
  const padding = r.bytes(r.remaining, 'padding')
  if (padding.some((b) => b !== 0)) {
    for (const k of keys.values()) k.fill(0)
    throw new FormatError('FORMAT_INVALID', 'stanza padding is not all zero')
  }
  r.end()
  return keys
}
