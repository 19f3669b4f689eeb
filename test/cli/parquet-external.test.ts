/**
 * Parquet files written by other implementations than the ones arrowseal uses (Arrow C++ / pyarrow at several
 * versions, DuckDB, Polars, fastparquet, GDAL through pyogrio): each seals and opens to the same values as
 * parquet-wasm's own reading of the file. Their sources and licences: test/vectors/parquet-external/SOURCE.md.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { RecordBatch, Table } from 'apache-arrow'
import { beforeAll, describe, expect, it } from 'vitest'
import { typesEqual } from '../../src/arrow/equality.js'
import { parquetToTable } from '../../src/cli/convert/parquet.js'
import { openSealInput } from '../../src/cli/convert/source.js'
import { jsonValue } from '../../src/cli/convert/values.js'
import { generateIdentity, type Identity, OpenStream, SealStream } from '../../src/index.js'
import { readableFrom } from '../../src/node/streams.js'
import { ROOT } from './helpers.js'

const DIR = join(ROOT, 'test', 'vectors', 'parquet-external')
const FILES = readdirSync(DIR).filter((f) => f.endsWith('.parquet'))

let writer: Identity
let reader: Identity

beforeAll(async () => {
  ;[writer, reader] = await Promise.all([generateIdentity(), generateIdentity()])
})

async function sealAndOpen(path: string, batchRows: number): Promise<RecordBatch[]> {
  const input = await openSealInput(path, undefined, { batchRows })
  const sealed = readableFrom(input.batches).pipeThrough(
    new SealStream({
      schema: input.schema,
      signer: writer,
      recipients: { r: [reader.publicKey] },
      policy: { fields: {}, default: ['r'], schemaMetadata: ['r'] },
    }),
  )
  const opened = sealed.pipeThrough(new OpenStream({ identity: reader, trustedSigners: [writer.publicKey] }))
  const out: RecordBatch[] = []
  for await (const b of opened as unknown as AsyncIterable<RecordBatch>) out.push(b)
  return out
}

// Values compared through the CLI's exact rendering (decimals and big integers as text, binary as base64).
const rendered = (v: { length: number; get(i: number): unknown }, type: Parameters<typeof jsonValue>[1]) =>
  JSON.stringify(Array.from({ length: v.length }, (_, r) => jsonValue(v.get(r), type)))

function expectSameValues(batches: readonly RecordBatch[], expected: Table): void {
  expect(batches.reduce((n, b) => n + b.numRows, 0)).toBe(expected.numRows)
  let at = 0
  for (const b of batches) {
    expect(b.schema.fields.map((f) => f.name)).toEqual(expected.schema.fields.map((f) => f.name))
    for (const [i, field] of expected.schema.fields.entries()) {
      expect(typesEqual(b.schema.fields[i]!.type, field.type), `${field.name}: ${b.schema.fields[i]!.type}`).toBe(true)
      const want = expected.getChildAt(i)!.slice(at, at + b.numRows)
      expect(rendered(b.getChildAt(i)!, field.type), `column ${field.name}, rows ${at}…`).toBe(
        rendered(want, field.type),
      )
    }
    at += b.numRows
  }
}

describe('Parquet files written by other implementations (test/vectors/parquet-external)', () => {
  it('has at least ten of them, each named in SOURCE.md', () => {
    expect(FILES.length).toBeGreaterThanOrEqual(10)
    const source = readFileSync(join(DIR, 'SOURCE.md'), 'utf8')
    for (const f of FILES) expect(source, f).toContain(`\`${f}\``)
  })

  it.each(FILES)('%s seals and opens to the values parquet-wasm reads', async (file) => {
    const path = join(DIR, file)
    const expected = await parquetToTable(readFileSync(path))
    expect(expected.numRows).toBeGreaterThan(0)
    // Small batches, so that row groups and pages are cut across batches too.
    const batches = await sealAndOpen(path, 512)
    for (const b of batches) expect(b.numRows).toBeLessThanOrEqual(512)
    expectSameValues(batches, expected)
    expect(Object.fromEntries(batches[0]!.schema.metadata)).toEqual(Object.fromEntries(expected.schema.metadata))
  })
})
