/**
 * Properties 1 and 2: a reader not entitled to a field finds no trace of it, not its values, its dictionary
 * values, its name, its type's metadata or its field metadata, in the sealed bytes, in inspect, or in what
 * it gets back. Canary strings are planted everywhere a restricted field can leave a mark.
 */
import {
  Dictionary,
  Field,
  Int32,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Table,
  Utf8,
  vectorFromArray,
} from 'apache-arrow'
import { describe, expect, it } from 'vitest'
import { inspect } from '../../src/inspect.js'
import { openTable, sealTable } from '../../src/table.js'
import { id } from '../helpers/identities.js'

const writer = id('writer')
const analyst = id('analyst')
const auditor = id('auditor')

const CANARIES = ['canaryVALUE7731', 'canaryDICT5521', 'canaryNAME_ssn', 'canaryFIELDMETA', 'canarySCHEMAMETA']

function canaryTable(): Table {
  const dict = vectorFromArray(['FR', 'DE', 'canaryDICT5521'], new Utf8())
  const countryType = new Dictionary(new Utf8(), new Int32(), 1)
  const country = makeData({
    type: countryType,
    length: 3,
    nullCount: 0,
    data: Int32Array.of(0, 2, 1),
    dictionary: dict,
  })
  const fields = [
    new Field('id', new Int32(), false),
    new Field('canaryNAME_ssn', new Utf8(), true, new Map([['note', 'canaryFIELDMETA']])),
    new Field('country', countryType, true),
  ]
  const schema = new Schema(fields, new Map([['owner', 'canarySCHEMAMETA']]))
  const ids = vectorFromArray([1, 2, 3], new Int32()).data[0]!
  const ssn = vectorFromArray(['canaryVALUE7731', 'x', 'y'], new Utf8()).data[0]!
  const data = makeData({ type: new Struct(fields), length: 3, nullCount: 0, children: [ids, ssn, country] })
  return new Table(schema, [new RecordBatch(schema, data)])
}

const text = (b: Uint8Array) => new TextDecoder('latin1').decode(b)

describe('field confidentiality and schema minimisation', () => {
  it('leaves no trace of restricted fields for readers who may not see them', async () => {
    const table = canaryTable()
    const sealed = await sealTable(table, {
      signer: writer,
      recipients: { analysts: [analyst.publicKey], auditors: [auditor.publicKey] },
      policy: {
        fields: { id: 'public', canaryNAME_ssn: ['auditors'], country: ['auditors'] },
        schemaMetadata: ['auditors'],
      },
    })
    const bytes = text(sealed)
    const seen = JSON.stringify(inspect(sealed))
    const opened = await openTable(sealed, { identity: analyst, trustedSigners: [writer.publicKey] })
    const returned = JSON.stringify({
      schema: opened.schema.fields.map((f) => [f.name, String(f.type), [...f.metadata]]),
      meta: [...opened.schema.metadata],
      rows: opened.toArray(),
    })
    for (const c of CANARIES) {
      expect(bytes.includes(c), `${c} in sealed bytes`).toBe(false)
      expect(seen.includes(c), `${c} in inspect`).toBe(false)
      expect(returned.includes(c), `${c} in the analyst's result`).toBe(false)
    }
    expect(opened.schema.fields.map((f) => f.name)).toEqual(['id'])
    // The auditor gets every one of them back: the canaries were really in the data.
    const full = await openTable(sealed, { identity: auditor, trustedSigners: [writer.publicKey] })
    const all = JSON.stringify({
      f: full.schema.fields.map((f) => [f.name, [...f.metadata]]),
      m: [...full.schema.metadata],
      r: full.toArray(),
    })
    for (const c of CANARIES) expect(all.includes(c), `${c} for the auditor`).toBe(true)
  })

  it('shows names and types of sealed fields only when the writer reveals the schema', async () => {
    const table = canaryTable()
    const base = {
      signer: writer,
      recipients: { auditors: [auditor.publicKey] },
      policy: {
        fields: { id: 'public', canaryNAME_ssn: ['auditors'], country: ['auditors'] },
        schemaMetadata: ['auditors'],
      },
    } as const
    const hidden = inspect(await sealTable(table, base))
    expect(hidden.groups.map((g) => g.fields?.map((f) => f.name))).toEqual([['id'], undefined])
    // Without restricted metadata (see the next test), revealSchema shows the names.
    const plain = new Table(
      new Schema(table.schema.fields.map((f) => new Field(f.name, f.type, f.nullable))),
      table.batches.map(
        (b) => new RecordBatch(new Schema(b.schema.fields.map((f) => new Field(f.name, f.type, f.nullable))), b.data),
      ),
    )
    const shown = inspect(await sealTable(plain, { ...base, revealSchema: true }))
    expect(shown.groups[1]!.fields!.map((f) => f.name)).toEqual(['canaryNAME_ssn', 'country'])
  })

  // Issue 19, item 2: revealSchema promised names and types and published restricted metadata as well.
  it('never publishes restricted schema or field metadata, in any mode', async () => {
    const table = canaryTable()
    const recipients = { auditors: [auditor.publicKey] }
    const withMeta = (schemaMetadata: readonly string[] | 'public', ssnRule: readonly string[] | 'public') => ({
      fields: { id: 'public' as const, canaryNAME_ssn: ssnRule, country: ['auditors'] },
      schemaMetadata,
    })
    const meta = ['canaryFIELDMETA', 'canarySCHEMAMETA']
    for (const revealSchema of [false, true]) {
      for (const compression of ['none', 'deflate'] as const) {
        const options = { signer: writer, recipients, revealSchema, compression }
        const sealed = await sealTable(table, { ...options, policy: withMeta(['auditors'], ['auditors']) }).catch(
          (e: unknown) => e,
        )
        if (revealSchema) {
          // Restricted schema metadata (and field metadata) cannot be revealed: refused, nothing written.
          expect(sealed).toMatchObject({ code: 'POLICY_INVALID' })
          expect(String((sealed as Error).message)).not.toMatch(/canary/)
          // Field metadata alone (schema metadata public) is refused too.
          const fieldOnly = await sealTable(table, { ...options, policy: withMeta('public', ['auditors']) }).catch(
            (e: unknown) => e,
          )
          expect(fieldOnly).toMatchObject({ code: 'POLICY_INVALID' })
          expect(String((fieldOnly as Error).message)).not.toMatch(/canary/)
          // Public metadata of public fields may be revealed: it is public anyway.
          const pub = await sealTable(table, { ...options, policy: withMeta('public', 'public') })
          expect(text(pub).includes('canarySCHEMAMETA')).toBe(true)
        } else {
          expect(sealed).toBeInstanceOf(Uint8Array)
          for (const c of meta) expect(text(sealed as Uint8Array).includes(c), `${c} with ${compression}`).toBe(false)
        }
      }
    }
  })
})
