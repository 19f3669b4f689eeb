/**
 * Property 4 (writer authenticity against insiders) and 6 (key commitment). These tests play the attacker with
 * real keys: a reader who legitimately holds a group key, and a writer who hands two readers different keys.
 */

import { gcm } from '@noble/ciphers/aes.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { Table, tableFromArrays } from 'apache-arrow'
import { describe, expect, it } from 'vitest'
import { encodeGroupBatch } from '../../src/arrow/index.js'
import { concatBytes } from '../../src/format/bytes.js'
import { LABEL, MAC_BYTES } from '../../src/format/constants.js'
import { deriveGroupKeys, frameMac, unitAad, unitNonce } from '../../src/format/derive.js'
import { parseFrame, writeFrame } from '../../src/format/frame.js'
import { encodeSignedPart, parseHeader } from '../../src/format/header.js'
import { setupBaseR, setupBaseS } from '../../src/keys/hpke.js'
import type { Identity } from '../../src/keys/identity.js'
import type { Policy } from '../../src/policy/policy.js'
import { openTable, sealTable } from '../../src/table.js'
import { id } from '../helpers/identities.js'
import { codeOf, join, splitStream } from '../helpers/streams.js'

const writer = id('writer')
const a = id('insider-a')
const b = id('victim-b')
const recipients = { ra: [a.publicKey], rb: [b.publicKey] }
const policy: Policy = { fields: { id: 'public', y: ['ra', 'rb'] } }

/** What a recipient learns from its stanza: the group keys and its own MAC key. */
function unwrap(header: ReturnType<typeof parseHeader>, who: Identity) {
  const i = header.stanzas.findIndex((s) => s.fingerprint.every((x, k) => x === who.fingerprint[k]))
  const st = header.stanzas[i]!
  const ctx = setupBaseR(who, st.enc, concatBytes(LABEL.stanzaInfo, header.streamId))
  const payload = ctx.open(sha256(header.preamble), st.payload)
  const keys = new Map<number, Uint8Array>()
  for (let o = 2; o < payload.length; o += 34)
    keys.set((payload[o]! << 8) | payload[o + 1]!, payload.slice(o + 2, o + 34))
  return { index: i, keys, macKey: ctx.export(LABEL.macExport, 32), ctx }
}

describe('insiders', () => {
  it('a reader holding a group key cannot forge a batch that another reader accepts', async () => {
    const t = new Table([tableFromArrays({ id: Int32Array.of(1), y: Int32Array.of(7) }).batches[0]!])
    const sealed = await sealTable(t, { signer: writer, recipients, policy })
    const { header: hb, frames } = splitStream(sealed)
    const header = parseHeader(hb)
    const hd = sha256(hb)
    const me = unwrap(header, a)
    const frame = parseFrame(frames[0]!.subarray(4), header.groups.length, header.stanzas.length)

    // The insider rewrites y = 7 as y = 666 in the sealed group and id = 1 as id = 2 in the public group,
    // with valid AEAD tags under the real group key.
    const forged = new Table([tableFromArrays({ id: Int32Array.of(2), y: Int32Array.of(666) }).batches[0]!])
    expect(header.groups.length).toBe(2)
    const batch = forged.batches[0]!
    const pubLayout = { positions: [0], schema: forged.schema.select(['id']) }
    const yLayout = { positions: [1], schema: forged.schema.select(['y']) }
    const { encKey } = deriveGroupKeys(me.keys.get(1)!, header.streamId)
    const yPlain = encodeGroupBatch(batch.select(['y']) as never, yLayout as never)
    const yCt = gcm(encKey, unitNonce(0), unitAad(hd, 0, 1, 1, false, 0)).encrypt(yPlain)
    const units = [
      { groupId: 0, flags: 0, payload: encodeGroupBatch(batch.select(['id']) as never, pubLayout as never) },
      { groupId: 1, flags: 0, payload: yCt },
    ]
    const w = writeFrame(1, 0, 1, units, header.stanzas.length)
    const digest = sha256(w.body)
    // The insider can make its own MAC valid and copy the victim's old MAC, but not compute the victim's.
    w.macs.set(frameMac(me.macKey, hd, digest), me.index * MAC_BYTES)
    const victim = 1 - me.index
    w.macs.set(frame.macs[victim]!, victim * MAC_BYTES)
    const tampered = join(hb, w.frame, frames[1]!)

    // The forgery is well-formed: the insider itself would accept it (so the AEAD layer alone cannot help b) ...
    const selfCheck = await openTable(tampered, { identity: a, trustedSigners: [writer.publicKey] })
    expect(selfCheck.getChild('y')!.get(0)).toBe(666)
    // ... but the victim refuses it.
    expect(await codeOf(openTable(tampered, { identity: b, trustedSigners: [writer.publicKey] }))).toBe('AUTH_FAILED')
  })

  it('a reader refuses a group key that does not match the header commitment', async () => {
    // A dishonest writer gives b a different key for the shared group than a. Schema revealed and no batches,
    // so nothing but the commitment check could notice.
    const empty = new Table(tableFromArrays({ id: Int32Array.of(1), y: Int32Array.of(7) }).schema)
    const sealed = await sealTable(empty, { signer: writer, recipients, policy, revealSchema: true })
    const { header: hb, frames } = splitStream(sealed)
    const header = parseHeader(hb)
    const theirs = unwrap(header, b)
    const other = new Uint8Array(32).fill(9)
    const payload = new Uint8Array(2 + 34)
    payload[1] = 1
    payload.set([0, 1], 2)
    payload.set(other, 4)
    expect([...theirs.keys.keys()]).toEqual([1])
    const ctx = setupBaseS(b.publicKeyObject, concatBytes(LABEL.stanzaInfo, header.streamId))
    const stanzas = header.stanzas.map((s) =>
      s.fingerprint.every((x, k) => x === b.fingerprint[k])
        ? { ...s, enc: ctx.enc, payload: ctx.seal(sha256(header.preamble), payload) }
        : s,
    )
    const signed = encodeSignedPart({ ...header, stanzas })
    const newHeader = join(signed, writer.sign(LABEL.headerSignature, signed))
    // The writer knows every MAC key, so it re-authenticates the end frame for the new header.
    const hd = sha256(newHeader)
    const end = writeFrame(2, 0, 0, [], 2)
    const endDigest = sha256(end.body)
    const aIndex = unwrap(header, a).index
    end.macs.set(frameMac(unwrap(header, a).macKey, hd, endDigest), aIndex * MAC_BYTES)
    end.macs.set(frameMac(ctx.export(LABEL.macExport, 32), hd, endDigest), (1 - aIndex) * MAC_BYTES)
    expect(frames.length).toBe(1)
    const forged = join(newHeader, end.frame)
    // Both readers accept the honest stream, and a still accepts the forged one (its stanza is untouched) ...
    await openTable(sealed, { identity: b, trustedSigners: [writer.publicKey] })
    await openTable(forged, { identity: a, trustedSigners: [writer.publicKey] })
    // ... but b's key does not reproduce the commitment, so b refuses.
    expect(await codeOf(openTable(forged, { identity: b, trustedSigners: [writer.publicKey] }))).toBe('AUTH_FAILED')
  })
})
