/**
 * The input side of `seal`, streaming for every format so that memory stays near one batch, not the file:
 * Arrow IPC batch by batch, CSV and NDJSON row by row into batches of `batchRows` (types from `--schema` or the
 * first rows), Parquet row group by row group.
 * @module
 */
import { type RecordBatch, RecordBatchReader, type Schema } from 'apache-arrow'
import { concatAll } from '../../format/bytes.js'
import { CliError } from '../errors.js'
import { inputStream, isStdio } from '../io.js'
import { readCsv } from './csv-read.js'
import { detectInputFormat, type InputFormat, MAX_BATCH_ROWS } from './formats.js'
import { readNdjson } from './ndjson-read.js'
import { readParquet } from './parquet.js'
import type { TextReadOptions } from './text-options.js'

/** Batches to seal, their schema, and the number of rows seen so far. */
export interface SealInput {
  readonly format: InputFormat
  readonly schema: Schema
  readonly batches: AsyncIterable<RecordBatch>
  /** Rows yielded so far (all rows once `batches` is exhausted). */
  rows(): number
}

// Reads at least `min` bytes (or to the end) without losing them: they are yielded again first.
async function peek(
  stream: ReadableStream<Uint8Array>,
  min: number,
): Promise<{ head: Uint8Array; all: AsyncIterable<Uint8Array>; cancel: () => Promise<void> }> {
  const reader = stream.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  let done = false
  while (size < min) {
    const next = await reader.read()
    if (next.done) {
      done = true
      break
    }
    chunks.push(next.value)
    size += next.value.length
  }
  const head = new Uint8Array(size)
  let at = 0
  for (const c of chunks) {
    head.set(c, at)
    at += c.length
  }
  async function* all(): AsyncGenerator<Uint8Array> {
    if (head.length > 0) yield head
    if (done) return
    for (;;) {
      const next = await reader.read()
      if (next.done) return
      yield next.value
    }
  }
  return { head, all: all(), cancel: () => reader.cancel() }
}

async function collect(chunks: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  for await (const c of chunks) parts.push(c)
  return concatAll(parts)
}

function invalidArrow(err: unknown): CliError {
  return new CliError('INPUT_INVALID', 'input is not a readable Arrow IPC stream or file', undefined, { cause: err })
}

/**
 * How `seal` reads its input: the text options, and the batch size for every format.
 *
 * @example
 * ```ts
 * const options: SealInputOptions = { batchRows: 65_536, delimiter: ';' }
 * ```
 */
export type SealInputOptions = Omit<TextReadOptions, 'batchRows'> & { readonly batchRows?: number }

/**
 * Opens the input of `seal`: the file at `path` or stdin, in `format` or the detected one.
 *
 * @example
 * ```ts
 * const input = await openSealInput('data.arrows')
 * input.batches // AsyncIterable<RecordBatch>, each of at most 65,536 rows
 * ```
 */
export async function openSealInput(
  path: string | undefined,
  format?: InputFormat,
  options: SealInputOptions = {},
): Promise<SealInput> {
  const { head, all, cancel } = await peek(await inputStream(path), 8)
  const chosen = format ?? detectInputFormat(path, head)
  const batchRows = options.batchRows ?? MAX_BATCH_ROWS
  let rows = 0
  async function* counted(source: AsyncIterable<RecordBatch>): AsyncGenerator<RecordBatch> {
    for await (const b of source) {
      rows += b.numRows
      yield b
    }
  }
  if (chosen === 'csv' || chosen === 'ndjson') {
    // A .tsv file is tab-separated unless --delimiter says otherwise.
    const delimiter = options.delimiter ?? (path?.toLowerCase().endsWith('.tsv') ? '\t' : ',')
    const text = { ...options, delimiter, batchRows }
    const { schema, batches } = chosen === 'csv' ? await readCsv(all, text) : await readNdjson(all, text)
    return { format: chosen, schema, batches: counted(batches), rows: () => rows }
  }
  if (chosen === 'parquet') {
    if (head.length === 0) throw new CliError('INPUT_INVALID', 'Parquet input is empty')
    // A file is read in place; stdin has to be held (Parquet's footer is at the end).
    const whole = isStdio(path) ? await collect(all) : undefined
    if (!whole) await cancel()
    const { schema, batches } = await readParquet(path, whole, batchRows)
    return { format: chosen, schema, batches: counted(batches), rows: () => rows }
  }
  if (head.length === 0) throw new CliError('INPUT_INVALID', 'Arrow input is empty')
  let reader: Awaited<ReturnType<typeof RecordBatchReader.from>>
  try {
    reader = await RecordBatchReader.from(all)
    await reader.open()
  } catch (err) {
    throw invalidArrow(err)
  }
  if (!reader.schema || reader.schema.fields.length === 0)
    throw new CliError('INPUT_INVALID', 'Arrow input has no schema fields')
  async function* batches(): AsyncGenerator<RecordBatch> {
    const it = (reader as AsyncIterable<RecordBatch>)[Symbol.asyncIterator]()
    for (;;) {
      let next: IteratorResult<RecordBatch>
      try {
        next = await it.next()
      } catch (err) {
        throw invalidArrow(err)
      }
      if (next.done) return
      const batch = next.value
      if (batch.numRows <= batchRows) {
        rows += batch.numRows
        yield batch
        continue
      }
      // A very large input batch is cut so that every sealed frame stays well under readers' frame limits.
      for (let start = 0; start < batch.numRows; start += batchRows) {
        const part = batch.slice(start, start + batchRows)
        rows += part.numRows
        yield part
      }
    }
  }
  return { format: chosen, schema: reader.schema, batches: batches(), rows: () => rows }
}
