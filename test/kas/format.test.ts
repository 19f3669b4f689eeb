/**
 * Service recipients (docs/format.md §Service recipients): writing them, reading through a key-access provider,
 * `unwrapForService`, and what the opener refuses from a provider. The provider is in-process and runs the real
 * `unwrapForService` (test/kas/fake-gateway.ts); the HTTP path is the gateway server's.
 */

import { sha256 } from '@noble/hashes/sha2.js'
import type { Table } from 'apache-arrow'
import { describe, expect, it } from 'vitest'
import { concatBytes } from '../../src/format/bytes.js'
import { HEADER_FLAG_SERVICE_ACCESS } from '../../src/format/constants.js'
import { parseHeader } from '../../src/format/header.js'
import { inspect } from '../../src/inspect.js'
import { unwrapForService } from '../../src/kas/service-view.js'
import type { KeyAccessProvider } from '../../src/kas/types.js'
import { createWriterSession } from '../../src/keys/session.js'
import type { Recipients } from '../../src/policy/policy.js'
import type { OpenOptions, SealOptions } from '../../src/seal/options.js'
import { openTable, openTableWithInfo, sealTable } from '../../src/table.js'
import { sampleTable } from '../fixtures/tables.js'
import { id } from '../helpers/identities.js'
import { codeOf, openStreamed, splitStream } from '../helpers/streams.js'
import { fakeGateway } from './fake-gateway.js'

const writer = id('writer')
const kas = id('kas')
const kas2 = id('kas-2')
const alice = id('alice') // direct: support
const bob = id('bob') // through the gateway
const URL1 = 'https://kas.example/v1'
const URL2 = 'http://127.0.0.1:8080'

const recipients: Recipients = {
  support: [alice.publicKey],
  analysts: [{ service: URL1, key: kas.publicKey }],
  auditors: [{ service: URL1, key: kas.publicKey }],
}
// sampleTable: id, email, amount (see test/fixtures/tables.ts)
const policy = { fields: { id: 'public', email: ['support', 'auditors'], amount: ['analysts', 'auditors'] } } as const
const seal = (t: Table, more: Partial<SealOptions> = {}) =>
  sealTable(t, { signer: writer, recipients, policy, dataset: 'sales/eu', ...more })
const names = (t: Table) => t.schema.fields.map((f) => f.name)
const rows = (t: Table) => t.toArray().map((r) => r.toJSON())
const trusted = [writer.publicKey]
const gw = (entitled?: string[]) => fakeGateway(kas, [writer.publicKeyObject], entitled)

