/** Reading CSV/NDJSON text through the streaming readers into one table, for in-process tests. */
import { type RecordBatch, Table } from 'apache-arrow'
import { readCsv } from '../../src/cli/convert/csv-read.js'
import { readNdjson } from '../../src/cli/convert/ndjson-read.js'
import type { TextReadOptions } from '../../src/cli/convert/text-options.js'

async function* chunksOf(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size)
}

/** Reads `input` (text or bytes) as `format`, fed in chunks of `chunk` bytes (to cross chunk boundaries). */
export async function readText(
  input: string | Uint8Array,
  format: 'csv' | 'ndjson',
  options: Partial<TextReadOptions> = {},
  chunk = 7,
): Promise<{ table: Table; batches: RecordBatch[] }> {
  const bytes = typeof input === 'string' ? new TextEncoder().encode(input) : input
  const opts = { batchRows: 65_536, ...options }
  const { schema, batches } = await (format === 'csv' ? readCsv : readNdjson)(chunksOf(bytes, chunk), opts)
  const all: RecordBatch[] = []
  for await (const b of batches) all.push(b)
  return { table: all.length > 0 ? new Table(all) : new Table(schema), batches: all }
}

/** CSV text → table (header first, default options). */
export async function csvTable(text: string, delimiter = ',', warn?: (m: string) => void): Promise<Table> {
  return (await readText(text, 'csv', { delimiter, ...(warn ? { warn } : {}) })).table
}

/** NDJSON text → table. */
export async function ndjsonTable(text: string): Promise<Table> {
  return (await readText(text, 'ndjson')).table
}
