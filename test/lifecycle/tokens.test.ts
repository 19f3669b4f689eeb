/**
 * Pseudonymised views (issue 14, item 3): token roles read HMAC-SHA-256 tokens of a field's values, stable across
 * the streams of one dataset and different in another, and never any clear value of that field.
 */
import {
  Dictionary,
  Field,
  FixedSizeBinary,
  Int32,
  Int64,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Table,
  tableFromArrays,
  tableToIPC,
  Utf8,
  vectorFromArray,
} from 'apache-arrow'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { SealStream as NodeSealStream } from '../../src/index.node.js'
import { inspect } from '../../src/inspect.js'
import { canonicalPolicy, parsePolicy } from '../../src/policy/policy.js'
import { TOKEN_METADATA_KEY } from '../../src/seal/tokenise.js'
import { SealStream } from '../../src/stream/seal-stream.js'
import { openTable, sealTable } from '../../src/table.js'
import { id } from '../helpers/identities.js'
import { join, readAll, streamOf } from '../helpers/streams.js'

const writer = id('writer')
const analyst = id('analyst')
const auditor = id('auditor')
const trustedSigners = [writer.publicKey]
const recipients = { analysts: [analyst.publicKey], auditors: [auditor.publicKey] }
const datasetKey = new Uint8Array(32).fill(7)
const crm = { dataset: 'crm', key: datasetKey }

const hex = (b: Uint8Array | null) => (b === null ? null : Buffer.from(b).toString('hex'))
const column = (t: Table, name: string) => Array.from(t.getChild(name)!, (v) => hex(v as Uint8Array | null))

async function tokensOf(table: Table, field: string, tokens = crm): Promise<(string | null)[]> {
  const sealed = await sealTable(table, {
    signer: writer,
    recipients,
    policy: { fields: { [field]: ['auditors'] }, default: 'public', tokens: { [field]: ['analysts'] } },
    tokens,
  })
  return column(await openTable(sealed, { identity: analyst, trustedSigners }), field)
}

