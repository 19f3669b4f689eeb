/**
 * The input forms `sealTable` and `openTable` accept besides a `Table` and a `Uint8Array`, the way apache-arrow's
 * own readers and writers accept them: record batches from a sync or async iterable, and sealed bytes from a
 * `Response`, a `ReadableStream<Uint8Array>` or any `AsyncIterable<Uint8Array>` (which includes Node's
 * `Readable`). Whole-table functions hold everything in memory; use `SealStream`/`OpenStream` for large data.
 * Web APIs only.
 *
 * @module
 */
import { type RecordBatch, Table } from 'apache-arrow'
import { ArrowSealError } from './errors.js'

/**
 * What `sealTable` seals: a table, or its record batches (all of one schema) from an iterable or async iterable.
 *
 * @example
 * ```ts
 * const input: TableInput = table.batches
 * ```
 */
export type TableInput = Table | Iterable<RecordBatch> | AsyncIterable<RecordBatch>

/**
 * Where `openTable` reads a sealed stream from.
 *
 * @example
 * ```ts
 * const input: SealedInput = await fetch('/data.aseal')
 * ```
 */
export type SealedInput = Uint8Array | Response | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>

/**
 * A table from a {@link TableInput}. Batches with no table around them need at least one batch: the schema comes
 * from it (seal an empty table as a `Table`).
 *
 * @example
 * ```ts
 * const table = await toTable(batchesFromSomewhere())
 * ```
 */
export async function toTable(input: TableInput): Promise<Table> {
  if (input instanceof Table) return input
  const batches: RecordBatch[] = []
  if (Symbol.asyncIterator in input) for await (const b of input) batches.push(b)
  else for (const b of input) batches.push(b)
  if (batches.length === 0)
    throw new ArrowSealError('ARROW_INVALID', 'no record batches to seal: pass a Table to seal an empty table')
  try {
    return new Table(batches)
  } catch (err) {
    throw new ArrowSealError('ARROW_INVALID', 'the record batches do not share one schema', { cause: err })
  }
}

/**
 * The bytes of a {@link SealedInput}.
 *
 * @example
 * ```ts
 * const bytes = await toBytes(await fetch('/data.aseal'))
 * ```
 */
export async function toBytes(input: SealedInput): Promise<Uint8Array> {
  if (input instanceof Uint8Array) return input
  let source: AsyncIterable<unknown> | ReadableStream<unknown>
  if (typeof Response !== 'undefined' && input instanceof Response) {
    if (input.body === null) return new Uint8Array(0)
    source = input.body
  } else source = input as AsyncIterable<unknown> | ReadableStream<unknown>
  const chunks: Uint8Array[] = []
  let total = 0
  const take = (chunk: unknown) => {
    if (!(chunk instanceof Uint8Array))
      throw new ArrowSealError('FORMAT_INVALID', 'a sealed stream source yielded something other than bytes')
    chunks.push(chunk)
    total += chunk.length
  }
  if (Symbol.asyncIterator in source) for await (const c of source as AsyncIterable<unknown>) take(c)
  else {
    // Chromium's ReadableStream is not async-iterable everywhere: read it by hand.
    const reader = (source as ReadableStream<unknown>).getReader()
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      take(value)
    }
  }
  const out = new Uint8Array(total)
  let at = 0
  for (const c of chunks) {
    out.set(c, at)
    at += c.length
  }
  return out
}

/**
 * A {@link SealedInput} as a byte stream, read lazily: nothing is buffered beyond what the consumer pulls, so
 * `OpenStream.from` keeps its one-frame memory bound whatever the source. Chunks that are not bytes become a
 * `FORMAT_INVALID` error of the stream.
 *
 * @example
 * ```ts
 * const bytes = toByteStream(await fetch('/data.aseal'))
 * ```
 */
export function toByteStream(input: SealedInput): ReadableStream<Uint8Array> {
  if (input instanceof Uint8Array) {
    return new ReadableStream<Uint8Array>({
      start(c) {
        if (input.length > 0) c.enqueue(input)
        c.close()
      },
    })
  }
  if (typeof Response !== 'undefined' && input instanceof Response) {
    return input.body ?? toByteStream(new Uint8Array(0))
  }
  if (input instanceof ReadableStream) return input
  const iterator = (input as AsyncIterable<unknown>)[Symbol.asyncIterator]()
  return new ReadableStream<Uint8Array>({
    async pull(c) {
      const { done, value } = await iterator.next()
      if (done) return c.close()
      if (!(value instanceof Uint8Array)) {
        throw new ArrowSealError('FORMAT_INVALID', 'a sealed stream source yielded something other than bytes')
      }
      c.enqueue(value)
    },
    async cancel(reason) {
      await iterator.return?.(reason)
    },
  })
}