describe('service recipients: writing', () => {
  it('writes the service section, sets flag bit 2, and inspect shows which roles go where', async () => {
    const sealed = await seal(sampleTable(3))
    const header = parseHeader(splitStream(sealed).header)
    expect(header.flags & HEADER_FLAG_SERVICE_ACCESS).toBe(HEADER_FLAG_SERVICE_ACCESS)
    expect(header.stanzas.length).toBe(2) // alice, and one stanza for the gateway whatever its number of roles
    const info = inspect(sealed)
    expect(info.services).toEqual([
      {
        url: URL1,
        dataset: 'sales/eu',
        roles: [
          { name: 'analysts', groups: [2] },
          { name: 'auditors', groups: [1, 2] },
        ],
        recipient: { fingerprint: expect.any(String), keyId: kas.keyId },
      },
    ])
    expect(info.frameKeyId).toMatch(/^[0-9a-f]{16}$/)
    expect(info.frames).toEqual({ batches: 1, rows: 3, bytes: expect.any(Number), ended: true })
  })

  it('writes no section and no frame signatures without a service recipient (the bytes of v1 streams)', async () => {
    const sealed = await sealTable(sampleTable(2), {
      signer: writer,
      recipients: { support: [alice.publicKey] },
      policy: { fields: { id: 'public', email: ['support'], amount: 'drop' } },
      dataset: 'ignored',
    })
    expect(parseHeader(splitStream(sealed).header).service).toBeNull()
    expect(inspect(sealed).services).toBeUndefined()
  })

  it('defaults the dataset to the unnamed dataset ""', async () => {
    const sealed = await seal(sampleTable(1), { dataset: undefined })
    expect(inspect(sealed).services![0]!.dataset).toBe('')
  })

  it('refuses recipients it cannot describe, before drawing a key', async () => {
    const t = sampleTable(1)
    const codes = async (r: unknown, more: Partial<SealOptions> = {}) =>
      codeOf(
        sealTable(t, {
          signer: writer,
          recipients: r as Recipients,
          policy: { fields: {}, default: 'public' },
          ...more,
        }),
      )
    // One key is a reader or a gateway, not both; one gateway has one URL.
    expect(await codes({ a: [kas.publicKey], b: [{ service: URL1, key: kas.publicKey }] })).toBe('POLICY_INVALID')
    expect(
      await codes({ a: [{ service: URL1, key: kas.publicKey }], b: [{ service: URL2, key: kas.publicKey }] }),
    ).toBe('POLICY_INVALID')
    for (const url of [
      'ftp://kas.example',
      'kas.example',
      'https://user:pw@kas.example',
      'https://kas.example/a b',
      `https://${'a'.repeat(2050)}`,
    ])
      expect(await codes({ a: [{ service: url, key: kas.publicKey }] })).toBe('POLICY_INVALID')
    expect(await codes({ a: [{ service: URL1, key: kas.publicKey, extra: 1 }] })).toBe('POLICY_INVALID')
    expect(await codes({ a: [{ service: URL1 }] })).toBe('POLICY_INVALID')
    expect(await codes({ a: [{ service: URL1, key: 'aseal1nope' }] })).toBe('KEY_INVALID')
    const many = Object.fromEntries(
      Array.from({ length: 17 }, (_, i) => [
        `r${i}`,
        [{ service: `https://kas${i}.example`, key: id(`g${i}`).publicKey }],
      ]),
    )
    expect(await codes(many)).toBe('POLICY_INVALID')
    expect(await codes({ a: [{ service: URL1, key: kas.publicKey }] }, { dataset: 'x'.repeat(257) })).toBe(
      'POLICY_INVALID',
    )
    expect(await codes({ a: [{ service: URL1, key: kas.publicKey }] }, { dataset: 'a\nb' })).toBe('POLICY_INVALID')
  })
})