describe('token columns', () => {
  it('give clear readers the value and token readers a 32-byte token in its place', async () => {
    const table = tableFromArrays({ id: Int32Array.of(1, 2, 3), email: ['a@x', 'b@x', 'a@x'] })
    const sealed = await sealTable(table, {
      signer: writer,
      recipients,
      policy: { fields: { id: 'public', email: ['auditors'] }, tokens: { email: ['analysts'] } },
      tokens: crm,
    })
    const clear = await openTable(sealed, { identity: auditor, trustedSigners })
    expect(clear.schema.fields.map((f) => f.name)).toEqual(['id', 'email'])
    expect(clear.getChild('email')!.toArray()).toEqual(['a@x', 'b@x', 'a@x'])

    const tokened = await openTable(sealed, { identity: analyst, trustedSigners })
    const field = tokened.schema.fields[1]!
    expect(field.name).toBe('email')
    expect(field.type).toBeInstanceOf(FixedSizeBinary)
    expect(field.metadata.get(TOKEN_METADATA_KEY)).toBe('crm')
    const tokens = column(tokened, 'email')
    expect(tokens[0]).toHaveLength(64)
    expect(tokens[0]).toBe(tokens[2])
    expect(tokens[0]).not.toBe(tokens[1])
  })

  it('are the same across two streams of a dataset and different in another dataset', async () => {
    const a = tableFromArrays({ email: ['a@x', 'b@x'] })
    const b = tableFromArrays({ email: ['b@x', 'c@x', 'a@x'] })
    const ta = await tokensOf(a, 'email')
    const tb = await tokensOf(b, 'email')
    expect(tb[2]).toBe(ta[0])
    expect(tb[0]).toBe(ta[1])
    // Another dataset: another name under the same key, or another key under the same name.
    const other = await tokensOf(a, 'email', { dataset: 'billing', key: datasetKey })
    const otherKey = await tokensOf(a, 'email', { dataset: 'crm', key: new Uint8Array(32).fill(8) })
    for (const t of [...other, ...otherKey]) expect(ta).not.toContain(t)
  })

  it('let a token role join, group and count distinct across streams without reading a value', async () => {
    // Customers keep the id as Int32, orders as Int64: integers are tokenised by value, so they still join.
    const customers = tableFromArrays({ customer: Int32Array.of(10, 20, 30), segment: ['gold', 'blue', 'gold'] })
    const orders = new Table({
      customer: vectorFromArray([20n, 10n, 20n, 99n, 10n], new Int64()),
      amount: vectorFromArray([5, 7, 1, 3, 2], new Int32()),
    })
    const seal = (t: Table) =>
      sealTable(t, {
        signer: writer,
        recipients,
        policy: {
          fields: { customer: ['auditors'] },
          default: ['analysts', 'auditors'],
          tokens: { customer: ['analysts'] },
        },
        tokens: crm,
      })
    const c = await openTable(await seal(customers), { identity: analyst, trustedSigners })
    const o = await openTable(await seal(orders), { identity: analyst, trustedSigners })
    const segmentOf = new Map(column(c, 'customer').map((t, i) => [t, c.getChild('segment')!.get(i) as string]))
    const bySegment = new Map<string, number>()
    for (const [i, t] of column(o, 'customer').entries()) {
      const segment = segmentOf.get(t) ?? '(no customer)'
      bySegment.set(segment, (bySegment.get(segment) ?? 0) + (o.getChild('amount')!.get(i) as number))
    }
    expect(Object.fromEntries(bySegment)).toEqual({ blue: 6, gold: 9, '(no customer)': 3 })
    expect(new Set(column(o, 'customer')).size).toBe(3)
  })

  it('keep nulls null, and tokenise a dictionary by its values, not its indices', async () => {
    const dict = vectorFromArray(['FR', 'DE'], new Utf8())
    const type = new Dictionary(new Utf8(), new Int32(), 3)
    const country = makeData({
      type,
      length: 4,
      nullCount: 1,
      data: Int32Array.of(1, 0, 0, 1),
      nullBitmap: Uint8Array.of(0b1011),
      dictionary: dict,
    })
    const fields = [new Field('country', type, true)]
    const schema = new Schema(fields)
    const table = new Table(schema, [
      new RecordBatch(schema, makeData({ type: new Struct(fields), length: 4, nullCount: 0, children: [country] })),
    ])
    const dictTokens = await tokensOf(table, 'country')
    const plain = await tokensOf(tableFromArrays({ country: ['DE', 'FR', 'FR', 'DE'] }), 'country')
    expect(dictTokens).toEqual([plain[0], plain[1], null, plain[3]])
  })

  it('match for every value, whatever its batch (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.string({ maxLength: 6 }), { minLength: 1, maxLength: 12 }), async (values) => {
        const once = await tokensOf(tableFromArrays({ v: values }), 'v')
        const reversed = await tokensOf(tableFromArrays({ v: [...values].reverse() }), 'v')
        expect(reversed).toEqual([...once].reverse())
        for (let i = 0; i < values.length; i++)
          for (let j = 0; j < values.length; j++) expect(once[i] === once[j]).toBe(values[i] === values[j])
      }),
      { numRuns: 8 },
    )
  })
})

describe('token columns when streaming', () => {
  it('are the same whether sealed whole, streamed, merged (minBatchRows) or on worker threads', async () => {
    const emails = Array.from({ length: 60 }, (_, i) => `user${i % 7}@x`)
    const table = new Table(
      [0, 20, 40].map((at) => new Table({ email: vectorFromArray(emails.slice(at, at + 20), new Utf8()) }).batches[0]!),
    )
    const options = {
      signer: writer,
      recipients,
      policy: { fields: { email: ['auditors'] }, tokens: { email: ['analysts'] } },
      tokens: crm,
    }
    const whole = column(
      await openTable(await sealTable(table, options), { identity: analyst, trustedSigners }),
      'email',
    )
    for (const stream of [
      new SealStream({ ...options, schema: table.schema }),
      new SealStream({ ...options, schema: table.schema, minBatchRows: 50 }),
      new NodeSealStream({ ...options, schema: table.schema, workers: 2 }),
    ]) {
      const chunks = await readAll(streamOf(table.batches).pipeThrough(stream))
      const opened = await openTable(join(...chunks), { identity: analyst, trustedSigners })
      expect(column(opened, 'email')).toEqual(whole)
    }
    expect(new Set(whole).size).toBe(7)
  })
})

