// Moving a role to a gateway by rewrap, end to end against the real gateway: the in-process fastify server with
// a real store and audit log and the real `unwrapForService` (on each store backend). A stream sealed to direct
// readers is rewrapped so that `analysts` go through the gateway; an admin grants a reader; the reader opens with
// keyAccess and the receipt verifies; the removed direct reader is refused; a gateway that does not trust the
// rewrapper refuses. Then the same with the CLI: `rewrap --recipients` with a service entry, `inspect`, and
// `open --key-access header`.
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { sha256 } from '@noble/hashes/sha2.js'
import { tableFromArrays } from 'apache-arrow'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeAuditEvent } from '../../src/audit/event.js'
import { KeyAccessError } from '../../src/errors.js'
import { inspect } from '../../src/inspect.js'
import { keyAccessClient } from '../../src/kas/client.js'
import { keyPrincipal } from '../../src/kas/protocol.js'
import { unwrapForService } from '../../src/kas/service-view.js'
import { exportIdentity, identityFromSeed } from '../../src/keys/identity.js'
import { rewrap } from '../../src/lifecycle/rewrap.js'
import { nodeRuntime } from '../../src/node/runtime.js'
import type { Policy } from '../../src/policy/policy.js'
import { openTable, openTableWithInfo, sealTable } from '../../src/table.js'
import { buildCli, runCli, tempDir } from '../cli/helpers.js'
import { codeOf, splitStream } from '../helpers/streams.js'
import { BACKENDS } from '../store/backends.js'
import { admin, gatewayId, type Running, startGateway } from './gateway-helpers.js'

const seed = (n: number) => identityFromSeed(new Uint8Array(32).fill(n))
const writer = seed(141)
const steward = seed(142)
const alice = seed(143) // a direct analyst, removed by the rewrap
const bob = seed(144) // a direct support reader, kept
const carol = seed(145) // reads through the gateway once granted
const policy: Policy = { fields: { id: 'public', amount: ['analysts', 'stewards'], email: ['support', 'stewards'] } }
const trusted = [writer.publicKey, steward.publicKey]
const table = tableFromArrays({
  id: Int32Array.of(1, 2, 3),
  amount: Float64Array.of(9.5, 120, 7.25),
  email: ['a@x', 'b@x', 'c@x'],
})

async function gatewayOn(location: Parameters<typeof startGateway>[0], writers = [writer, steward]) {
  return startGateway(location, {
    unwrap: (header, gateway, w) => unwrapForService(header, gateway, w, { runtime: nodeRuntime }),
    trustedWriters: writers.map((i) => i.publicKeyObject),
  })
}

for (const backend of BACKENDS) {
  describe.skipIf(backend.skip !== null)(`moving a role to the real gateway by rewrap (${backend.name})`, () => {
    let g: Running
    let moved: Uint8Array
    beforeAll(async () => {
      g = await gatewayOn(backend.fresh())
      const sealed = await sealTable(table, {
        signer: writer,
        recipients: { stewards: [steward.publicKey], analysts: [alice.publicKey], support: [bob.publicKey] },
        policy,
      })
      moved = await rewrap(sealed, {
        identity: steward,
        signer: steward,
        trustedSigners: [writer.publicKey],
        policy,
        remove: [alice.publicKey],
        add: { analysts: [{ service: g.url, key: gatewayId.publicKey }] },
        dataset: 'sales',
      })
    })
    afterAll(async () => {
      await g?.close()
      await backend.cleanup()
    })

    it('seal direct → rewrap to the gateway → grant → open via keyAccess with a receipt → removed reader refused', async () => {
      const keyAccess = keyAccessClient({ gatewayKey: gatewayId.publicKey, retries: 0 })
      const asCarol = { identity: carol, trustedSigners: trusted, keyAccess }
      const before = await openTable(moved, asCarol).catch((e: unknown) => e)
      expect(before).toBeInstanceOf(KeyAccessError)
      expect((before as KeyAccessError).code).toBe('KAS_DENIED')

      const grant = {
        action: 'grant',
        principal: keyPrincipal(carol.publicKeyObject),
        role: 'analysts',
        dataset: 'sales',
      }
      expect((await admin(g.url, grant as never)).status).toBe(200)
      const { table: got, keyAccess: info } = await openTableWithInfo(moved, asCarol)
      expect(got.schema.fields.map((f) => f.name)).toEqual(['id', 'amount'])
      expect(Array.from(got.getChild('amount')!.toArray() as Float64Array)).toEqual([9.5, 120, 7.25])
      // The client verified the receipt (inclusion in a signed checkpoint); it records this grant of this header.
      const receipt = info!.receipt!
      const event = decodeAuditEvent(receipt.entry)
      expect(event.decision).toBe('grant')
      expect(event.rolesGranted).toEqual(['analysts'])
      expect(Buffer.from(event.headerDigest!).equals(Buffer.from(sha256(splitStream(moved).header)))).toBe(true)
      expect(receipt.index).toBeGreaterThanOrEqual(0)

      // The removed direct reader is refused, directly and (without a grant) through the gateway.
      expect(await codeOf(openTable(moved, { identity: alice, trustedSigners: trusted }))).toBe('NOT_A_RECIPIENT')
      const viaGw = await openTable(moved, { identity: alice, trustedSigners: trusted, keyAccess }).catch((e) => e)
      expect((viaGw as KeyAccessError).code).toBe('KAS_DENIED')
      // The kept direct reader is unaffected.
      expect((await openTable(moved, { identity: bob, trustedSigners: trusted })).numRows).toBe(3)

      const revoke = { ...grant, action: 'revoke' }
      expect((await admin(g.url, revoke as never)).status).toBe(200)
      expect(((await openTable(moved, asCarol).catch((e) => e)) as KeyAccessError).code).toBe('KAS_DENIED')
    })

    it('a gateway that trusts the writer but not the rewrapper refuses the rewrapped header', async () => {
      const other = await gatewayOn(backend.fresh(), [writer])
      try {
        const grant = {
          action: 'grant',
          principal: keyPrincipal(carol.publicKeyObject),
          role: 'analysts',
          dataset: '*',
        }
        expect((await admin(other.url, grant as never)).status).toBe(200)
        const keyAccess = keyAccessClient({ url: other.url, gatewayKey: gatewayId.publicKey, retries: 0 })
        const err = await openTable(moved, { identity: carol, trustedSigners: trusted, keyAccess }).catch((e) => e)
        expect((err as KeyAccessError).code).toBe('KAS_DENIED')
        expect((err as Error).message).toContain('SIGNER_UNTRUSTED')
      } finally {
        await other.close()
      }
    })
  })
}

