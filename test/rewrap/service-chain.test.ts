/**
 * The checks of a rewrap layer's service section (src/format/chain.ts, src/kas/service-view.ts), each on its own:
 * layers are re-encoded from a real rewrap that added a gateway, with one field changed. A section entry may name
 * only the layer's own stanzas (not an earlier layer's, though those are active too); flag bit 2 without a section
 * is malformed; and a rewrapper, though trusted, whose entry claims groups its gateway stanza does not carry gets
 * nothing from the gateway. Also anonymous recipients: a gateway added to such a stream finds its stanza by trial.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { beforeAll, describe, expect, it } from 'vitest'
import { concatBytes } from '../../src/format/bytes.js'
import { encodeRewrapSigned, parseChain, type RewrapFields, type RewrapLayer } from '../../src/format/chain.js'
import { HEADER_FLAG_SERVICE_ACCESS, LABEL } from '../../src/format/constants.js'
import { signatureBytes } from '../../src/format/header.js'
import type { ServiceSection } from '../../src/format/service.js'
import { inspect } from '../../src/inspect.js'
import { unwrapForService } from '../../src/kas/service-view.js'
import { rewrap } from '../../src/lifecycle/rewrap.js'
import { openTable } from '../../src/table.js'
import { id } from '../helpers/identities.js'
import { codeOf, splitStream } from '../helpers/streams.js'
import { fakeGateway } from '../kas/fake-gateway.js'
import { alice, bySteward, carol, sealed, steward, stranger, writer } from './helpers.js'

const gw = id('rw-chain-gateway')
const writers = [writer.publicKeyObject, steward.publicKeyObject]
const svc = (key = gw.publicKey) => ({ service: 'https://kas.example', key })
let layer: RewrapLayer
let fields: RewrapFields

beforeAll(async () => {
  // carol (direct) and the gateway added in one layer: the layer has two stanzas, the gateway's second.
  const out = await rewrap(await sealed(), {
    ...bySteward,
    remove: [alice.publicKey],
    add: { support: [carol.publicKey], analysts: [svc()] },
  })
  const chain = parseChain(splitStream(out).header)
  layer = chain.layers[0]!
  fields = {
    flags: layer.flags,
    streamId: chain.root.streamId,
    signer: layer.signer,
    session: layer.session,
    previous: chain.root.bytes,
    kept: layer.kept,
    stanzas: layer.stanzas,
    service: layer.service,
  }
})

/** The layer re-encoded with `change`, signed by the steward (so only the check under test can refuse it). */
function relayer(change: Partial<RewrapFields>): Uint8Array {
  const signed = encodeRewrapSigned({ ...fields, ...change })
  return concatBytes(signed, steward.sign(LABEL.headerSignature, signed))
}
const section = (over: Partial<ServiceSection['services'][number]>): ServiceSection => ({
  frameKey: layer.service!.frameKey,
  services: [{ ...layer.service!.services[0]!, ...over }],
})

describe("a rewrap layer's service section", () => {
  it('re-encodes to the bytes signed, and re-signed still serves the gateway (the baseline)', async () => {
    expect(Buffer.from(encodeRewrapSigned(fields)).equals(Buffer.from(layer.signed))).toBe(true)
    const bytes = relayer({})
    expect(layer.service?.services[0]?.stanzaIndex).toBe(1)
    expect([...(await unwrapForService(bytes, gw, writers)).roles.keys()]).toEqual(['analysts'])
  })

  it("names only the layer's own stanzas: an index past them is FORMAT_INVALID, though the chain has more", () => {
    // 2 stanzas in the layer, 4 active recipients: index 2 and 3 are active, but not this layer's.
    expect(() => parseChain(relayer({ service: section({ stanzaIndex: 2 }) }))).toThrow(
      expect.objectContaining({ code: 'FORMAT_INVALID' }),
    )
  })

  it('flag bit 2 without a section, or a section without bit 2, is refused', () => {
    const noSection = encodeRewrapSigned({
      ...fields,
      flags: fields.flags & ~HEADER_FLAG_SERVICE_ACCESS,
      service: null,
    })
    // Set the bit by hand: the encoder refuses to write the inconsistent layer.
    noSection[15 + 1]! |= HEADER_FLAG_SERVICE_ACCESS
    const bytes = concatBytes(noSection, new Uint8Array(signatureBytes(layer.suite)))
    expect(() => parseChain(bytes)).toThrow(expect.objectContaining({ code: 'TRUNCATED' }))
    expect(() => encodeRewrapSigned({ ...fields, service: null })).toThrow(TypeError)
  })

  it("a trusted rewrapper's entry claiming a group its gateway stanza lacks: the gateway refuses (FORMAT_INVALID)", async () => {
    const bytes = relayer({ service: section({ roles: [{ name: 'analysts', groups: [1, 2] }] }) })
    expect(parseChain(bytes).layers[0]!.service!.services[0]!.roles[0]!.groups).toEqual([1, 2])
    expect(await codeOf(unwrapForService(bytes, gw, writers))).toBe('FORMAT_INVALID')
  })

  it("an entry naming the layer's direct reader is no service: the gateway finds its stanza unnamed", async () => {
    const bytes = relayer({ service: section({ stanzaIndex: 0 }) })
    expect(await codeOf(unwrapForService(bytes, gw, writers))).toBe('NOT_A_RECIPIENT')
    expect(sha256(bytes)).not.toEqual(sha256(layer.bytes))
  })
})

describe('gateways added to an anonymous-recipients stream', () => {
  it('the gateway finds its stanza by trial, and its readers open the stream', async () => {
    const input = await sealed({ anonymousRecipients: true })
    const out = await rewrap(input, { ...bySteward, add: { analysts: [svc()] } })
    const info = inspect(out)
    expect(info.services?.[0]?.recipient).toEqual({ fingerprint: null, keyId: null })
    const options = { identity: stranger, trustedSigners: [writer.publicKey, steward.publicKey] }
    const t = await openTable(out, { ...options, keyAccess: fakeGateway(gw, writers) })
    expect(t.schema.fields.map((f) => f.name)).toEqual(['id', 'amount'])
    expect(await codeOf(openTable(out, options))).toBe('NOT_A_RECIPIENT')
  })
})
