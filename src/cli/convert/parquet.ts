/**
 * Parquet in and out through `parquet-wasm` (the Rust `parquet` crate compiled to WebAssembly, Arrow-native).
 *
 * In: a file is read through a lazily sliced `Blob`, so only the footer and one row group at a time are in
 * memory, and row groups become record batches as they are decoded. Stdin cannot be read from the end, so it is
 * held whole first. The file's key/value metadata (without `ARROW:schema`, the writer's own copy of the Arrow
 * schema) becomes the schema's metadata, so the policy's `schemaMetadata` rule decides who may read it.
 *
 * Out: batches are handed to parquet-wasm's streaming writer as they are opened; the schema metadata the reader
 * may see is written as the file's key/value metadata.
 *
 * The module is loaded only when Parquet is used: compiling its 5 MB of WebAssembly would slow every command.
 * @module
 */
import { openAsBlob } from 'node:fs'
import { RecordBatch, Schema, Table, tableFromIPC, tableToIPC } from 'apache-arrow'
import type { ParquetFile, RecordBatch as WasmBatch } from 'parquet-wasm'
import { CliError } from '../errors.js'
import type { Output } from '../io.js'

type ParquetWasm = typeof import('parquet-wasm')

let loaded: Promise<ParquetWasm> | undefined
function parquetWasm(): Promise<ParquetWasm> {
  loaded ??= import('parquet-wasm')
  return loaded
}

function invalid(what: string): CliError {
  // parquet-wasm's messages can quote bytes of the file; they are not passed on.
  return new CliError('INPUT_INVALID', `Parquet input ${what}`)
}

/**
 * Opens Parquet input: the file at `path`, or `bytes` already read (stdin). Resolves with the Arrow schema;
 * batches of at most `batchRows` rows follow, one row group after another.
 *
 * @example
 * ```ts
 * const { schema, batches } = await readParquet('data.parquet', undefined, 65_536)
 * ```
 */
export async function readParquet(
  path: string | undefined,
  bytes: Uint8Array | undefined,
  batchRows: number,
): Promise<{ schema: Schema; batches: AsyncGenerator<RecordBatch> }> {
  const pq = await parquetWasm()
  const blob = bytes ? new Blob([bytes as Uint8Array<ArrayBuffer>]) : await openAsBlob(path!)
  let file: ParquetFile
  let fields: Schema['fields']
  const metadata = new Map<string, string>()
  try {
    file = await pq.ParquetFile.fromFile(blob)
    const kv = file.metadata().fileMetadata().keyValueMetadata()
    for (const [k, v] of kv) if (k !== 'ARROW:schema') metadata.set(k, v)
    // The Arrow schema, from an empty read: parquet-wasm gives it as IPC bytes.
    const empty = tableFromIPC(file.schema().intoIPCStream())
    fields = empty.schema.fields
  } catch (err) {
    if (err instanceof CliError) throw err
    throw invalid('is not a readable Parquet file')
  }
  if (fields.length === 0) throw invalid('has no columns')
  const schema = new Schema(fields, metadata)
  async function* batches(): AsyncGenerator<RecordBatch> {
    let stream: ReadableStream<WasmBatch>
    try {
      stream = await file.stream({ batchSize: batchRows })
    } catch {
      throw invalid('could not be read')
    }
    const reader = stream.getReader()
    try {
      for (;;) {
        let next: ReadableStreamReadResult<WasmBatch>
        try {
          next = await reader.read()
        } catch {
          throw invalid('has a row group that could not be decoded')
        }
        if (next.done) return
        const table = tableFromIPC(next.value.intoIPCStream())
        // One schema object for every batch (with the file's metadata), as the sealer expects.
        for (const b of table.batches) yield new RecordBatch(schema, b.data)
      }
    } finally {
      reader.releaseLock()
      file.free()
    }
  }
  return { schema, batches: batches() }
}

/**
 * A Parquet writer onto `out`: batches are encoded as they arrive (a row group is buffered until full).
 *
 * @example
 * ```ts
 * const w = await parquetWriter(out)
 * await w.write(batch)
 * await w.finish()
 * ```
 */
export async function parquetWriter(
  out: Output,
): Promise<{ write(batch: RecordBatch): Promise<void>; finish(): Promise<void> }> {
  const pq = await parquetWasm()
  let controller!: ReadableStreamDefaultController<WasmBatch>
  let pump: Promise<void> | undefined
  const input = new ReadableStream<WasmBatch>({
    start: (c) => {
      controller = c
    },
  })
  const start = async (schema: Schema) => {
    const builder = new pq.WriterPropertiesBuilder().setCompression(pq.Compression.ZSTD)
    const props = (schema.metadata.size > 0 ? builder.setKeyValueMetadata(new Map(schema.metadata)) : builder).build()
    const bytes = await pq.transformParquetStream(input, props)
    const reader = (bytes as ReadableStream<Uint8Array>).getReader()
    for (;;) {
      const next = await reader.read()
      if (next.done) return
      await out.write(next.value)
    }
  }
  return {
    async write(batch) {
      if (!pump) {
        pump = start(batch.schema)
        pump.catch(() => undefined)
      }
      const wasm = pq.Table.fromIPCStream(tableToIPC(new Table([batch]), 'stream'))
      for (const b of wasm.recordBatches()) controller.enqueue(b)
      wasm.free()
    },
    async finish() {
      // Without a batch there is no schema to write (an opened stream gives its schema with its batches).
      if (!pump)
        throw new CliError(
          'INPUT_INVALID',
          'the stream has no rows to write as Parquet',
          'use --format arrow for an empty stream',
        )
      controller.close()
      if (pump) await pump
    },
  }
}

/**
 * Reads a whole Parquet file into an Arrow table with parquet-wasm (for tests and comparisons).
 *
 * @example
 * ```ts
 * const table = await parquetToTable(bytes)
 * ```
 */
export async function parquetToTable(bytes: Uint8Array): Promise<Table> {
  const pq = await parquetWasm()
  return tableFromIPC(pq.readParquet(bytes).intoIPCStream())
}
