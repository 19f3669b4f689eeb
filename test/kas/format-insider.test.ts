/**
 * Property 4 with gateway readers (docs/format.md §Service recipients, docs/threat-model.md): a reader who got
 * group keys from a gateway, and the gateway itself, hold every key needed to write valid AEAD units, but not
 * the frame key, so neither can forge a frame that another reader accepts. Plus the frame signature's own tamper
 * cases: flipped (AUTH_FAILED), dropped (FORMAT_INVALID).
 */
import { gcm } from '@noble/ciphers/aes.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { Table, tableFromArrays } from 'apache-arrow'
import { describe, expect, it } from 'vitest'
import { encodeGroupBatch } from '../../src/arrow/index.js'
import { concatBytes } from '../../src/format/bytes.js'
import { FRAME_SIG_BYTES, LABEL, MAC_BYTES } from '../../src/format/constants.js'
import { deriveGroupKeys, frameMac, unitAad, unitNonce } from '../../src/format/derive.js'
import { parseFrame, writeFrame } from '../../src/format/frame.js'
import { parseHeader } from '../../src/format/header.js'
import { setupBaseR } from '../../src/keys/hpke.js'
import { nobleEd25519 } from '../../src/keys/sign.js'
import type { Policy } from '../../src/policy/policy.js'
import { frameSigMessage } from '../../src/seal/frame-sig.js'
import type { OpenOptions } from '../../src/seal/options.js'
import { openTable, sealTable } from '../../src/table.js'
import { id } from '../helpers/identities.js'
import { codeOf, join, splitStream } from '../helpers/streams.js'
import { fakeGateway } from './fake-gateway.js'

const writer = id('writer')
const kas = id('kas')
const insider = id('insider') // reads through the gateway
const victim = id('victim') // reads through the gateway too
const direct = id('direct') // has its own stanza
const URL = 'https://kas.example'
const recipients = { ra: [direct.publicKey], rb: [{ service: URL, key: kas.publicKey }] }
const policy: Policy = { fields: { id: 'public', y: ['ra', 'rb'] } }
const trusted = [writer.publicKey]
const viaGateway = (who: typeof insider): OpenOptions => ({
  identity: who,
  trustedSigners: trusted,
  keyAccess: fakeGateway(kas, [writer.publicKeyObject]),
})

async function sealedStream() {
  const t = new Table([tableFromArrays({ id: Int32Array.of(1), y: Int32Array.of(7) }).batches[0]!])
  const sealed = await sealTable(t, { signer: writer, recipients, policy })
  const { header: hb, frames } = splitStream(sealed)
  return { sealed, hb, frames, header: parseHeader(hb), hd: sha256(hb) }
}

/** A batch frame with y = 666 and id = 2, its units valid under the real group key (what any key holder can do). */
function forgedFrame(s: Awaited<ReturnType<typeof sealedStream>>, groupKey: Uint8Array): ReturnType<typeof writeFrame> {
  const forged = new Table([tableFromArrays({ id: Int32Array.of(2), y: Int32Array.of(666) }).batches[0]!])
  const batch = forged.batches[0]!
  const { encKey } = deriveGroupKeys(groupKey, s.header.streamId)
  const yPlain = encodeGroupBatch(
    batch.select(['y']) as never,
    { positions: [1], schema: forged.schema.select(['y']) } as never,
  )
  const units = [
    {
      groupId: 0,
      flags: 0,
      payload: encodeGroupBatch(
        batch.select(['id']) as never,
        { positions: [0], schema: forged.schema.select(['id']) } as never,
      ),
    },
    { groupId: 1, flags: 0, payload: gcm(encKey, unitNonce(0), unitAad(s.hd, 0, 1, 1, false, 0)).encrypt(yPlain) },
  ]
  return writeFrame(1, 0, 1, units, s.header.stanzas.length, true)
}

