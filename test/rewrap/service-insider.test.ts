/**
 * Property 4 for gateway readers of a rewrapped stream (docs/format.md §Gateways added by a rewrap,
 * docs/threat-model.md §Rewrapping): the writer named no gateway, so its frames carry no frame signature; a rewrap
 * moved `analysts` to a gateway. A gateway reader, and the gateway itself, hold the group key (and the gateway its
 * stanza's MAC key), so they can write valid AEAD units, but not the layer's frame key: no frame they forge is
 * accepted by another gateway reader or a direct reader. Also the layer signature's own tamper cases, and the
 * rewrapper's check of it on its input.
 */
import { gcm } from '@noble/ciphers/aes.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { Table, tableFromArrays } from 'apache-arrow'
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { encodeGroupBatch } from '../../src/arrow/index.js'
import { ArrowSealError } from '../../src/errors.js'
import { concatBytes } from '../../src/format/bytes.js'
import { type HeaderChain, parseChain } from '../../src/format/chain.js'
import { FRAME_SIG_BYTES, LABEL, MAC_BYTES } from '../../src/format/constants.js'
import { deriveGroupKeys, frameMac, unitAad, unitNonce } from '../../src/format/derive.js'
import { parseFrame, writeFrame } from '../../src/format/frame.js'
import { unwrapForService } from '../../src/kas/service-view.js'
import { setupBaseR } from '../../src/keys/hpke.js'
import { nobleEd25519 } from '../../src/keys/sign.js'
import { rewrap } from '../../src/lifecycle/rewrap.js'
import { frameSigMessage } from '../../src/seal/frame-sig.js'
import type { OpenOptions } from '../../src/seal/options.js'
import { openTable } from '../../src/table.js'
import { id } from '../helpers/identities.js'
import { propertyRuns } from '../helpers/property-runs.js'
import { codeOf, join, splitStream } from '../helpers/streams.js'
import { fakeGateway } from '../kas/fake-gateway.js'
import { alice, bob, bySteward, carol, sealed, steward, stranger, writer } from './helpers.js'

const gw = id('rw-insider-gateway')
const both = [writer.publicKey, steward.publicKey]
const writers = [writer.publicKeyObject, steward.publicKeyObject]
const viaGateway = (who = stranger): OpenOptions => ({
  identity: who,
  trustedSigners: both,
  keyAccess: fakeGateway(gw, writers),
})
const direct = (who = bob): OpenOptions => ({ identity: who, trustedSigners: both })

let out: Uint8Array
let hb: Uint8Array
let frames: Uint8Array[]
let chain: HeaderChain
beforeAll(async () => {
  out = await rewrap(await sealed(), {
    ...bySteward,
    remove: [alice.publicKey],
    add: { analysts: [{ service: 'https://kas.example', key: gw.publicKey }] },
    dataset: 'sales',
  })
  ;({ header: hb, frames } = splitStream(out))
  chain = parseChain(hb)
})

/** Batch 0 with every amount 666: the public and email units copied, the amount unit valid under `groupKey`. */
function forged(groupKey: Uint8Array) {
  const original = parseFrame(frames[0]!.subarray(4), 3, chain.active.length, 1)
  const t = new Table([
    tableFromArrays({ id: Int32Array.of(1, 2, 3), amount: Float64Array.of(666, 666, 666) }).batches[0]!,
  ])
  const amount = encodeGroupBatch(
    t.batches[0]!.select(['amount']) as never,
    { positions: [1], schema: t.schema.select(['amount']) } as never,
  )
  const { encKey } = deriveGroupKeys(groupKey, chain.root.streamId)
  const aad = unitAad(sha256(chain.root.bytes), 0, 1, 3, false, 0)
  const units = [
    original.units[0]!,
    { groupId: 1, flags: 0, payload: gcm(encKey, unitNonce(0), aad).encrypt(amount) },
    original.units[2]!,
  ]
  const w = writeFrame(1, 0, 3, units, chain.active.length, true)
  // Copy every MAC and the layer's signature: what a forger without the frame key can do at best.
  for (const [i, m] of original.macs.entries()) w.macs.set(m, i * MAC_BYTES)
  w.signature!.set(original.signatures[0]!)
  return { w, original }
}

