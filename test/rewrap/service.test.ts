/**
 * Rewraps that add key-access gateways (docs/format.md §Gateways added by a rewrap): moving a role from its direct
 * readers to a gateway in one rewrap, reading through the gateway (whole and streamed), a later rewrap that keeps or
 * removes the gateway, gateways on both the writer's header and a layer, what `inspect` shows, and the options that
 * are refused. The gateway is an in-process provider running the real `unwrapForService`.
 */
import type { Table } from 'apache-arrow'
import { describe, expect, it } from 'vitest'
import { parseChain } from '../../src/format/chain.js'
import { inspect } from '../../src/inspect.js'
import { unwrapForService } from '../../src/kas/service-view.js'
import { rewrap } from '../../src/lifecycle/rewrap.js'
import type { RewrapOptions } from '../../src/lifecycle/rewrap-options.js'
import { openTable, openTableWithInfo } from '../../src/table.js'
import { id } from '../helpers/identities.js'
import { codeOf, openStreamed, splitStream } from '../helpers/streams.js'
import { fakeGateway } from '../kas/fake-gateway.js'
import { alice, bob, bySteward, carol, sealed, steward, stranger, unitDigests, writer } from './helpers.js'

const gw = id('rw-gateway')
const gw2 = id('rw-gateway-2')
const URL = 'https://kas.example/v1'
const both = [writer.publicKey, steward.publicKey]
const gateway = (g = gw) => fakeGateway(g, [writer.publicKeyObject, steward.publicKeyObject])
const viaGateway = (who = stranger, g = gw) => ({ identity: who, trustedSigners: both, keyAccess: gateway(g) })
const amounts = (t: Table) => Array.from(t.getChild('amount')!.toArray() as Float64Array)

/** The stream of helpers.ts (stewards: steward, analysts: alice, support: bob) with analysts moved to `gw`. */
async function moved(dataset = 'sales') {
  const input = await sealed()
  const out = await rewrap(input, {
    ...bySteward,
    remove: [alice.publicKey],
    add: { analysts: [{ service: URL, key: gw.publicKey }] },
    dataset,
  })
  return { input, out }
}

