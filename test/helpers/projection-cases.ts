/**
 * Column projection cases shared by the Node and the Chromium suites (test/node/projection.test.ts,
 * test/browser/projection.test.ts): the same assertions on each entry's functions.
 */
import { type RecordBatch, type Table, tableFromArrays } from 'apache-arrow'
import fc from 'fast-check'
import { expect, it } from 'vitest'
import type * as Core from '../../src/index.js'

type Api = Pick<typeof Core, 'generateIdentity' | 'sealTable' | 'openTable' | 'OpenStream' | 'defaultBackend'>

const FIELDS = ['id', 'region', 'amount', 'email', 'note'] as const

function sample(rows: number): Table {
  return tableFromArrays({
    id: Int32Array.from({ length: rows }, (_, i) => i),
    region: Array.from({ length: rows }, (_, i) => ['eu', 'us'][i % 2]!),
    amount: Float64Array.from({ length: rows }, (_, i) => i * 1.5),
    email: Array.from({ length: rows }, (_, i) => `u${i}@example.com`),
    note: Array.from({ length: rows }, (_, i) => `n${i}`),
  })
}

/** A backend that counts the bytes it decrypts, to show which units were opened. */
function counting(inner: Core.CryptoBackend): { backend: Core.CryptoBackend; opened: () => number } {
  let bytes = 0
  const backend: Core.CryptoBackend = {
    name: inner.name,
    importKey: (raw) => inner.importKey(raw),
    seal: (k, n, a, p) => inner.seal(k, n, a, p),
    open: (k, n, a, s) => {
      bytes += s.length
      return inner.open(k, n, a, s)
    },
    sha256: (d) => inner.sha256(d),
  }
  return { backend, opened: () => bytes }
}

async function drain(readable: ReadableStream<RecordBatch>): Promise<RecordBatch[]> {
  const reader = readable.getReader()
  const out: RecordBatch[] = []
  for (;;) {
    const { done, value } = await reader.read()
    if (done) return out
    out.push(value)
  }
}

export function projectionCases(api: Api): void {
  async function setup() {
    const [writer, analyst, auditor] = await Promise.all([
      api.generateIdentity(),
      api.generateIdentity(),
      api.generateIdentity(),
    ])
    // Three groups: public {id, region}, analysts and auditors {amount}, auditors {email, note} (one rule).
    const sealed = await api.sealTable(sample(40), {
      signer: writer,
      recipients: { analysts: [analyst.publicKey], auditors: [auditor.publicKey] },
      policy: {
        fields: { id: 'public', region: 'public', amount: ['analysts', 'auditors'], email: ['auditors'] },
        default: ['auditors'],
      },
    })
    return { writer, analyst, auditor, sealed }
  }

  it('returns exactly the asked columns, in the asked order, as a full open then select would', async () => {
    const { writer, auditor, sealed } = await setup()
    const read = { identity: auditor, trustedSigners: [writer.publicKey] }
    const full = await api.openTable(sealed, read)
    await fc.assert(
      fc.asyncProperty(fc.shuffledSubarray([...FIELDS], { minLength: 1 }), async (columns) => {
        const t = await api.openTable(sealed, { ...read, columns })
        expect(t.schema.fields.map((f) => f.name)).toEqual(columns)
        for (const c of columns) expect(t.getChild(c)!.toArray()).toEqual(full.getChild(c)!.toArray())
        expect(t.numRows).toBe(40)
      }),
      { numRuns: 10 },
    )
  })

  it('does not decrypt the groups it was not asked for', async () => {
    const { writer, auditor, sealed } = await setup()
    const all = counting(api.defaultBackend())
    await api.openTable(sealed, { identity: auditor, trustedSigners: [writer.publicKey], backend: all.backend })
    const publicOnly = counting(api.defaultBackend())
    const t = await api.openTable(sealed, {
      identity: auditor,
      trustedSigners: [writer.publicKey],
      backend: publicOnly.backend,
      columns: ['region', 'id'],
    })
    expect(t.numRows).toBe(40)
    const amountOnly = counting(api.defaultBackend())
    await api.openTable(sealed, {
      identity: auditor,
      trustedSigners: [writer.publicKey],
      backend: amountOnly.backend,
      columns: ['amount'],
    })
    // Only the hidden schema blobs are decrypted for a public-only read; one group's units for `amount`.
    expect(publicOnly.opened()).toBeLessThan(amountOnly.opened())
    expect(amountOnly.opened()).toBeLessThan(all.opened())
  })

  it('streams project too, and name what they return', async () => {
    const { writer, analyst, sealed } = await setup()
    const stream = api.OpenStream.from(sealed, {
      identity: analyst,
      trustedSigners: [writer.publicKey],
      columns: ['amount', 'id'],
    })
    const batches = await drain(stream.readable)
    expect((await stream.schema).fields.map((f) => f.name)).toEqual(['amount', 'id'])
    expect(batches.every((b) => b.schema.fields.map((f) => f.name).join() === 'amount,id')).toBe(true)
  })

  it('a column this reader cannot see is COLUMN_NOT_READABLE, whether or not it exists', async () => {
    const { writer, analyst, sealed } = await setup()
    const read = { identity: analyst, trustedSigners: [writer.publicKey] }
    for (const columns of [['email'], ['nope'], ['id', 'note']])
      await expect(api.openTable(sealed, { ...read, columns })).rejects.toMatchObject({
        code: 'COLUMN_NOT_READABLE',
      })
    for (const columns of [[], ['id', 'id'], [''], 'id'])
      await expect(api.openTable(sealed, { ...read, columns: columns as string[] })).rejects.toThrow(TypeError)
  })
}