describe('gateway readers of a rewrapped stream (property 4)', () => {
  it('the untouched stream opens for a gateway reader and a direct one (the baseline)', async () => {
    expect((await openTable(out, viaGateway())).getChild('amount')!.get(0)).toBe(1.5)
    expect((await openTable(out, direct())).numRows).toBe(3)
  })

  it('a gateway reader cannot forge a frame another gateway reader or a direct reader accepts', async () => {
    const view = await unwrapForService(hb, gw, writers)
    const groupKey = view.groupKeys.get(1)!.slice() // what the gateway gives a reader of analysts
    const { w } = forged(groupKey)
    const copied = join(hb, w.frame, frames[1]!)
    // Or signed with a key of its own, over exactly what the layer signature covers.
    const resigned = w.frame.slice()
    const own = nobleEd25519.sign(new Uint8Array(32).fill(7), frameSigMessage(sha256(hb), sha256(w.body)))
    resigned.set(own, resigned.length - FRAME_SIG_BYTES)
    for (const tampered of [copied, join(hb, resigned, frames[1]!)]) {
      expect(await codeOf(openTable(tampered, viaGateway(carol)))).toBe('AUTH_FAILED')
      expect(await codeOf(openTable(tampered, direct()))).toBe('AUTH_FAILED')
      expect(await codeOf(openTable(tampered, direct(steward)))).toBe('AUTH_FAILED')
    }
  })

  it('the gateway itself, with its stanza and MAC key, cannot forge a frame a reader accepts', async () => {
    const me = chain.active.findIndex((a) => a.stanza.fingerprint.every((b, k) => b === gw.fingerprint[k]))
    const st = chain.active[me]!.stanza
    const ctx = setupBaseR(gw, st.enc, concatBytes(LABEL.stanzaInfo, chain.root.streamId))
    const payload = ctx.open(sha256(chain.layers[0]!.preamble), st.payload)
    const { w } = forged(payload.slice(4, 36))
    // Its own MAC is right: bound to the layer that wrapped its stanza.
    w.macs.set(frameMac(ctx.export(LABEL.macExport, 32), sha256(hb), sha256(w.body)), me * MAC_BYTES)
    const tampered = join(hb, w.frame, frames[1]!)
    expect(await codeOf(openTable(tampered, viaGateway(carol)))).toBe('AUTH_FAILED')
    expect(await codeOf(openTable(tampered, direct()))).toBe('AUTH_FAILED')
  })

  it('every reader refuses a flipped layer signature (AUTH_FAILED) and a dropped one (FORMAT_INVALID)', async () => {
    for (const [f, frame] of frames.entries()) {
      const flipped = frame.slice()
      flipped[flipped.length - 1]! ^= 0x10
      const parts = [...frames]
      parts[f] = flipped
      const bytes = join(hb, ...parts)
      expect(await codeOf(openTable(bytes, viaGateway()))).toBe('AUTH_FAILED')
      expect(await codeOf(openTable(bytes, direct()))).toBe('AUTH_FAILED')
      const dropped = frame.slice(0, frame.length - FRAME_SIG_BYTES)
      new DataView(dropped.buffer).setUint32(0, dropped.length - 4)
      parts[f] = dropped
      expect(await codeOf(openTable(join(hb, ...parts), viaGateway()))).toBe('FORMAT_INVALID')
    }
  })

  it('a later rewrapper refuses a frame whose layer signature does not verify, before writing it', async () => {
    const flipped = frames[0]!.slice()
    flipped[flipped.length - 1]! ^= 0x10
    const input = join(hb, flipped, frames[1]!)
    const again = { identity: steward, signer: steward, trustedSigners: both, remove: [bob.keyId] }
    expect(await codeOf(rewrap(input, again))).toBe('AUTH_FAILED')
  })

  it("a changed byte of the layer's service section is the rewrapper's SIGNATURE_INVALID, for readers and gateway", async () => {
    const url = Buffer.from(hb).lastIndexOf('kas.example')
    const changed = hb.slice()
    changed[url]! ^= 0x20 // 'k' → 'K': still a valid URL, so only the signature can catch it
    const bytes = join(changed, ...frames)
    expect(await codeOf(openTable(bytes, viaGateway()))).toBe('SIGNATURE_INVALID')
    expect(await codeOf(unwrapForService(changed, gw, writers))).toBe('SIGNATURE_INVALID')
  })

  it('a flipped bit anywhere: a gateway reader gets a typed error or exactly the original rows (property)', async () => {
    const rows = (t: Awaited<ReturnType<typeof openTable>>) => JSON.stringify(t.toArray().map((r) => r.toJSON()))
    const original = rows(await openTable(out, viaGateway()))
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: out.length - 1 }), fc.integer({ min: 0, max: 7 }), async (at, bit) => {
        const bytes = out.slice()
        bytes[at]! ^= 1 << bit
        try {
          // Another recipient's MAC is the only part this reader does not check: then the data is the same.
          expect(rows(await openTable(bytes, viaGateway()))).toBe(original)
        } catch (err) {
          if (!(err instanceof ArrowSealError)) throw err
          expect(err.code).toMatch(/^[A-Z_]+$/)
        }
      }),
      { numRuns: propertyRuns(60) },
    )
  }, 120_000)
})
