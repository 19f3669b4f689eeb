/**
 * The options `seal` passes to the CSV and NDJSON readers, and their defaults.
 * @module
 */
import type { RecordBatch, Schema } from 'apache-arrow'
import type { TextColumn } from './schema-file.js'

/**
 * Rows read before column types are fixed, when there is no `--schema` (`--infer-rows`).
 *
 * @example
 * ```ts
 * DEFAULT_INFER_ROWS // 10000
 * ```
 */
export const DEFAULT_INFER_ROWS = 10_000

/**
 * How to read text input.
 *
 * @example
 * ```ts
 * const options: TextReadOptions = { batchRows: 65_536 }
 * ```
 */
export interface TextReadOptions {
  /** CSV field separator (default `,`). */
  readonly delimiter?: string
  /** CSV: `false` when the file has no header row (names then come from `schema`). */
  readonly header?: boolean
  /** Exact column names and types; without it, types are inferred from the first `inferRows` rows. */
  readonly schema?: readonly TextColumn[]
  /** CSV: the text that means null. Default: the empty field. */
  readonly nullValue?: string
  readonly batchRows: number
  readonly inferRows?: number
  readonly warn?: (message: string) => void
}

/**
 * What a reader returns once the schema is known (after the header and, without a schema, the first rows).
 *
 * @example
 * ```ts
 * const { schema, batches } = await readCsv(chunks, { batchRows: 65_536 })
 * ```
 */
export interface TextBatches {
  readonly schema: Schema
  readonly batches: AsyncGenerator<RecordBatch>
}