describe.skipIf(BACKENDS[0]!.skip !== null)('the CLI moves a role to the real gateway', () => {
  let g: Running
  let cli: string
  let dir: string
  let cleanup: () => void
  const at = (n: string) => join(dir, n)
  beforeAll(async () => {
    cli = await buildCli()
    ;({ dir, cleanup } = tempDir('arrowseal-rewrap-gw-'))
    g = await gatewayOn(BACKENDS[0]!.fresh())
    for (const [name, who] of Object.entries({ writer, steward, alice, bob, carol })) {
      writeFileSync(at(`${name}.key`), `${exportIdentity(who)}\n`, { mode: 0o600 })
      writeFileSync(at(`${name}.pub`), `${who.publicKey}\n`)
    }
    writeFileSync(at('gateway.pub'), `${gatewayId.publicKey}\n`)
    writeFileSync(at('policy.json'), JSON.stringify(policy))
    writeFileSync(at('data.csv'), 'id,amount,email\n1,9.5,a@x\n2,120,b@x\n')
    const direct = {
      stewards: [{ key: steward.publicKey, id: 'steward' }],
      analysts: [{ key: alice.publicKey, id: 'alice' }],
      support: [{ key: bob.publicKey, id: 'bob' }],
    }
    writeFileSync(at('team.json'), JSON.stringify(direct))
    // The file the rewrap reads: the same people, plus the gateway as a labelled service entry.
    const withGateway = {
      ...direct,
      analysts: [...direct.analysts, { service: g.url, key: gatewayId.publicKey, id: 'kas' }],
    }
    writeFileSync(at('team-kas.json'), JSON.stringify(withGateway))
    const sealed = await runCli(cli, [
      'seal',
      '--policy',
      at('policy.json'),
      '--recipients',
      at('team.json'),
      '--signer',
      at('writer.key'),
      '-o',
      at('data.aseal'),
      at('data.csv'),
    ])
    expect([sealed.code, sealed.stderr]).toEqual([0, ''])
  }, 120_000)
  afterAll(async () => {
    await g?.close()
    await BACKENDS[0]!.cleanup()
    cleanup?.()
  })

  it('rewrap --remove alice --add analysts=kas --dataset sales, inspect, then open --key-access header', async () => {
    const r = await runCli(cli, [
      'rewrap',
      '--identity',
      at('steward.key'),
      '--signer',
      at('steward.key'),
      '--trust',
      at('writer.pub'),
      '--policy',
      at('policy.json'),
      '--recipients',
      at('team-kas.json'),
      '--remove',
      'alice',
      '--add',
      'analysts=kas',
      '--dataset',
      'sales',
      '-o',
      at('moved.aseal'),
      at('data.aseal'),
    ])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toContain(`added ${gatewayId.keyId} (kas) to role analysts (key-access gateway ${g.url})`)
    const shown = await runCli(cli, ['inspect', '--recipients', at('team-kas.json'), at('moved.aseal')])
    expect(shown.code, shown.stderr).toBe(0)
    expect(shown.stdout).toMatch(/service +analysts \(groups 1\) through http:\/\/127\.0\.0\.1:\d+, dataset "sales"/)
    expect(shown.stdout).toContain('(added by rewrap 1)')
    expect(shown.stdout).toMatch(
      /rewrap 1 +by .*: kept 2 recipients, added 1; frame key [0-9a-f]{16} \(signs every frame\)/,
    )

    const grant = {
      action: 'grant',
      principal: keyPrincipal(carol.publicKeyObject),
      role: 'analysts',
      dataset: 'sales',
    }
    expect((await admin(g.url, grant as never)).status).toBe(200)
    const open = (who: string, ...rest: string[]) =>
      runCli(cli, [
        'open',
        '--identity',
        at(`${who}.key`),
        '--trust',
        at('writer.pub'),
        '--trust',
        at('steward.pub'),
        ...rest,
        '--format',
        'csv',
        at('moved.aseal'),
      ])
    const ok = await open('carol', '--key-access', 'header', '--gateway', at('gateway.pub'))
    expect([ok.code, ok.stderr]).toEqual([0, ''])
    expect(ok.stdout).toBe('id,amount\n1,9.5\n2,120\n')
    const refused = await open('alice')
    expect(refused.code).toBe(4)
    expect(refused.stderr).toContain('NOT_A_RECIPIENT')
    expect(inspect(new Uint8Array(readFileSync(at('moved.aseal')))).services).toHaveLength(1)
  })
})
