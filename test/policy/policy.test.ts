import {
  Field,
  Int32,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Table,
  tableFromIPC,
  tableToIPC,
  Utf8,
  vectorFromArray,
} from 'apache-arrow'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { PolicyError } from '../../src/errors.js'
import { canonicalPolicy, type FieldRule, parsePolicy, parseRecipients } from '../../src/policy/policy.js'
import { planAccess } from '../../src/policy/resolve.js'
import { Sealer } from '../../src/seal/sealer.js'
import { openTable, sealTable } from '../../src/table.js'
import { structBatch } from '../fixtures/tables.js'
import { id } from '../helpers/identities.js'
import { codeOf } from '../helpers/streams.js'

const key = (n: number) => ({ fingerprint: new Uint8Array(32).fill(n) })

describe('parsePolicy', () => {
  it('accepts JSON text and objects, normalising duplicate roles', () => {
    const p = parsePolicy('{"fields":{"a":"public","b":["x","x","y"]},"default":"drop"}')
    expect(p.fields['b']).toEqual(['x', 'y'])
    expect(p.default).toBe('drop')
    expect(Object.isFrozen(p)).toBe(true)
  })

  it.each([
    ['not json', /not valid JSON/],
    [[], /must be an object/],
    [{}, /policy.fields/],
    [{ fields: { a: [] } }, /empty role list/],
    [{ fields: { a: 'secret' } }, /"public", "drop" or an array/],
    [{ fields: { a: ['bad role!'] } }, /policy.fields\["a"\]\[0\]/],
    [{ fields: {}, extra: 1 }, /unknown key "extra"/],
    [{ fields: {}, default: 5 }, /policy.default/],
  ])('refuses %j with a message that says where', (input, message) => {
    expect(() => parsePolicy(input)).toThrow(PolicyError)
    expect(() => parsePolicy(input)).toThrow(message)
  })

  it('treats a field named __proto__ as just a field', () => {
    const p = parsePolicy(JSON.parse('{"fields":{"__proto__":["r"]}}'))
    expect(Object.keys(p.fields)).toEqual(['__proto__'])
  })

  it('canonical form is independent of key and role order', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.stringMatching(/^[a-z]{1,6}$/), { minLength: 1, maxLength: 6 }), (names) => {
        const fwd: Record<string, FieldRule> = Object.fromEntries(
          names.map((n, i) => [n, i % 2 ? 'public' : ['r2', 'r1']]),
        )
        const rev: Record<string, FieldRule> = Object.fromEntries(
          [...names].reverse().map((n) => [n, names.indexOf(n) % 2 ? 'public' : ['r1', 'r2']]),
        )
        expect(canonicalPolicy({ fields: fwd })).toBe(canonicalPolicy({ fields: rev }))
      }),
    )
  })
})

describe('parseRecipients', () => {
  it('refuses empty roles and non-string keys', () => {
    expect(() => parseRecipients({ r: [] })).toThrow(/non-empty array/)
    expect(() => parseRecipients({ r: [5] })).toThrow(/recipients.r\[0\]/)
    expect(() => parseRecipients({})).toThrow(/at least one role/)
  })
})

describe('planAccess', () => {
  const recipients = { a: [key(1)], b: [key(2)], c: [key(1), key(3)] }
  it('groups fields by reader set, public first, and gives each key the union of its roles', () => {
    const plan = planAccess(
      ['x', 'y', 'z', 'w', 'v'],
      false,
      { fields: { x: ['a'], y: 'public', z: ['b', 'a'], w: ['a', 'b'], v: 'drop' } },
      recipients,
    )
    expect(plan.groups.map((g) => [g.kind, g.roles, g.fields])).toEqual([
      ['public', [], [1]],
      ['sealed', ['a'], [0]],
      ['sealed', ['a', 'b'], [2, 3]],
    ])
    expect(plan.groupOf).toEqual([1, 0, 2, 2, null])
    // key(1) holds roles a and c: one stanza with both sealed groups; key(3) holds only c: no group keys.
    expect(plan.recipients.map((r) => [r.key.fingerprint[0], r.roles, r.groups])).toEqual([
      [1, ['a', 'c'], [1, 2]],
      [2, ['b'], [2]],
      [3, ['c'], []],
    ])
  })

  it('fails closed', () => {
    const code = (f: () => unknown) => {
      try {
        f()
      } catch (e) {
        return (e as PolicyError).code
      }
      return 'none'
    }
    expect(code(() => planAccess(['x', 'y'], false, { fields: { x: 'public' } }, recipients))).toBe(
      'POLICY_FIELD_UNCOVERED',
    )
    expect(code(() => planAccess(['x'], false, { fields: { x: 'public', q: 'public' } }, recipients))).toBe(
      'POLICY_UNKNOWN_FIELD',
    )
    expect(code(() => planAccess(['x'], false, { fields: { x: ['nobody'] } }, recipients))).toBe('POLICY_UNKNOWN_ROLE')
    expect(code(() => planAccess(['x'], true, { fields: { x: 'public' } }, recipients))).toBe('POLICY_FIELD_UNCOVERED')
    expect(code(() => planAccess(['x'], true, { fields: { x: 'public' }, default: ['a'] }, recipients))).toBe('none')
  })
})

