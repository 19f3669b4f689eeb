/**
 * Parquet in and out: files written by another implementation (hyparquet-writer, see
 * test/fixtures/parquet/README.md) seal and open to the same values as parquet-wasm's own reading; `open` writes
 * Parquet whose key/value metadata is exactly the schema metadata the reader may see.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { RecordBatch, Table } from 'apache-arrow'
import { beforeAll, describe, expect, it } from 'vitest'
import { typesEqual } from '../../src/arrow/equality.js'
import { parquetToTable, parquetWriter } from '../../src/cli/convert/parquet.js'
import { openSealInput } from '../../src/cli/convert/source.js'
import { jsonValue } from '../../src/cli/convert/values.js'
import type { Output } from '../../src/cli/io.js'
import { generateIdentity, type Identity, OpenStream, SealStream } from '../../src/index.js'
import { readableFrom } from '../../src/node/streams.js'
import { ROOT } from './helpers.js'

const DIR = join(ROOT, 'test', 'fixtures', 'parquet')
const FILES = readdirSync(DIR).filter((f) => f.endsWith('.parquet'))

let writer: Identity
let reader: Identity

beforeAll(async () => {
  ;[writer, reader] = await Promise.all([generateIdentity(), generateIdentity()])
})

type Policy = ConstructorParameters<typeof SealStream>[0]['policy']

async function sealAndOpen(path: string, policy: Policy, batchRows = 1000): Promise<RecordBatch[]> {
  const input = await openSealInput(path, undefined, { batchRows })
  const sealed = readableFrom(input.batches).pipeThrough(
    new SealStream({ schema: input.schema, signer: writer, recipients: { r: [reader.publicKey] }, policy }),
  )
  const opened = sealed.pipeThrough(new OpenStream({ identity: reader, trustedSigners: [writer.publicKey] }))
  const out: RecordBatch[] = []
  for await (const b of opened as unknown as AsyncIterable<RecordBatch>) out.push(b)
  return out
}

function expectSameValues(batches: readonly RecordBatch[], expected: Table): void {
  const rows = batches.reduce((n, b) => n + b.numRows, 0)
  expect(rows).toBe(expected.numRows)
  let at = 0
  for (const b of batches) {
    for (const [i, field] of expected.schema.fields.entries()) {
      const got = b.getChildAt(i)!
      expect(b.schema.fields[i]!.name).toBe(field.name)
      expect(typesEqual(b.schema.fields[i]!.type, field.type), `${field.name}: ${b.schema.fields[i]!.type}`).toBe(true)
      const want = expected.getChildAt(i)!.slice(at, at + b.numRows)
      // Compared through the CLI's own value rendering, which is exact for every type here (decimals as text,
      // 64-bit integers beyond 2^53 as text, binary as base64).
      const text = (v: typeof got) =>
        JSON.stringify(Array.from({ length: v.length }, (_, r) => jsonValue(v.get(r), field.type)))
      expect(text(got), `column ${field.name}, rows ${at}…`).toBe(text(want))
    }
    at += b.numRows
  }
}

describe('Parquet files written by another implementation', () => {
  it('has at least ten of them', () => {
    expect(FILES.length).toBeGreaterThanOrEqual(10)
  })

  it.each(FILES)('%s seals and opens to the values parquet-wasm reads, and writes back as Parquet', async (file) => {
    const path = join(DIR, file)
    const expected = await parquetToTable(readFileSync(path))
    const batches = await sealAndOpen(path, { fields: {}, default: ['r'] })
    expectSameValues(batches, expected)
    // Row groups stream: no batch is larger than --batch-rows.
    for (const b of batches) expect(b.numRows).toBeLessThanOrEqual(1000)
    // open --format parquet's writer: what it writes reads back to the same values.
    expectSameValues(batches, await parquetToTable(await writeParquet(batches)))
  })
})

describe('Parquet key/value metadata follows the schema-metadata rule', () => {
  const path = join(DIR, 'kv-metadata.parquet')

  it('is read as schema metadata, without ARROW:schema', async () => {
    const input = await openSealInput(path)
    expect(Object.fromEntries(input.schema.metadata)).toEqual({ lineage: 'crm-export v3', owner: 'data-platform' })
  })

  it('with no schemaMetadata or default rule, sealing fails closed', async () => {
    await expect(sealAndOpen(path, { fields: { x: ['r'] } })).rejects.toMatchObject({ code: 'POLICY_FIELD_UNCOVERED' })
  })

  it('a reader the rule names sees it, and open writes it into the Parquet file; others get none', async () => {
    const seen = await sealAndOpen(path, { fields: { x: ['r'] }, schemaMetadata: ['r'] })
    expect(seen[0]!.schema.metadata.get('lineage')).toBe('crm-export v3')
    const written = await writeParquet(seen)
    const back = await parquetToTable(written)
    expect(back.schema.metadata.get('owner')).toBe('data-platform')
    expectSameValues(seen, back)

    const hidden = await sealAndOpen(path, { fields: { x: ['r'] }, schemaMetadata: 'drop' })
    expect(hidden[0]!.schema.metadata.size).toBe(0)
    const none = await parquetToTable(await writeParquet(hidden))
    expect([...none.schema.metadata.keys()]).toEqual([])
  })
})

async function writeParquet(batches: readonly RecordBatch[]): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  const out: Output = {
    bytesWritten: 0,
    async write(chunk) {
      parts.push(typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk)
    },
    async commit() {},
    async abort() {},
  }
  const w = await parquetWriter(out)
  for (const b of batches) await w.write(b)
  await w.finish()
  return Buffer.concat(parts)
}