describe('service recipients: reading through a gateway', () => {
  it('gives a gateway reader its granted fields, with one request per stream, and a direct reader its own', async () => {
    const table = sampleTable(6, 3)
    const sealed = await seal(table)
    const g = gw()
    const got = await openTableWithInfo(sealed, { identity: bob, trustedSigners: trusted, keyAccess: g })
    // Default: every role of the first service (analysts, auditors) → id, email, amount.
    expect(names(got.table)).toEqual(['id', 'email', 'amount'])
    expect(rows(got.table)).toEqual(rows(table))
    expect(g.requests.length).toBe(1)
    expect(g.requests[0]!.service).toEqual({ url: URL1, dataset: 'sales/eu', roles: ['analysts', 'auditors'] })
    expect(g.requests[0]!.identity).toBe(bob)
    expect(got.keyAccess).toEqual({
      url: URL1,
      dataset: 'sales/eu',
      rolesAsked: ['analysts', 'auditors'],
      rolesGranted: ['analysts', 'auditors'],
    })

    const direct = await openTableWithInfo(sealed, { identity: alice, trustedSigners: trusted })
    expect(names(direct.table)).toEqual(['id', 'email'])
    expect(direct.keyAccess).toBeNull()
    // A direct reader given a provider never calls it.
    const unused = gw()
    await openTable(sealed, { identity: alice, trustedSigners: trusted, keyAccess: unused })
    expect(unused.requests.length).toBe(0)
  })

  it('streams through OpenStream with one request, cut at every 97 bytes', async () => {
    const table = sampleTable(5, 2)
    const sealed = await seal(table)
    const g = gw()
    const got = await openStreamed(sealed, { identity: bob, trustedSigners: trusted, keyAccess: g }, 97)
    expect(rows(got)).toEqual(rows(table))
    expect(g.requests.length).toBe(1)
  })

  it('asks only the roles chosen, and returns only what was granted', async () => {
    const sealed = await seal(sampleTable(4))
    const g = gw()
    const only = await openTable(sealed, {
      identity: bob,
      trustedSigners: trusted,
      keyAccess: g,
      keyAccessRoles: ['analysts'],
    })
    expect(names(only)).toEqual(['id', 'amount'])
    expect(g.requests[0]!.service.roles).toEqual(['analysts'])
    // The gateway grants analysts only (entitlements): the reader gets the fields of that role, no more.
    const partial = await openTableWithInfo(sealed, {
      identity: bob,
      trustedSigners: trusted,
      keyAccess: gw(['analysts']),
    })
    expect(names(partial.table)).toEqual(['id', 'amount'])
    expect(partial.keyAccess?.rolesGranted).toEqual(['analysts'])
    expect(await codeOf(openTable(sealed, { identity: bob, trustedSigners: trusted, keyAccess: gw([]) }))).toBe(
      'NOT_A_RECIPIENT',
    )
    expect(
      await codeOf(
        openTable(sealed, { identity: bob, trustedSigners: trusted, keyAccess: g, keyAccessRoles: ['support'] }),
      ),
    ).toBe('NOT_A_RECIPIENT')
  })

  it('picks the first service that serves all the roles asked', async () => {
    const sealed = await sealTable(sampleTable(2), {
      signer: writer,
      recipients: {
        support: [{ service: URL2, key: kas2.publicKey }],
        analysts: [{ service: URL1, key: kas.publicKey }],
      },
      policy: { fields: { id: 'public', email: ['support'], amount: ['analysts'] } },
      dataset: 'd',
    })
    expect(inspect(sealed).services!.map((s) => s.url)).toEqual([URL2, URL1])
    const g1 = gw()
    const t = await openTable(sealed, {
      identity: bob,
      trustedSigners: trusted,
      keyAccess: g1,
      keyAccessRoles: ['analysts'],
    })
    expect(names(t)).toEqual(['id', 'amount'])
    expect(g1.requests[0]!.service.url).toBe(URL1)
    const g2 = fakeGateway(kas2, [writer.publicKeyObject])
    expect(names(await openTable(sealed, { identity: bob, trustedSigners: trusted, keyAccess: g2 }))).toEqual([
      'id',
      'email',
    ])
    expect(g2.requests[0]!.service.url).toBe(URL2)
  })

  it('without keyAccess, says which gateway the roles go through', async () => {
    const sealed = await seal(sampleTable(1))
    const err = await openTable(sealed, { identity: bob, trustedSigners: trusted }).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'NOT_A_RECIPIENT' })
    expect(String((err as Error).message)).toContain(`analysts, auditors through the key-access gateway at ${URL1}`)
    // A stream without services keeps the plain message.
    const plain = await sealTable(sampleTable(1), {
      signer: writer,
      recipients: { support: [alice.publicKey] },
      policy: { fields: { id: 'public', email: ['support'], amount: 'drop' } },
    })
    const e2 = await openTable(plain, { identity: bob, trustedSigners: trusted, keyAccess: gw() }).catch(
      (e: unknown) => e,
    )
    expect(e2).toMatchObject({ code: 'NOT_A_RECIPIENT', message: 'this identity is not a recipient of the stream' })
  })

  it('refuses a provider answer that does not fit the header, before using a key', async () => {
    const sealed = await seal(sampleTable(2))
    const header = parseHeader(splitStream(sealed).header)
    const real = await unwrapForService(header.bytes, kas, [writer.publicKeyObject])
    const key = (g: number) => real.groupKeys.get(g)!.slice()
    const answer = (groupKeys: Map<number, Uint8Array>, rolesGranted: string[]): KeyAccessProvider => ({
      requestKeys: async () => ({ groupKeys, rolesGranted }),
    })
    const open = (p: KeyAccessProvider, more: Partial<OpenOptions> = {}) =>
      codeOf(openTable(sealed, { identity: bob, trustedSigners: trusted, keyAccess: p, ...more }))
    // A wrong key for a granted group: the commitment catches it.
    expect(await open(answer(new Map([[2, new Uint8Array(32)]]), ['analysts']))).toBe('AUTH_FAILED')
    // Group 1 belongs to auditors only: a key for it under a grant of analysts is refused.
    expect(
      await open(
        answer(
          new Map([
            [1, key(1)],
            [2, key(2)],
          ]),
          ['analysts'],
        ),
      ),
    ).toBe('FORMAT_INVALID')
    // auditors read groups 1 and 2: a grant with one key missing is refused.
    expect(await open(answer(new Map([[1, key(1)]]), ['auditors']))).toBe('FORMAT_INVALID')
    // A role that was not asked.
    expect(await open(answer(new Map([[2, key(2)]]), ['analysts', 'support']), { keyAccessRoles: ['analysts'] })).toBe(
      'FORMAT_INVALID',
    )
    expect(await open(answer(new Map([[2, new Uint8Array(31)]]), ['analysts']))).toBe('FORMAT_INVALID')
    expect(await open({ requestKeys: async () => null as never })).toBe('FORMAT_INVALID')
    // The provider's own errors come through unchanged.
    const failing: KeyAccessProvider = { requestKeys: async () => Promise.reject(new TypeError('down')) }
    await expect(openTable(sealed, { identity: bob, trustedSigners: trusted, keyAccess: failing })).rejects.toThrow(
      'down',
    )
    // The opener wipes the keys a provider hands it.
    const handed = new Map([[2, key(2)]])
    await openTable(sealed, { identity: bob, trustedSigners: trusted, keyAccess: answer(handed, ['analysts']) })
    expect(handed.get(2)!.every((b) => b === 0)).toBe(true)
    for (const k of real.groupKeys.values()) k.fill(0)
  })

  it('refuses a provider that is not one, as misuse', async () => {
    const sealed = await seal(sampleTable(1))
    await expect(openTable(sealed, { identity: bob, trustedSigners: trusted, keyAccess: {} as never })).rejects.toThrow(
      TypeError,
    )
    await expect(openTable(sealed, { identity: bob, trustedSigners: trusted, keyAccessRoles: [] })).rejects.toThrow(
      TypeError,
    )
  })
})

