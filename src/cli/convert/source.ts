/**
 * The input side of `seal`: Arrow IPC is streamed batch by batch (memory stays near one batch), CSV and NDJSON
 * are read whole (their types can only be inferred from every value) and cut into batches.
 * @module
 */
import { type RecordBatch, RecordBatchReader, type Schema } from 'apache-arrow'
import { concatAll } from '../../format/bytes.js'
import { CliError } from '../errors.js'
import { inputStream } from '../io.js'
import { batchesOf, detectInputFormat, type InputFormat, MAX_BATCH_ROWS, readTable } from './formats.js'

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
): Promise<{ head: Uint8Array; all: AsyncIterable<Uint8Array> }> {
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
  return { head, all: all() }
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
  csv: { delimiter?: string; warn?: (message: string) => void } = {},
): Promise<SealInput> {
  const { head, all } = await peek(await inputStream(path), 8)
  const chosen = format ?? detectInputFormat(path, head)
  let rows = 0
  if (chosen !== 'arrow') {
    // A .tsv file is tab-separated unless --delimiter says otherwise.
    const delimiter = csv.delimiter ?? (path?.toLowerCase().endsWith('.tsv') ? '\t' : ',')
    const table = readTable(await collect(all), chosen, { delimiter, ...(csv.warn ? { warn: csv.warn } : {}) })
    async function* batches(): AsyncGenerator<RecordBatch> {
      for (const b of batchesOf(table)) {
        rows += b.numRows
        yield b
      }
    }
    return { format: chosen, schema: table.schema, batches: batches(), rows: () => rows }
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
      if (batch.numRows <= MAX_BATCH_ROWS) {
        rows += batch.numRows
        yield batch
        continue
      }
      // A very large input batch is cut so that every sealed frame stays well under readers' frame limits.
      for (let start = 0; start < batch.numRows; start += MAX_BATCH_ROWS) {
        const part = batch.slice(start, start + MAX_BATCH_ROWS)
        rows += part.numRows
        yield part
      }
    }
  }
  return { format: chosen, schema: reader.schema, batches: batches(), rows: () => rows }
}