describe('no clear value of a tokenised field reaches a token-only role (canary)', () => {
  const CANARY_VALUE = 'canaryTOKVAL9917'
  const CANARY_DICT = 'canaryTOKDICT4410'
  const CANARY_META = 'canaryTOKMETA2202'

  function canaryTable(): Table {
    const dict = vectorFromArray(['x', CANARY_DICT, 'unused-canaryTOKDICT'], new Utf8())
    const type = new Dictionary(new Utf8(), new Int32(), 5)
    const city = makeData({ type, length: 3, nullCount: 0, data: Int32Array.of(1, 0, 1), dictionary: dict })
    const fields = [
      new Field('id', new Int32(), false),
      new Field('email', new Utf8(), true, new Map([['note', CANARY_META]])),
      new Field('city', type, true, new Map([['note', CANARY_META]])),
    ]
    const schema = new Schema(fields)
    const children = [
      vectorFromArray([1, 2, 3], new Int32()).data[0]!,
      vectorFromArray([CANARY_VALUE, null, 'z'], new Utf8()).data[0]!,
      city,
    ]
    const data = makeData({ type: new Struct(fields), length: 3, nullCount: 0, children })
    return new Table(schema, [new RecordBatch(schema, data)])
  }

  const latin1 = (b: Uint8Array) => new TextDecoder('latin1').decode(b)

  for (const revealSchema of [false, true]) {
    it(`in rows, dictionaries, metadata, the header or inspect (revealSchema: ${revealSchema})`, async () => {
      const policy = {
        fields: { id: 'public', email: ['auditors'], city: ['auditors'] },
        tokens: { email: ['analysts'], city: ['analysts'] },
      } as const
      const table = canaryTable()
      const sealed = await sealTable(
        revealSchema
          ? new Table(
              new Schema(table.schema.fields.map((f) => f.clone({ metadata: new Map() }))),
              table.batches.map(
                (b) =>
                  new RecordBatch(new Schema(table.schema.fields.map((f) => f.clone({ metadata: new Map() }))), b.data),
              ),
            )
          : table,
        { signer: writer, recipients, policy, tokens: crm, revealSchema },
      )
      const seen = await openTable(sealed, { identity: analyst, trustedSigners })
      const everything = [
        latin1(tableToIPC(seen, 'stream')),
        JSON.stringify(
          seen.toArray().map((r) => r.toJSON()),
          (_k, v) => (v instanceof Uint8Array ? hex(v) : v),
        ),
        JSON.stringify(seen.schema.fields.map((f) => [f.name, String(f.type), [...f.metadata]])),
        JSON.stringify(inspect(sealed)),
        latin1(sealed),
      ].join('\n')
      for (const canary of ['canaryTOK']) expect(everything).not.toContain(canary)
      expect(seen.schema.fields.map((f) => f.name)).toEqual(['id', 'email', 'city'])
      // The clear readers still get everything.
      const clear = await openTable(sealed, { identity: auditor, trustedSigners })
      expect(clear.getChild('email')!.get(0)).toBe(CANARY_VALUE)
      expect(clear.getChild('city')!.get(0)).toBe(CANARY_DICT)
    })
  }

  it('refuses a dictionary the tokenised field shares with a field a token role reads', async () => {
    const dict = vectorFromArray(['a', CANARY_DICT], new Utf8())
    const type = new Dictionary(new Utf8(), new Int32(), 9)
    const col = () => makeData({ type, length: 2, nullCount: 0, data: Int32Array.of(0, 1), dictionary: dict })
    const fields = [new Field('home', type, true), new Field('work', type, true)]
    const schema = new Schema(fields)
    const table = new Table(schema, [
      new RecordBatch(
        schema,
        makeData({ type: new Struct(fields), length: 2, nullCount: 0, children: [col(), col()] }),
      ),
    ])
    const attempt = sealTable(table, {
      signer: writer,
      recipients,
      policy: { fields: { home: ['auditors'], work: ['analysts'] }, tokens: { home: ['analysts'] } },
      tokens: crm,
    })
    await expect(attempt).rejects.toMatchObject({ code: 'POLICY_INVALID' })
  })
})

