/**
 * Rewrap properties (issue 14 acceptance): for random tables, policies and changes, a rewrapped stream opens for
 * exactly the new set of readers, each with the rows and fields of its roles; removed recipients are refused
 * (`NOT_A_RECIPIENT`); the SHA-256 of every payload unit is unchanged; kept recipients' MACs are the writer's.
 */
import { tableFromArrays } from 'apache-arrow'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { parseChain } from '../../src/format/chain.js'
import { parseFrame } from '../../src/format/frame.js'
import { rewrap } from '../../src/lifecycle/rewrap.js'
import type { FieldRule, Policy } from '../../src/policy/policy.js'
import { openTable, sealTable } from '../../src/table.js'
import { id } from '../helpers/identities.js'
import { codeOf, splitStream } from '../helpers/streams.js'
import { unitDigests } from './helpers.js'

const writer = id('rwp-writer')
const steward = id('rwp-steward')
const people = [0, 1, 2, 3, 4, 5].map((i) => id(`rwp-reader-${i}`))
const ROLES = ['r1', 'r2', 'r3'] as const
const FIELDS = ['a', 'b', 'c'] as const

const rule = fc.oneof(
  fc.constant<FieldRule>('public'),
  fc.constant<FieldRule>('drop'),
  fc.subarray([...ROLES], { minLength: 1 }),
)
const roleSet = fc.subarray([...ROLES], { minLength: 1 })
const scenario = fc.record({
  rows: fc.array(
    fc.record({
      a: fc.integer({ min: -1000, max: 1000 }),
      b: fc.string({ maxLength: 8 }),
      c: fc.double({ noNaN: true }),
    }),
    {
      minLength: 0,
      maxLength: 6,
    },
  ),
  rules: fc.tuple(rule, rule, rule),
  /** Roles of readers 0–2 in the original stream (the steward reads every role). */
  before: fc.tuple(roleSet, roleSet, roleSet),
  removed: fc.subarray([0, 1, 2]),
  /** Roles of readers 3–5, added by the rewrap (an empty set: not added). */
  added: fc.tuple(fc.subarray([...ROLES]), fc.subarray([...ROLES]), fc.subarray([...ROLES])),
})

function readable(policy: Policy, roles: readonly string[]): ('a' | 'b' | 'c')[] {
  return FIELDS.filter((f) => {
    const r = policy.fields[f]!
    return r === 'public' || (Array.isArray(r) && r.some((x) => roles.includes(x)))
  })
}

const asJson = (t: { toArray(): unknown[] }) => JSON.parse(JSON.stringify(t.toArray()))

describe('rewrap properties', () => {
  it('opens for exactly the new readers, with their fields and the same rows and unit bytes', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const policy: Policy = { fields: { a: s.rules[0], b: s.rules[1], c: s.rules[2] } }
        const table = tableFromArrays({
          a: Int32Array.from(s.rows.map((r) => r.a)),
          b: s.rows.map((r) => r.b),
          c: Float64Array.from(s.rows.map((r) => r.c)),
        })
        const recipients: Record<string, string[]> = {}
        for (const role of ROLES) recipients[role] = [steward.publicKey]
        s.before.forEach((roles, i) => {
          for (const role of roles) recipients[role]!.push(people[i]!.publicKey)
        })
        const input = await sealTable(table, { signer: writer, recipients, policy })
        const add: Record<string, string[]> = {}
        s.added.forEach((roles, j) => {
          for (const role of roles) add[role] = [...(add[role] ?? []), people[3 + j]!.publicKey]
        })
        const known = new Set(Object.values(policy.fields).flatMap((r) => (Array.isArray(r) ? r : [])))
        const unknownRole = Object.keys(add).some((r) => !known.has(r))
        const change = {
          identity: steward,
          signer: steward,
          trustedSigners: [writer.publicKey],
          policy,
          add,
          remove: s.removed.map((i) => people[i]!.publicKeyObject.keyId),
        }
        if (unknownRole) {
          expect(await codeOf(rewrap(input, change))).toBe('POLICY_UNKNOWN_ROLE')
          return
        }
        const out = await rewrap(input, change)
        expect(unitDigests(out)).toEqual(unitDigests(input))
        const trust = { trustedSigners: [writer.publicKey, steward.publicKey] }
        const cases: { who: number; roles: readonly string[] | null }[] = [
          ...s.before.map((roles, i) => ({ who: i, roles: s.removed.includes(i) ? null : roles })),
          ...s.added.map((roles, j) => ({ who: 3 + j, roles: roles.length ? roles : null })),
        ]
        for (const c of cases) {
          const identity = people[c.who]!
          if (c.roles === null) {
            expect(await codeOf(openTable(out, { identity, ...trust }))).toBe('NOT_A_RECIPIENT')
            continue
          }
          const got = await openTable(out, { identity, ...trust })
          expect(got.schema.fields.map((f) => f.name)).toEqual(readable(policy, c.roles))
          expect(asJson(got)).toEqual(asJson(table.select(readable(policy, c.roles))))
        }
        // Kept recipients keep the writer's own MACs, byte for byte.
        const a = splitStream(input)
        const b = splitStream(out)
        const before = parseChain(a.header)
        const after = parseChain(b.header)
        const kept = after.layers[0]!.kept
        for (let f = 0; f < a.frames.length; f++) {
          const x = parseFrame(a.frames[f]!.subarray(4), before.root.groups.length, before.active.length)
          const y = parseFrame(b.frames[f]!.subarray(4), before.root.groups.length, after.active.length)
          for (const [i, k] of kept.entries())
            expect(Buffer.from(y.macs[i]!).equals(Buffer.from(x.macs[k]!))).toBe(true)
        }
      }),
      { numRuns: 12 },
    )
  }, 240_000)
})
