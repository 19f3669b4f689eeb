/**
 * Cutting text rows into record batches of a fixed schema: rows go into {@link columnBuilder}s and every
 * `batchRows` rows become one `RecordBatch`, so memory holds one batch, not the file. A value that does not fit
 * its column stops the input with an error naming the row and the column (never the value: it may be secret).
 * @module
 */
import { makeData, RecordBatch, type Schema, Struct } from 'apache-arrow'
import { CliError } from '../errors.js'
import { typeName } from './column-type.js'
import { type ColumnBuilder, columnBuilder } from './columns.js'
import type { TextColumn } from './schema-file.js'

/** How rows are numbered and what to suggest when a value does not fit. */
export interface AssemblerOptions {
  /** `CSV` or `NDJSON`, for messages. */
  readonly label: string
  /** What a row number counts, for messages: `data row` (CSV, after the header) or `line` (NDJSON). */
  readonly rowName?: string
  readonly batchRows: number
  /** Set when types were inferred: the number of rows they were inferred from. */
  readonly inferredFrom?: number
}

/**
 * Accumulates rows; `append*` return a batch when one is full, `flush()` the last partial one.
 *
 * @example
 * ```ts
 * const a = new BatchAssembler(columns, schema, { label: 'CSV', batchRows: 65_536 })
 * const full = a.appendText(['1', 'Ada'], 1)
 * ```
 */
export class BatchAssembler {
  private readonly builders: ColumnBuilder[]
  private rows = 0

  constructor(
    private readonly columns: readonly TextColumn[],
    private readonly schema: Schema,
    private readonly options: AssemblerOptions,
  ) {
    this.builders = columns.map((c) => columnBuilder(c.type, c.nullable, c.inferred === true))
  }

  /** Appends a CSV row: one text (or `null`) per column, in column order. `row` is its data-row number. */
  appendText(values: readonly (string | null)[], row: number): RecordBatch | undefined {
    for (let i = 0; i < this.builders.length; i++) {
      const refused = this.builders[i]!.appendText(values[i] ?? null)
      if (refused !== undefined) this.refuse(i, refused, row)
    }
    return this.count()
  }

  /** Appends an NDJSON record's values, in column order (`null` for a missing key). */
  appendValues(values: readonly unknown[], row: number): RecordBatch | undefined {
    for (let i = 0; i < this.builders.length; i++) {
      const refused = this.builders[i]!.appendJson(values[i] ?? null)
      if (refused !== undefined) this.refuse(i, refused, row)
    }
    return this.count()
  }

  /** The batch of the rows appended since the last one, if any. */
  flush(): RecordBatch | undefined {
    if (this.rows === 0) return undefined
    const children = this.builders.map((b) => b.finish())
    const data = makeData({ type: new Struct(this.schema.fields), length: this.rows, nullCount: 0, children })
    this.rows = 0
    return new RecordBatch(this.schema, data)
  }

  private count(): RecordBatch | undefined {
    this.rows++
    return this.rows >= this.options.batchRows ? this.flush() : undefined
  }

  private refuse(column: number, why: string, row: number): never {
    const c = this.columns[column]!
    const { label, inferredFrom, rowName = 'data row' } = this.options
    const origin = inferredFrom === undefined ? 'in --schema' : `inferred from the first ${inferredFrom} rows`
    throw new CliError(
      'INPUT_INVALID',
      `${label} ${rowName} ${row}, column "${c.name}": the value ${why} (the column is ${typeName(c.type)}, ${origin})`,
      inferredFrom === undefined
        ? 'fix the value, or change the column type in the schema file'
        : `pass --schema FILE to set the column types (see "arrowseal seal --help"), or raise --infer-rows`,
    )
  }
}