describe('moving a role to a gateway in one rewrap', () => {
  it("removes the role's reader, and gateway readers of the role open the rewrapped stream", async () => {
    const { input, out } = await moved()
    expect(unitDigests(out)).toEqual(unitDigests(input))
    const { table, keyAccess, rewrappers } = await openTableWithInfo(out, viaGateway())
    expect(table.schema.fields.map((f) => f.name)).toEqual(['id', 'amount'])
    expect(amounts(table)).toEqual([1.5, 2.5, 3.5])
    expect(keyAccess).toMatchObject({ url: URL, dataset: 'sales', rolesGranted: ['analysts'] })
    expect(rewrappers.map((k) => k.keyId)).toEqual([steward.keyId])
    expect(amounts(await openStreamed(out, viaGateway(), 97))).toEqual([1.5, 2.5, 3.5])
    // The removed direct reader is refused; the kept ones still read, and check the layer's frame signature too.
    expect(await codeOf(openTable(out, { identity: alice, trustedSigners: both }))).toBe('NOT_A_RECIPIENT')
    expect((await openTable(out, { identity: bob, trustedSigners: both })).schema.fields.map((f) => f.name)).toEqual([
      'id',
      'email',
    ])
    expect((await openTable(out, { identity: steward, trustedSigners: both })).numRows).toBe(3)
  })

  it('asks the gateway with the whole outermost header, and the gateway must trust the rewrapper', async () => {
    const { out } = await moved()
    const g = gateway()
    await openTable(out, { identity: stranger, trustedSigners: both, keyAccess: g })
    const header = splitStream(out).header
    expect(Buffer.from(g.requests[0]!.header).equals(Buffer.from(header))).toBe(true)
    const view = await unwrapForService(header, gw, [writer.publicKeyObject, steward.publicKeyObject])
    expect([...view.roles]).toEqual([['analysts', [1]]])
    expect(Buffer.from(view.signer).equals(Buffer.from(writer.fingerprint))).toBe(true)
    // Every signer of the chain must be trusted by the gateway, as by a reader.
    expect(await codeOf(unwrapForService(header, gw, [writer.publicKeyObject]))).toBe('SIGNER_UNTRUSTED')
    expect(await codeOf(unwrapForService(header, gw, [steward.publicKeyObject]))).toBe('SIGNER_UNTRUSTED')
    // Another gateway, and a direct reader asking as a gateway, hold no service stanza.
    expect(await codeOf(unwrapForService(header, gw2, both.map(toKey)))).toBe('NOT_A_RECIPIENT')
    expect(await codeOf(unwrapForService(header, bob, both.map(toKey)))).toBe('NOT_A_RECIPIENT')
  })

  it('a later rewrap keeps the gateway (its signature copied), or removes it (the gateway then refuses)', async () => {
    const { out } = await moved()
    const kept = await rewrap(out, { identity: steward, signer: steward, trustedSigners: both, remove: [bob.keyId] })
    expect(amounts(await openTable(kept, viaGateway()))).toEqual([1.5, 2.5, 3.5])
    expect(await codeOf(openTable(kept, { identity: bob, trustedSigners: both }))).toBe('NOT_A_RECIPIENT')
    const dropped = await rewrap(out, { identity: steward, signer: steward, trustedSigners: both, remove: [gw.keyId] })
    expect(await codeOf(openTable(dropped, viaGateway()))).toBe('NOT_A_RECIPIENT')
    expect(await codeOf(unwrapForService(splitStream(dropped).header, gw, both.map(toKey)))).toBe('NOT_A_RECIPIENT')
    expect(inspect(dropped).services).toBeUndefined()
    // The frames still carry the first layer's signature, and every reader still checks it.
    expect((await openTable(dropped, { identity: bob, trustedSigners: both })).numRows).toBe(3)
  })

  it('a gateway of the writer and one added by a rewrap both serve their roles', async () => {
    const input = await sealed({
      recipients: {
        stewards: [steward.publicKey],
        analysts: [alice.publicKey],
        support: [{ service: 'https://kas.writer.example', key: gw2.publicKey }],
      },
      dataset: 'sales',
    })
    const out = await rewrap(input, { ...bySteward, add: { analysts: [{ service: URL, key: gw.publicKey }] } })
    const info = inspect(out)
    expect(info.services?.map((s) => [s.url, s.dataset, s.layer, s.roles.map((r) => r.name)])).toEqual([
      ['https://kas.writer.example', 'sales', 0, ['support']],
      [URL, 'sales', 1, ['analysts']], // the dataset defaults to the one the stream's gateways name
    ])
    expect(info.rewraps?.[0]?.frameKeyId).toMatch(/^[0-9a-f]{16}$/)
    expect(info.frames).toMatchObject({ batches: 1, ended: true })
    const viaWriters = { ...viaGateway(stranger, gw2), keyAccessRoles: ['support'] }
    expect((await openTable(out, viaWriters)).schema.fields.map((f) => f.name)).toEqual(['id', 'email'])
    const viaLayer = { ...viaGateway(carol), keyAccessRoles: ['analysts'] }
    expect(amounts(await openTable(out, viaLayer))).toEqual([1.5, 2.5, 3.5])
    expect((await openTable(out, { identity: alice, trustedSigners: both })).numRows).toBe(3)
  })

  it('inspect shows which roles go through the gateway after the rewrap', async () => {
    const { input, out } = await moved()
    expect(inspect(input).services).toBeUndefined()
    const info = inspect(out)
    expect(info.services).toEqual([
      {
        url: URL,
        dataset: 'sales',
        roles: [{ name: 'analysts', groups: [1] }],
        recipient: { fingerprint: expect.any(String), keyId: gw.keyId },
        layer: 1,
      },
    ])
    expect(info.frameKeyId).toBeUndefined() // the writer named no gateway: the frame key is the layer's
    expect(info.rewraps?.[0]).toMatchObject({ kept: 2, added: 1, frameKeyId: expect.any(String) })
    expect(parseChain(splitStream(out).header).layers[0]!.service?.services[0]?.stanzaIndex).toBe(0)
  })

  it('refuses what a sealer refuses: a bad dataset, a key named as reader and gateway, two URLs for one key', async () => {
    const input = await sealed()
    const base = bySteward
    const svc = { service: URL, key: gw.publicKey }
    const cases: Pick<RewrapOptions, 'add' | 'dataset'>[] = [
      { add: { analysts: [svc] }, dataset: 'a\u0000b' },
      { add: { analysts: [svc], support: [gw.publicKey] } },
      { add: { analysts: [svc], support: [{ service: 'https://other.example', key: gw.publicKey }] } },
      { add: { analysts: [{ service: 'ftp://kas.example', key: gw.publicKey }] } },
    ]
    for (const c of cases) expect(await codeOf(rewrap(input, { ...base, ...c }))).toBe('POLICY_INVALID')
    // A rewrapper that does not hold the role's groups cannot wrap them to a gateway either.
    const asBob = { ...base, identity: bob, signer: bob, add: { analysts: [svc] } }
    expect(await codeOf(rewrap(input, asBob))).toBe('REWRAP_NOT_ENTITLED')
  })
})

function toKey(k: string) {
  return k === writer.publicKey ? writer.publicKeyObject : steward.publicKeyObject
}
