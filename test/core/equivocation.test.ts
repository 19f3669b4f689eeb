/**
 * Writer equivocation (issue 20 item 2): two groups that claim one field position would let a writer show readers
 * of different groups different values for one field. These streams are made by a dishonest writer who holds
 * every key: it rewrites a group's positions, re-wraps every stanza to the new preamble, re-signs the header and
 * re-MACs the end frame, so only the position check can refuse them.
 */
import { gcm } from '@noble/ciphers/aes.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { Table, tableFromArrays } from 'apache-arrow'
import { describe, expect, it } from 'vitest'
import { concatBytes } from '../../src/format/bytes.js'
import { LABEL, MAC_BYTES } from '../../src/format/constants.js'
import { deriveGroupKeys, frameMac, SCHEMA_NONCE, schemaAad } from '../../src/format/derive.js'
import { writeFrame } from '../../src/format/frame.js'
import { encodePreamble, encodeSignedPart, type GroupEntry, parseHeader } from '../../src/format/header.js'
import { setupBaseR, setupBaseS } from '../../src/keys/hpke.js'
import type { Identity } from '../../src/keys/identity.js'
import { openTable, sealTable } from '../../src/table.js'
import { id } from '../helpers/identities.js'
import { codeOf, join, splitStream } from '../helpers/streams.js'

const writer = id('writer')
const a = id('equivocation-a')
const b = id('equivocation-b')
const readers = [a, b]
const empty = new Table(tableFromArrays({ id: Int32Array.of(1), x: Int32Array.of(2), y: Int32Array.of(3) }).schema)
const options = {
  signer: writer,
  recipients: { ra: [a.publicKey], rb: [b.publicKey] },
  policy: { fields: { id: 'public' as const, x: ['ra'], y: ['rb'] } },
}

function payloadOf(header: ReturnType<typeof parseHeader>, who: Identity): Uint8Array {
  const st = header.stanzas.find((s) => s.fingerprint.every((v, k) => v === who.fingerprint[k]))!
  const ctx = setupBaseR(who, st.enc, concatBytes(LABEL.stanzaInfo, header.streamId))
  return ctx.open(sha256(header.preamble), st.payload)
}

/** The group keys a stanza payload carries (u16 count, then u16 id ‖ 32-byte key pairs). */
function keysOf(payload: Uint8Array): Map<number, Uint8Array> {
  const keys = new Map<number, Uint8Array>()
  for (let o = 2; o < payload.length; o += 34)
    keys.set((payload[o]! << 8) | payload[o + 1]!, payload.slice(o + 2, o + 34))
  return keys
}

/** Writes `positions` into a plaintext group schema blob (same count, so the length is unchanged). */
function withPositions(blob: Uint8Array, positions: number[]): Uint8Array {
  const out = blob.slice()
  for (const [k, p] of positions.entries()) new DataView(out.buffer).setUint32(4 + 4 * k, p)
  return out
}

/**
 * The dishonest writer: applies `edit` to the groups (given each sealed group's plaintext schema and key),
 * re-wraps each reader's original stanza payload to the new preamble, re-signs and re-MACs the end frame.
 */
function equivocate(
  sealed: Uint8Array,
  edit: (g: GroupEntry, plain: Uint8Array, encKey: Uint8Array | null) => Uint8Array,
) {
  const { header: hb } = splitStream(sealed)
  const header = parseHeader(hb)
  const payloads = readers.map((r) => payloadOf(header, r))
  const keys = new Map<number, Uint8Array>()
  for (const p of payloads) for (const [g, k] of keysOf(p)) keys.set(g, k)
  const groups = header.groups.map((g) => {
    const key = keys.get(g.id)
    const encKey = key ? deriveGroupKeys(key, header.streamId).encKey : null
    const revealed = (g.flags & 1) !== 0
    const plain =
      revealed || !encKey ? g.schema : gcm(encKey, SCHEMA_NONCE, schemaAad(header.streamId, g.id)).decrypt(g.schema)
    const next = edit(g, plain, encKey)
    const schema =
      revealed || !encKey ? next : gcm(encKey, SCHEMA_NONCE, schemaAad(header.streamId, g.id)).encrypt(next)
    return { ...g, schema }
  })
  const preamble = encodePreamble({ ...header, groups })
  const macKeys: Uint8Array[] = []
  const stanzas = readers.map((r, i) => {
    const ctx = setupBaseS(r.publicKeyObject, concatBytes(LABEL.stanzaInfo, header.streamId))
    macKeys.push(ctx.export(LABEL.macExport, 32))
    return { fingerprint: r.fingerprint, enc: ctx.enc, payload: ctx.seal(sha256(preamble), payloads[i]!) }
  })
  const signed = encodeSignedPart({ ...header, groups, stanzas })
  const newHeader = join(signed, writer.sign(LABEL.headerSignature, signed))
  const hd = sha256(newHeader)
  const end = writeFrame(2, 0, 0, [], stanzas.length)
  const endDigest = sha256(end.body)
  for (const [i, k] of macKeys.entries()) end.macs.set(frameMac(k, hd, endDigest), i * MAC_BYTES)
  return join(newHeader, end.frame)
}

const trust = { trustedSigners: [writer.publicKey] }

describe('writer equivocation', () => {
  it('the crafted streams are otherwise valid: an unedited re-signing opens for both readers', async () => {
    const sealed = await sealTable(empty, { ...options, revealSchema: true })
    const same = equivocate(sealed, (_g, plain) => plain)
    for (const r of readers) expect((await openTable(same, { identity: r, ...trust })).numCols).toBe(2)
  })

  it('refuses revealed group schemas that claim one position, for every party, before any key is used', async () => {
    const sealed = await sealTable(empty, { ...options, revealSchema: true })
    // x is at position 1 (group 1); the writer claims position 1 for y (group 2) as well.
    const forged = equivocate(sealed, (g, plain) => (g.id === 2 ? withPositions(plain, [1]) : plain))
    expect(() => parseHeader(splitStream(forged).header)).toThrow(expect.objectContaining({ code: 'FORMAT_INVALID' }))
    // Reader a never decodes group 2, so without the header check it would accept the stream.
    for (const r of readers) expect(await codeOf(openTable(forged, { identity: r, ...trust }))).toBe('FORMAT_INVALID')
  })

  it('refuses a sealed group that claims a public field position', async () => {
    const sealed = await sealTable(empty, { ...options, revealSchema: true })
    const forged = equivocate(sealed, (g, plain) => (g.id === 1 ? withPositions(plain, [0]) : plain))
    expect(await codeOf(openTable(forged, { identity: a, ...trust }))).toBe('FORMAT_INVALID')
  })

  it('refuses hidden group schemas that claim one position, for a reader of both groups', async () => {
    const both = { ...options, recipients: { ra: [a.publicKey], rb: [a.publicKey, b.publicKey] } }
    const sealed = await sealTable(empty, both)
    const forged = equivocate(sealed, (g, plain) => (g.id === 2 ? withPositions(plain, [1]) : plain))
    // a reads groups 1 and 2 and sees the overlap; b reads only group 2 and cannot (format.md §Header).
    expect(await codeOf(openTable(forged, { identity: a, ...trust }))).toBe('FORMAT_INVALID')
    expect((await openTable(forged, { identity: b, ...trust })).schema.fields.map((f) => f.name)).toEqual(['id', 'y'])
  })
})
