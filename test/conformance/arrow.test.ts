/**
 * Arrow conformance on generated tables (issue 5, point 5): fast-check builds schemas and tables with
 * apache-arrow's builders — nested lists of structs of dictionaries, maps, dense and sparse unions, large offsets,
 * Null and all-null columns, zero-length batches, field and schema metadata, duplicate names — and each must
 * round-trip under a random mixed policy, whole and streamed, for two readers with different roles.
 */
import { Schema, Table } from 'apache-arrow'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { FieldRule, Policy } from '../../src/policy/policy.js'
import { openTable, sealTable } from '../../src/table.js'
import { assertTablesEqual, structBatch } from '../fixtures/tables.js'
import { id } from '../helpers/identities.js'
import { propertyRuns } from '../helpers/property-runs.js'
import { openStreamed } from '../helpers/streams.js'
import { type GeneratedTable, tableArb } from './arrow-arbitrary.js'

const writer = id('writer')
const a = id('conf-a')
const b = id('conf-b')
const recipients = { ra: [a.publicKey], rb: [b.publicKey] }
const RULES: readonly FieldRule[] = ['public', ['ra'], ['rb'], ['ra', 'rb'], 'drop']

/** A rule per distinct name (duplicate names share one, as policies match by name); metadata to ra or both. */
function policyArb(t: Table): fc.Arbitrary<Policy> {
  const names = [...new Set(t.schema.fields.map((f) => f.name))]
  return fc
    .tuple(fc.array(fc.nat(RULES.length - 1), { minLength: names.length, maxLength: names.length }), fc.boolean())
    .map(([picks, metaBoth]) => ({
      fields: Object.fromEntries(names.map((n, i) => [n, RULES[picks[i]!]!])),
      schemaMetadata: metaBoth ? ['ra', 'rb'] : ['ra'],
    }))
}

/** What a reader with `role` must get back: the readable fields, in writer order, with their values. */
function expectedView(t: Table, policy: Policy, role: string): Table {
  const readable = (rule: FieldRule) => rule === 'public' || (Array.isArray(rule) && rule.includes(role))
  const keep = t.schema.fields.flatMap((f, i) => (readable(policy.fields[f.name]!) ? [i] : []))
  const meta = readable(policy.schemaMetadata!) ? t.schema.metadata : new Map<string, string>()
  const schema = new Schema(
    keep.map((i) => t.schema.fields[i]!),
    meta,
  )
  return new Table(
    schema,
    t.batches.map((batch) =>
      structBatch(
        schema,
        batch.numRows,
        keep.map((i) => batch.data.children[i]!),
      ),
    ),
  )
}

describe('generated Arrow tables', () => {
  it('the generator covers the hard cases: unions, maps, large offsets, nested dictionaries, duplicate names', () => {
    const kinds = new Set<string>()
    let duplicateNames = false
    let zeroRowBatch = false
    const walk = (d: GeneratedTable['descs'][number], path: string) => {
      kinds.add(d.k)
      if ('child' in d) walk(d.child, `${path}>${d.k}`)
      if ('children' in d) for (const c of d.children) walk(c, `${path}>${d.k}`)
      if ('value' in d) walk(d.value, `${path}>${d.k}`)
      if (d.k === 'dict' && path.includes('list>struct')) kinds.add('list<struct<dict>>')
    }
    for (const g of fc.sample(tableArb, { numRuns: 200, seed: 7 })) {
      for (const d of g.descs) walk(d, '')
      const names = g.table.schema.fields.map((f) => f.name)
      duplicateNames ||= new Set(names).size < names.length
      zeroRowBatch ||= g.table.batches.some((x) => x.numRows === 0)
    }
    for (const k of [
      'dense',
      'sparse',
      'map',
      'largeList',
      'largeUtf8',
      'largeBinary',
      'null',
      'dict',
      'list<struct<dict>>',
    ])
      expect(kinds, k).toContain(k)
    expect(duplicateNames).toBe(true)
    expect(zeroRowBatch).toBe(true)
  })

  it('round-trip under random mixed policies, whole and streamed', async () => {
    await fc.assert(
      fc.asyncProperty(
        tableArb.chain((g) => fc.tuple(fc.constant(g), policyArb(g.table), fc.integer({ min: 1, max: 300 }))),
        async ([g, policy, chunk]) => {
          const sealed = await sealTable(g.table, { signer: writer, recipients, policy })
          for (const [who, role] of [
            [a, 'ra'],
            [b, 'rb'],
          ] as const) {
            const want = expectedView(g.table, policy, role)
            const options = { identity: who, trustedSigners: [writer.publicKey] }
            const whole = await openTable(sealed, options)
            assertTablesEqual(whole, want)
            expect(whole.batches.length).toBe(g.table.batches.length)
            if (role === 'ra') assertTablesEqual(await openStreamed(sealed, options, chunk), want)
          }
        },
      ),
      { numRuns: propertyRuns(40), seed: 0xa220 },
    )
  }, 120_000)
})