describe('insiders with gateway readers', () => {
  it('a gateway reader cannot forge a frame that another gateway reader or a direct reader accepts', async () => {
    const s = await sealedStream()
    // What the insider legitimately learns: the group key, from the gateway.
    const keys = new Map<number, Uint8Array>()
    await openTable(s.sealed, {
      ...viaGateway(insider),
      keyAccess: {
        async requestKeys(request) {
          const got = await fakeGateway(kas, [writer.publicKeyObject]).requestKeys(request)
          for (const [g, k] of got.groupKeys) keys.set(g, k.slice())
          return got
        },
      },
    })
    const w = forgedFrame(s, keys.get(1)!)
    const original = parseFrame(s.frames[0]!.subarray(4), 2, s.header.stanzas.length, true)
    // It can copy the MACs and the old signature, or sign with a key of its own; it cannot sign with the frame key.
    w.macs.set(original.macs[0]!, 0)
    w.macs.set(original.macs[1]!, MAC_BYTES)
    w.signature!.set(original.signature!)
    const copied = join(s.hb, w.frame, s.frames[1]!)
    const ownKey = new Uint8Array(32).fill(9)
    const resigned = w.frame.slice()
    resigned.set(nobleEd25519.sign(ownKey, frameSigMessage(s.hd, sha256(w.body))), resigned.length - FRAME_SIG_BYTES)
    const selfSigned = join(s.hb, resigned, s.frames[1]!)

    for (const tampered of [copied, selfSigned]) {
      expect(await codeOf(openTable(tampered, viaGateway(victim)))).toBe('AUTH_FAILED')
      expect(await codeOf(openTable(tampered, { identity: direct, trustedSigners: trusted }))).toBe('AUTH_FAILED')
    }
    // The untouched stream opens for both (so the refusals above are the forgery's).
    expect((await openTable(s.sealed, viaGateway(victim))).getChild('y')!.get(0)).toBe(7)
    expect((await openTable(s.sealed, { identity: direct, trustedSigners: trusted })).getChild('y')!.get(0)).toBe(7)
  })

  it('the gateway itself, holding its stanza and MAC key, cannot forge a frame a reader accepts', async () => {
    const s = await sealedStream()
    const i = s.header.stanzas.findIndex((st) => st.fingerprint.every((b, k) => b === kas.fingerprint[k]))
    const st = s.header.stanzas[i]!
    const ctx = setupBaseR(kas, st.enc, concatBytes(LABEL.stanzaInfo, s.header.streamId))
    const payload = ctx.open(sha256(s.header.preamble), st.payload)
    const groupKey = payload.slice(4, 36)
    const macKey = ctx.export(LABEL.macExport, 32)
    const w = forgedFrame(s, groupKey)
    const original = parseFrame(s.frames[0]!.subarray(4), 2, s.header.stanzas.length, true)
    w.macs.set(original.macs[1 - i]!, (1 - i) * MAC_BYTES)
    w.macs.set(frameMac(macKey, s.hd, sha256(w.body)), i * MAC_BYTES) // its own MAC is right
    w.signature!.set(original.signature!)
    const tampered = join(s.hb, w.frame, s.frames[1]!)
    expect(await codeOf(openTable(tampered, viaGateway(victim)))).toBe('AUTH_FAILED')
    expect(await codeOf(openTable(tampered, { identity: direct, trustedSigners: trusted }))).toBe('AUTH_FAILED')
  })

  it('every reader refuses a flipped frame signature (AUTH_FAILED) and a dropped one (FORMAT_INVALID)', async () => {
    const s = await sealedStream()
    for (const [f, frame] of s.frames.entries()) {
      for (const bit of [0, 255, 511]) {
        const flipped = frame.slice()
        flipped[flipped.length - FRAME_SIG_BYTES + (bit >> 3)]! ^= 1 << (bit & 7)
        const parts = [...s.frames]
        parts[f] = flipped
        const bytes = join(s.hb, ...parts)
        expect(await codeOf(openTable(bytes, viaGateway(victim)))).toBe('AUTH_FAILED')
        expect(await codeOf(openTable(bytes, { identity: direct, trustedSigners: trusted }))).toBe('AUTH_FAILED')
      }
      // Dropped: the frame is 64 bytes shorter, its length field says so.
      const dropped = frame.slice(0, frame.length - FRAME_SIG_BYTES)
      new DataView(dropped.buffer).setUint32(0, dropped.length - 4)
      const parts = [...s.frames]
      parts[f] = dropped
      const bytes = join(s.hb, ...parts)
      expect(await codeOf(openTable(bytes, viaGateway(victim)))).toBe('FORMAT_INVALID')
      expect(await codeOf(openTable(bytes, { identity: direct, trustedSigners: trusted }))).toBe('FORMAT_INVALID')
    }
  })
})
