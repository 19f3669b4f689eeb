import { Field, Int32, RecordBatch, Schema, Table, Utf8, vectorFromArray } from 'apache-arrow'
import { describe, expect, it } from 'vitest'
import { nobleBackend } from '../../src/aead/noble.js'
import { inspect } from '../../src/inspect.js'
import { SealStream } from '../../src/stream/seal-stream.js'
import { openTable, sealTable } from '../../src/table.js'
import { sampleTable } from '../fixtures/tables.js'
import { id } from '../helpers/identities.js'
import { codeOf, openStreamed, readAll } from '../helpers/streams.js'

const writer = id('writer')
const analyst = id('analyst')
const auditor = id('auditor')
const outsider = id('outsider')
const recipients = { analysts: [analyst.publicKey], auditors: [auditor.publicKey] }
const policy = { fields: { id: 'public', amount: ['analysts', 'auditors'], email: ['auditors'] } } as const

const names = (t: Table) => t.schema.fields.map((f) => f.name)
const rows = (t: Table) => t.toArray().map((r) => r.toJSON())

describe('round trips', () => {
  it('gives each reader exactly the fields it is entitled to, in schema order', async () => {
    const table = sampleTable(5, 3)
    const sealed = await sealTable(table, { signer: writer, recipients, policy })
    const a = await openTable(sealed, { identity: analyst, trustedSigners: [writer.publicKey] })
    expect(names(a)).toEqual(['id', 'amount'])
    expect(rows(a)).toEqual(rows(table).map(({ id, amount }) => ({ id, amount })))
    expect(a.batches.length).toBe(3)
    const b = await openTable(sealed, { identity: auditor, trustedSigners: [writer.publicKey] })
    expect(names(b)).toEqual(['id', 'email', 'amount'])
    expect(rows(b)).toEqual(rows(table))
  })

  it('round-trips an empty table and zero-row batches, distinct from a truncated stream', async () => {
    const schema = new Schema([new Field('id', new Int32()), new Field('email', new Utf8())])
    const empty = new Table(schema)
    const sealed = await sealTable(empty, {
      signer: writer,
      recipients,
      policy: { fields: { id: 'public', email: ['auditors'] } },
    })
    const out = await openTable(sealed, { identity: auditor, trustedSigners: [writer.publicKey] })
    expect(out.numRows).toBe(0)
    expect(names(out)).toEqual(['id', 'email'])
    expect(inspect(sealed).frames).toEqual({ batches: 0, rows: 0, bytes: expect.any(Number), ended: true })
    // Same bytes without the end frame: truncated, not empty.
    const cut = sealed.subarray(0, inspect(sealed).headerBytes)
    expect(await codeOf(openTable(cut, { identity: auditor, trustedSigners: [writer.publicKey] }))).toBe('TRUNCATED')

    // Zero-row batches between full ones survive as batches of their own.
    const s2 = sampleTable(2).schema
    const mixed = new Table(
      s2,
      [sampleTable(2), sampleTable(0), sampleTable(3)].map((t) => new RecordBatch(s2, t.batches[0]!.data)),
    )
    const sealed0 = await sealTable(mixed, { signer: writer, recipients, policy })
    expect(inspect(sealed0).frames?.batches).toBe(3)
    const out0 = await openTable(sealed0, { identity: auditor, trustedSigners: [writer.publicKey] })
    expect(out0.batches.map((b) => b.numRows)).toEqual([2, 0, 3])
    expect(rows(out0)).toEqual(rows(mixed))
  })

  it('returns denied fields as null columns when the schema is revealed and includeDenied is set', async () => {
    const table = sampleTable(4)
    const sealed = await sealTable(table, { signer: writer, recipients, policy, revealSchema: true })
    const a = await openTable(sealed, { identity: analyst, trustedSigners: [writer.publicKey], includeDenied: true })
    expect(names(a)).toEqual(['id', 'email', 'amount'])
    expect(a.getChild('email')!.toArray()).toEqual([null, null, null, null])
    // Hidden schema: nothing to fill in, the field stays invisible.
    const hidden = await sealTable(table, { signer: writer, recipients, policy })
    const h = await openTable(hidden, { identity: analyst, trustedSigners: [writer.publicKey], includeDenied: true })
    expect(names(h)).toEqual(['id', 'amount'])
  })

  it('supports deflate compression and the noble backend with identical results', async () => {
    const table = sampleTable(100, 2)
    const sealed = await sealTable(table, {
      signer: writer,
      recipients,
      policy,
      compression: 'deflate',
      backend: nobleBackend(),
    })
    const b = await openTable(sealed, { identity: auditor, trustedSigners: [writer.publicKey] })
    expect(rows(b)).toEqual(rows(table))
  })

  it('keeps field and schema metadata for entitled readers only', async () => {
    const schema = new Schema(
      [
        new Field('id', new Int32(), false, new Map([['unit', 'count']])),
        new Field('email', new Utf8(), true, new Map([['pii', 'yes']])),
      ],
      new Map([['owner', 'team-a']]),
    )
    const t = new Table(
      schema,
      new Table({ id: vectorFromArray(Int32Array.of(1)), email: vectorFromArray(['a@b'], new Utf8()) }).batches.map(
        (b) => new RecordBatch(schema, b.data),
      ),
    )
    const sealed = await sealTable(t, {
      signer: writer,
      recipients,
      policy: { fields: { id: 'public', email: ['auditors'] }, schemaMetadata: ['auditors'] },
    })
    const a = await openTable(sealed, { identity: analyst, trustedSigners: [writer.publicKey] })
    expect(a.schema.metadata.size).toBe(0)
    expect(a.schema.fields[0]!.metadata.get('unit')).toBe('count')
    const b = await openTable(sealed, { identity: auditor, trustedSigners: [writer.publicKey] })
    expect(b.schema.metadata.get('owner')).toBe('team-a')
    expect(b.schema.fields[1]!.metadata.get('pii')).toBe('yes')
  })

  it('streams one byte at a time through OpenStream', async () => {
    const table = sampleTable(3, 2)
    const sealed = await sealTable(table, { signer: writer, recipients, policy })
    const b = await openStreamed(sealed, { identity: auditor, trustedSigners: [writer.publicKey] }, 1)
    expect(rows(b)).toEqual(rows(table))
  })

  it('SealStream output opens like sealTable output, and an error leaves no end frame', async () => {
    const table = sampleTable(3, 3)
    const chunks: Uint8Array[] = []
    const src = new ReadableStream({
      start(c) {
        for (const b of table.batches) c.enqueue(b)
        c.close()
      },
    })
    chunks.push(...(await readAll(src.pipeThrough(new SealStream({ signer: writer, recipients, policy })))))
    expect(chunks.length).toBe(1 + 3 + 1)
    const bytes = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0))
    chunks.reduce((o, c) => {
      bytes.set(c, o)
      return o + c.length
    }, 0)
    expect(rows(await openTable(bytes, { identity: auditor, trustedSigners: [writer.publicKey] }))).toEqual(rows(table))

    // The source fails after one batch: whatever was written so far must read as truncated.
    const got: Uint8Array[] = []
    const failing = new ReadableStream({
      start(c) {
        c.enqueue(table.batches[0])
      },
      pull(c) {
        c.error(new Error('upstream failed'))
      },
    })
    await expect(
      (async () => {
        const r = failing.pipeThrough(new SealStream({ signer: writer, recipients, policy })).getReader()
        for (;;) {
          const { done, value } = await r.read()
          if (done) break
          got.push(value)
        }
      })(),
    ).rejects.toThrow('upstream failed')
    const partial = new Uint8Array(got.reduce((n, c) => n + c.length, 0))
    got.reduce((o, c) => {
      partial.set(c, o)
      return o + c.length
    }, 0)
    expect(got.length).toBe(2) // the header and the first frame: written, but never ended
    expect(await codeOf(openTable(partial, { identity: auditor, trustedSigners: [writer.publicKey] }))).toBe(
      'TRUNCATED',
    )
  })

  it('refuses readers that are not recipients, and untrusted signers', async () => {
    const sealed = await sealTable(sampleTable(), { signer: writer, recipients, policy })
    expect(await codeOf(openTable(sealed, { identity: outsider, trustedSigners: [writer.publicKey] }))).toBe(
      'NOT_A_RECIPIENT',
    )
    expect(await codeOf(openTable(sealed, { identity: analyst, trustedSigners: [outsider.publicKey] }))).toBe(
      'SIGNER_UNTRUSTED',
    )
    await expect(openTable(sealed, { identity: analyst, trustedSigners: [] })).rejects.toThrow(TypeError)
  })
})