describe('token rules', () => {
  const table = tableFromArrays({ id: Int32Array.of(1), email: ['a'], score: Float64Array.of(1) })
  const seal = (policy: unknown, tokens: typeof crm | null = crm) =>
    sealTable(table, { signer: writer, recipients, policy: policy as never, ...(tokens ? { tokens } : {}) })

  it.each([
    [
      'a public field',
      { fields: { email: 'public' }, default: 'public', tokens: { email: ['analysts'] } },
      'POLICY_INVALID',
    ],
    [
      'a role in both rules',
      { fields: { email: ['analysts'] }, default: 'public', tokens: { email: ['analysts'] } },
      'POLICY_INVALID',
    ],
    [
      'a type with no token encoding',
      { fields: { score: 'drop' }, default: 'public', tokens: { score: ['analysts'] } },
      'POLICY_INVALID',
    ],
    ['an unknown field', { fields: {}, default: 'public', tokens: { nope: ['analysts'] } }, 'POLICY_UNKNOWN_FIELD'],
    [
      'an unknown role',
      { fields: { email: 'drop' }, default: 'public', tokens: { email: ['nobody'] } },
      'POLICY_UNKNOWN_ROLE',
    ],
  ])('refuses %s', async (_what, policy, code) => {
    await expect(seal(policy)).rejects.toMatchObject({ code })
  })

  it('refuses tokens without a dataset token key, and bad token options', async () => {
    const policy = { fields: { email: 'drop' }, default: 'public', tokens: { email: ['analysts'] } }
    await expect(seal(policy, null)).rejects.toMatchObject({ code: 'POLICY_INVALID' })
    await expect(seal(policy, { dataset: 'crm', key: new Uint8Array(31) })).rejects.toThrow(TypeError)
    await expect(seal(policy, { dataset: '', key: datasetKey })).rejects.toThrow(RangeError)
  })

  it('parses, validates and canonicalises policy.tokens', () => {
    const p = parsePolicy({ fields: { email: 'drop' }, tokens: { email: ['b', 'a', 'a'] } })
    expect(p.tokens?.['email']).toEqual(['b', 'a'])
    expect(canonicalPolicy(p)).toBe('{"fields":{"email":"drop"},"tokens":{"email":["a","b"]}}')
    expect(() => parsePolicy({ fields: {}, tokens: { email: 'public' } })).toThrow(/array of the roles/)
    expect(() => parsePolicy({ fields: {}, tokens: [] })).toThrow(/policy.tokens/)
  })

  it('lets a field be read only through its tokens ("drop" for clear)', async () => {
    const sealed = await seal({ fields: { email: 'drop' }, default: 'public', tokens: { email: ['analysts'] } })
    const a = await openTable(sealed, { identity: auditor, trustedSigners })
    expect(a.schema.fields.map((f) => f.name)).toEqual(['id', 'score'])
    const b = await openTable(sealed, { identity: analyst, trustedSigners })
    expect(b.schema.fields.map((f) => f.name)).toEqual(['id', 'email', 'score'])
  })
})

describe('malformed token input', () => {
  it('refuses a column whose buffers do not match its type with ARROW_INVALID, not a crash', async () => {
    // Vectors where Data belongs (a type error, as from untyped callers): columns without buffers.
    const broken = new RecordBatch({ email: vectorFromArray(['a', 'b'], new Utf8()) as never })
    const table = new Table([broken])
    await expect(
      sealTable(table, {
        signer: writer,
        recipients,
        policy: { fields: { email: 'drop' }, tokens: { email: ['analysts'] } },
        tokens: crm,
      }),
    ).rejects.toMatchObject({ code: 'ARROW_INVALID' })
  })
})
