/**
 * Round trips with mixed service and direct recipients, as a property (fast-check): random tables and policies
 * over four roles, each role going to direct readers, a gateway, or both. Every direct reader gets exactly the
 * fields of its roles, and every reader through a gateway exactly the fields of the roles it asked for, with the
 * rows the writer wrote.
 */
import { Table, Utf8, vectorFromArray } from 'apache-arrow'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { openTable, sealTable } from '../../src/index.node.js'
import { nodeRuntime } from '../../src/node/runtime.js'
import type { FieldRule, RecipientEntry } from '../../src/policy/policy.js'
import { id } from '../helpers/identities.js'
import { fakeGateway } from './fake-gateway.js'

const writer = id('writer')
const ROLES = ['r0', 'r1', 'r2', 'r3'] as const
const readers = [id('d0'), id('d1')]
const gateways = [
  { identity: id('g0'), url: 'https://g0.example' },
  { identity: id('g1'), url: 'http://127.0.0.1:9/kas' },
]
const outsider = id('reader-through-gateway')

// Per role: which direct readers (bit 0, 1) and which gateways (bit 2, 3) receive it; never none.
const wiring = fc.array(fc.integer({ min: 1, max: 15 }), { minLength: 4, maxLength: 4 })
const rule: fc.Arbitrary<FieldRule> = fc.oneof(
  fc.constant('public' as const),
  fc.constant('drop' as const),
  fc.subarray([...ROLES], { minLength: 1 }),
)
const shape = fc.record({
  fields: fc.array(rule, { minLength: 1, maxLength: 5 }),
  rows: fc.integer({ min: 0, max: 4 }),
  wiring,
})

const expectedFields = (rules: FieldRule[], roles: readonly string[]) =>
  rules.flatMap((r, i) => (r === 'public' || (r !== 'drop' && r.some((x) => roles.includes(x))) ? [`f${i}`] : []))

describe('mixed service and direct recipients', () => {
  it('every reader, direct or through a gateway, gets exactly its fields and the rows written', async () => {
    await fc.assert(
      fc.asyncProperty(shape, async ({ fields: rules, rows, wiring: wires }) => {
        const columns = Object.fromEntries(
          rules.map((_, i) => [
            `f${i}`,
            i % 2
              ? vectorFromArray(
                  Array.from({ length: rows }, (_, r) => `v${i}-${r}`),
                  new Utf8(),
                )
              : vectorFromArray(Int32Array.from({ length: rows }, (_, r) => r * 10 + i)),
          ]),
        )
        const table = new Table(columns)
        const recipients: Record<string, RecipientEntry[]> = {}
        for (const [i, role] of ROLES.entries()) {
          const w = wires[i]!
          recipients[role] = [
            ...readers.filter((_, k) => w & (1 << k)).map((r) => r.publicKey),
            ...gateways.filter((_, k) => w & (4 << k)).map((g) => ({ service: g.url, key: g.identity.publicKey })),
          ]
        }
        const sealed = await sealTable(table, {
          signer: writer,
          recipients,
          policy: { fields: Object.fromEntries(rules.map((r, i) => [`f${i}`, r])) },
          dataset: 'prop',
        })
        const trustedSigners = [writer.publicKey]
        for (const [k, reader] of readers.entries()) {
          const roles = ROLES.filter((_, i) => wires[i]! & (1 << k))
          if (roles.length === 0) continue
          const got = await openTable(sealed, { identity: reader, trustedSigners })
          expect(got.schema.fields.map((f) => f.name)).toEqual(expectedFields(rules, roles))
          expect(got.toArray().map((r) => r.toJSON())).toEqual(
            table
              .select(expectedFields(rules, roles))
              .toArray()
              .map((r) => r.toJSON()),
          )
        }
        for (const [k, g] of gateways.entries()) {
          const roles = ROLES.filter((_, i) => wires[i]! & (4 << k))
          if (roles.length === 0) continue
          const gateway = fakeGateway(g.identity, [writer.publicKeyObject], undefined, nodeRuntime)
          const got = await openTable(sealed, {
            identity: outsider,
            trustedSigners,
            keyAccess: gateway,
            keyAccessRoles: roles,
          })
          expect(gateway.requests.length).toBe(1)
          expect(got.schema.fields.map((f) => f.name)).toEqual(expectedFields(rules, roles))
          expect(got.toArray().map((r) => r.toJSON())).toEqual(
            table
              .select(expectedFields(rules, roles))
              .toArray()
              .map((r) => r.toJSON()),
          )
        }
      }),
      { numRuns: 12 },
    )
  })
})
