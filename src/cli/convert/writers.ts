/**
 * Writing record batches to an output in one of the `open` formats, as they arrive.
 * @module
 */
import { type RecordBatch, RecordBatchFileWriter, RecordBatchStreamWriter } from 'apache-arrow'
import { CliError } from '../errors.js'
import type { Output } from '../io.js'
import { csvHeader, csvLines } from './csv.js'
import { shareDictionaries } from './dictionaries.js'
import type { OutputFormat } from './formats.js'
import { ndjsonLines } from './ndjson.js'
import { parquetWriter } from './parquet.js'

/**
 * Accepts batches in order; `finish()` writes any trailer (the Arrow file footer).
 *
 * @example
 * ```ts
 * const writer: BatchWriter = createBatchWriter('ndjson', out)
 * ```
 */
export interface BatchWriter {
  write(batch: RecordBatch): Promise<void>
  finish(): Promise<void>
}

/**
 * Creates a writer of `format` onto `out`.
 *
 * @example
 * ```ts
 * const w = createBatchWriter('csv', out)
 * for await (const batch of batches) await w.write(batch)
 * await w.finish()
 * ```
 */
export function createBatchWriter(format: OutputFormat, out: Output): BatchWriter {
  if (format === 'arrow' || format === 'arrow-file') return arrowWriter(format, out)
  if (format === 'parquet') return lazyParquet(out)
  let first = true
  return {
    async write(batch) {
      if (format === 'csv') {
        if (first) await out.write(csvHeader(batch.schema))
        let text = ''
        for (const line of csvLines(batch.schema, batch)) text += line
        await out.write(text)
      } else {
        let text = ''
        for (const line of ndjsonLines(batch.schema, batch)) text += line
        await out.write(text)
      }
      first = false
    },
    async finish() {},
  }
}

// parquet-wasm is loaded with the first batch, so that other formats never pay for it.
function lazyParquet(out: Output): BatchWriter {
  let writer: ReturnType<typeof parquetWriter> | undefined
  return {
    async write(batch) {
      writer ??= parquetWriter(out)
      await (await writer).write(batch)
    },
    async finish() {
      writer ??= parquetWriter(out)
      await (await writer).finish()
    },
  }
}

function arrowWriter(format: 'arrow' | 'arrow-file', out: Output): BatchWriter {
  const writer = format === 'arrow' ? new RecordBatchStreamWriter() : new RecordBatchFileWriter()
  // The Arrow writer is itself an async iterable of encoded bytes; drain it concurrently so that output is
  // streamed batch by batch instead of being built in memory.
  const pump = (async () => {
    for await (const chunk of writer as unknown as AsyncIterable<Uint8Array>) await out.write(chunk)
  })()
  // Keep an early pump failure (e.g. disk full) from being an unhandled rejection; finish() rethrows it.
  pump.catch(() => undefined)
  const share = shareDictionaries()
  return {
    async write(batch) {
      try {
        writer.write(share(batch))
      } catch (err) {
        if (err instanceof Error && /replacement dictionaries/.test(err.message))
          throw new CliError(
            'INPUT_INVALID',
            'a dictionary changes between batches, which the Arrow file format cannot hold',
            'use --format arrow (an IPC stream) instead',
            { cause: err },
          )
        throw err
      }
    },
    async finish() {
      writer.finish()
      await pump
    },
  }
}
