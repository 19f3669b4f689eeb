/**
 * The plaintext of a recipient stanza (format.md §Writing the header, step 4): the group keys it carries. Parsing
 * is shared by readers and gateways, writing by the sealer and the rewrapper.
 * @module
 */
import { FormatError } from '../errors.js'
import { ByteReader, ByteWriter } from '../format/bytes.js'
import { GROUP_KEY_BYTES, GROUP_KIND_PUBLIC, LABEL } from '../format/constants.js'
import type { ParsedHeader, StanzaEntry } from '../format/header.js'
import { setupBaseS } from '../keys/hpke.js'
import type { PublicKey } from '../keys/public-key.js'
import { type RandomSource, webRandom } from './random.js'
import type { Runtime } from './runtime.js'

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

/** Everything the stanzas of one header share when they are written. */
export interface StanzaContext {
  /** `"arrowseal/v1 stanza" ‖ stream_id`: the HPKE info. */
  readonly info: Uint8Array
  /** The padded plaintext length, the same for every stanza of the header (format.md, stanza padding). */
  readonly stanzaBytes: number
  /** SHA-256 of the preamble the stanzas are bound to (their AAD). */
  readonly preambleDigest: Uint8Array
  readonly anonymous: boolean
  readonly random: RandomSource
  readonly runtime: Runtime
}

/**
 * Writes one recipient's stanza (format.md §Writing the header, step 4) and returns it with that recipient's frame
 * MAC key. Shared by the sealer and the rewrapper, which write stanzas the same way.
 * @internal
 */
export function sealStanza(
  key: PublicKey,
  groups: readonly number[],
  groupKey: (group: number) => Uint8Array,
  c: StanzaContext,
): { stanza: StanzaEntry; macKey: Uint8Array } {
  // With the default randomness the encapsulation draws its own, so the post-quantum provider may encapsulate
  // natively (node:crypto takes no message); injected randomness (golden files) stays byte-exact on noble.
  // The encapsulation randomness is as secret as the shared secret it derives: wipe it once used.
  const eseed = c.random === webRandom ? undefined : c.random(64)
  const ctx = setupBaseS(key, c.info, { eseed, x25519: c.runtime.x25519 })
  eseed?.fill(0)
  const payload = new ByteWriter(c.stanzaBytes).u16(groups.length)
  for (const g of groups) payload.u16(g).put(groupKey(g))
  payload.reserve(c.stanzaBytes - payload.offset) // left zero: a ByteWriter starts zero-filled
  const plaintext = payload.done()
  const stanza: StanzaEntry = {
    // Anonymous recipients: the field is zero, and readers find their stanza by trial decryption.
    fingerprint: c.anonymous ? new Uint8Array(32) : key.fingerprint,
    enc: ctx.enc,
    payload: ctx.seal(c.preambleDigest, plaintext),
  }
  plaintext.fill(0)
  return { stanza, macKey: ctx.export(LABEL.macExport, 32) }
}