describe('duplicate field names', () => {
  it('are supported: a rule applies to every field of that name', async () => {
    const fields = [new Field('v', new Int32()), new Field('v', new Utf8()), new Field('id', new Int32())]
    const schema = new Schema(fields)
    const table = new Table(schema, [
      structBatch(schema, 2, [
        vectorFromArray([1, 2], new Int32()).data[0]!,
        vectorFromArray(['p', 'q'], new Utf8()).data[0]!,
        vectorFromArray([7, 8], new Int32()).data[0]!,
      ]),
    ])
    const writer = id('writer')
    const r = id('dup-reader')
    const other = id('dup-other')
    const sealed = await sealTable(table, {
      signer: writer,
      recipients: { r: [r.publicKey], o: [other.publicKey] },
      policy: { fields: { v: ['r'], id: 'public' } },
    })
    const got = await openTable(sealed, { identity: r, trustedSigners: [writer.publicKey] })
    expect(got.schema.fields.map((f) => `${f.name}:${f.type}`)).toEqual(['v:Int32', 'v:Utf8', 'id:Int32'])
    expect([got.getChildAt(0)!.get(1), got.getChildAt(1)!.get(1)]).toEqual([2, 'q'])
    const theirs = await openTable(sealed, { identity: other, trustedSigners: [writer.publicKey] })
    expect(theirs.schema.fields.map((f) => f.name)).toEqual(['id'])
    expect(
      await codeOf(
        sealTable(table, { signer: writer, recipients: { r: [r.publicKey] }, policy: { fields: { id: 'public' } } }),
      ),
    ).toBe('POLICY_FIELD_UNCOVERED')
  })

  it('refuses a batch whose shape differs from the stream schema', async () => {
    const fields = [new Field('v', new Int32()), new Field('v', new Utf8())]
    const schema = new Schema(fields)
    const writer = id('writer')
    const r = id('dup-reader')
    // A sealer that refused a batch is failed for good, so each case gets its own.
    const sealer = () =>
      Sealer.create(schema, { signer: writer, recipients: { r: [r.publicKey] }, policy: { fields: { v: ['r'] } } })
    const renamed = new Schema([new Field('w', new Int32()), new Field('v', new Utf8())])
    const columns = [vectorFromArray([1], new Int32()).data[0]!, vectorFromArray(['x'], new Utf8()).data[0]!]
    const s1 = await sealer()
    expect(() => s1.encodeBatch(structBatch(renamed, 1, columns))).toThrow(
      expect.objectContaining({ code: 'ARROW_INVALID' }),
    )
    const retyped = new Schema([new Field('v', new Utf8()), new Field('v', new Utf8())])
    const cols2 = [vectorFromArray(['y'], new Utf8()).data[0]!, vectorFromArray(['x'], new Utf8()).data[0]!]
    const s2 = await sealer()
    expect(() => s2.encodeBatch(structBatch(retyped, 1, cols2))).toThrow(
      expect.objectContaining({ code: 'ARROW_INVALID' }),
    )
    // The right shape is accepted even though arrow-js's RecordBatch.schema mislabels duplicate names' types.
    const ok = new RecordBatch(
      schema,
      makeData({ type: new Struct(fields), length: 1, nullCount: 0, children: columns }),
    )
    expect((await sealer()).encodeBatch(ok).rows).toBe(1)
  })

  it('seals tables whose schema arrow-js relabelled (new Table([batch]), tableFromIPC)', async () => {
    const fields = [new Field('v', new Int32()), new Field('v', new Utf8())]
    const schema = new Schema(fields)
    const batch = structBatch(schema, 2, [
      vectorFromArray([1, 2], new Int32()).data[0]!,
      vectorFromArray(['p', 'q'], new Utf8()).data[0]!,
    ])
    const writer = id('writer')
    const r = id('dup-reader')
    const options = { signer: writer, recipients: { r: [r.publicKey] }, policy: { fields: { v: ['r'] } } }
    for (const table of [new Table([batch]), tableFromIPC(tableToIPC(new Table(schema, [batch]), 'stream'))]) {
      const got = await openTable(await sealTable(table, options), { identity: r, trustedSigners: [writer.publicKey] })
      expect(got.schema.fields.map((f) => `${f.name}:${f.type}`)).toEqual(['v:Int32', 'v:Utf8'])
      expect(got.getChildAt(1)!.get(0)).toBe('p')
    }
  })
})