describe('unwrapForService', () => {
  it('returns the verified view and the group keys of the gateway stanza', async () => {
    const sealed = await seal(sampleTable(2))
    const { header } = splitStream(sealed)
    const view = await unwrapForService(header, kas, [kas2.publicKeyObject, writer.publicKeyObject])
    const parsed = parseHeader(header)
    expect(view.streamId).toEqual(parsed.streamId)
    expect(view.signer).toEqual(writer.publicKeyObject.fingerprint)
    expect(view.url).toBe(URL1)
    expect(view.dataset).toBe('sales/eu')
    expect([...view.roles]).toEqual([
      ['analysts', [2]],
      ['auditors', [1, 2]],
    ])
    expect([...view.groupKeys.keys()]).toEqual([1, 2])
    const digest = sha256(header)
    expect(view.headerDigest).toEqual(digest)
  })

  it('accepts writer sessions, and refuses what a reader would refuse', async () => {
    const session = await createWriterSession(writer)
    const bySession = await seal(sampleTable(1), { signer: session })
    const { header } = splitStream(bySession)
    expect((await unwrapForService(header, kas, [writer.publicKeyObject])).dataset).toBe('sales/eu')
    await expect(unwrapForService(header, kas, [writer.publicKeyObject], { sessions: 'reject' })).rejects.toMatchObject(
      {
        code: 'SESSION_REJECTED',
      },
    )
    const code = (p: Promise<unknown>) => codeOf(p)
    expect(await code(unwrapForService(header, kas, [alice.publicKeyObject]))).toBe('SIGNER_UNTRUSTED')
    expect(await code(unwrapForService(header, kas2, [writer.publicKeyObject]))).toBe('NOT_A_RECIPIENT')
    // alice has a stanza, but as a reader, not a service.
    expect(await code(unwrapForService(header, alice, [writer.publicKeyObject]))).toBe('NOT_A_RECIPIENT')
    const plain = await sealTable(sampleTable(1), {
      signer: writer,
      recipients: { support: [kas.publicKey] },
      policy: { fields: {}, default: 'public' },
    })
    expect(await code(unwrapForService(splitStream(plain).header, kas, [writer.publicKeyObject]))).toBe(
      'NOT_A_RECIPIENT',
    )
    // Exactly the header: a byte more or less is refused.
    expect(await code(unwrapForService(concatBytes(header, Uint8Array.of(0)), kas, [writer.publicKeyObject]))).toBe(
      'FORMAT_INVALID',
    )
    expect(await code(unwrapForService(header.subarray(0, header.length - 1), kas, [writer.publicKeyObject]))).toBe(
      'TRUNCATED',
    )
    expect(await code(unwrapForService(header.subarray(0, 3), kas, [writer.publicKeyObject]))).toBe('TRUNCATED')
    const flipped = header.slice()
    flipped[flipped.length - 1]! ^= 1
    expect(await code(unwrapForService(flipped, kas, [writer.publicKeyObject]))).toBe('SIGNATURE_INVALID')
    await expect(unwrapForService(header, kas.publicKeyObject as never, [])).rejects.toThrow(TypeError)
    await expect(unwrapForService(header, kas, [writer.publicKey] as never)).rejects.toThrow(TypeError)
  })
})
