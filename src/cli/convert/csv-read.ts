/**
 * CSV in, record batches out, streaming: `csv-parse` splits records (RFC 4180: `"` quotes, `""` escapes, fields
 * across lines, LF or CRLF), this module names and types the columns and cuts batches as rows arrive.
 *
 * Header: the first row names the columns unless `header: false`, when the schema names them. Null: an empty
 * field, or with `nullValue` exactly that text (an empty field is then the empty string in a text column and
 * null in any other). Types: the schema's, else {@link inferTextType} over the first `inferRows` rows.
 * @module
 */
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { RecordBatch } from 'apache-arrow'
import { type CsvError, parse } from 'csv-parse'
import { CliError } from '../errors.js'
import { BatchAssembler } from './assembler.js'
import { INFERRED } from './column-type.js'
import { separatorWarning } from './csv.js'
import { inferTextType } from './infer.js'
import { arrowSchema, type TextColumn } from './schema-file.js'
import { decodeText, MAX_LINE_BYTES } from './text-chunks.js'
import { DEFAULT_INFER_ROWS, type TextBatches, type TextReadOptions } from './text-options.js'

// csv-parse's messages quote field contents, which may be secret: each code gets a message of our own.
const MESSAGES: Record<string, string> = {
  CSV_QUOTE_NOT_CLOSED: 'has a quoted field that is never closed',
  INVALID_OPENING_QUOTE: 'has a quote inside an unquoted field',
  CSV_INVALID_CLOSING_QUOTE: 'has text after a closing quote',
  CSV_RECORD_INCONSISTENT_FIELDS_LENGTH: 'has a different number of fields than the first row',
  CSV_MAX_RECORD_SIZE: `has a field longer than ${MAX_LINE_BYTES / 1024 / 1024} MiB`,
}

function csvError(err: unknown, header: boolean): unknown {
  if (err instanceof CliError) return err
  const e = err as Partial<CsvError> & { code?: string; records?: number; lines?: number }
  if (typeof e.code !== 'string' || !(e.code in MESSAGES)) return err
  const record = (e.records ?? 0) + 1
  const row = header ? `data row ${record - 1}` : `data row ${record}`
  // Deliberately no `cause`: csv-parse errors carry the record's fields.
  // An unclosed quote is found only where the input ends: that line says nothing about where the quote opened.
  if (e.code === 'CSV_QUOTE_NOT_CLOSED')
    return new CliError('INPUT_INVALID', `CSV ${row} ${MESSAGES[e.code]} (the input ends at line ${e.lines ?? '?'})`)
  return new CliError('INPUT_INVALID', `CSV ${row} (line ${e.lines ?? '?'}) ${MESSAGES[e.code]}`)
}

function checkHeader(names: readonly string[]): void {
  if (names.length === 0 || (names.length === 1 && names[0] === ''))
    throw new CliError('INPUT_INVALID', 'CSV input is empty: the first line must name the columns')
  const seen = new Set<string>()
  for (const [i, name] of names.entries()) {
    if (name === '') throw new CliError('INPUT_INVALID', `CSV header: column ${i + 1} has no name`)
    if (seen.has(name)) throw new CliError('INPUT_INVALID', `CSV header: column name "${name}" appears twice`)
    seen.add(name)
  }
}

// Where each schema column sits in the file's rows.
function positions(schema: readonly TextColumn[], header: readonly string[] | undefined, width: number): number[] {
  if (!header) {
    if (width !== schema.length)
      throw new CliError(
        'INPUT_INVALID',
        `CSV data row 1 has ${width} fields but the schema has ${schema.length} columns`,
        'with --no-header the schema lists every column, in file order',
      )
    return schema.map((_, i) => i)
  }
  const missing = schema.find((c) => !header.includes(c.name))
  if (missing) throw new CliError('INPUT_INVALID', `CSV header has no column "${missing.name}" from the schema`)
  const extra = header.find((h) => !schema.some((c) => c.name === h))
  if (extra !== undefined)
    throw new CliError(
      'INPUT_INVALID',
      `CSV header has a column "${extra}" that the schema does not list`,
      'add it to the schema file',
    )
  return schema.map((c) => header.indexOf(c.name))
}

/**
 * Reads CSV from `chunks`. Resolves once the schema is known; batches follow as the input is read.
 *
 * @example
 * ```ts
 * const { schema, batches } = await readCsv(chunks, { batchRows: 65_536 })
 * for await (const batch of batches) console.log(batch.numRows)
 * ```
 */
export async function readCsv(chunks: AsyncIterable<Uint8Array>, options: TextReadOptions): Promise<TextBatches> {
  const hasHeader = options.header ?? true
  if (!hasHeader && !options.schema)
    throw new CliError('USAGE', '--no-header needs --schema FILE', 'the schema names the columns, in file order')
  const parser = parse({
    delimiter: options.delimiter ?? ',',
    skip_empty_lines: true,
    max_record_size: MAX_LINE_BYTES,
  })
  const fed = pipeline(Readable.from(decodeText(chunks, 'CSV')), parser)
  // The error also reaches the records iterator below; this keeps it from being reported as unhandled.
  fed.catch(() => undefined)
  const records = parser[Symbol.asyncIterator]() as AsyncIterator<string[]>
  const next = async (): Promise<string[] | undefined> => {
    try {
      const r = await records.next()
      return r.done ? undefined : r.value
    } catch (err) {
      throw csvError(err, hasHeader)
    }
  }

  let header: string[] | undefined
  if (hasHeader) {
    header = await next()
    if (!header) throw new CliError('INPUT_INVALID', 'CSV input is empty: the first line must name the columns')
    const warning = separatorWarning(header, options.delimiter ?? ',')
    if (warning) options.warn?.(warning)
    checkHeader(header)
  }
  const nullValue = options.nullValue ?? ''
  const isNull = (text: string) => text === nullValue || text === ''
  const inferRows = options.inferRows ?? DEFAULT_INFER_ROWS
  const window: string[][] = []
  let columns: readonly TextColumn[]
  if (options.schema) columns = options.schema
  else {
    for (let r = await next(); r; r = window.length < inferRows ? await next() : undefined) window.push(r)
    columns = header!.map((name, c) => {
      const values = window.map((row) => (row[c] === undefined || isNull(row[c]!) ? null : row[c]!))
      return { name, type: INFERRED[inferTextType(values)], nullable: true, inferred: true }
    })
  }
  const schema = arrowSchema(columns)
  const textual = columns.map((c) => c.type.kind === 'utf8')
  let at: number[] | undefined = options.schema ? undefined : header!.map((_, i) => i)
  const assembler = new BatchAssembler(columns, schema, {
    label: 'CSV',
    batchRows: options.batchRows,
    ...(options.schema ? {} : { inferredFrom: inferRows }),
  })
  const cells: (string | null)[] = new Array(columns.length)
  let row = 0
  const add = (record: string[]): RecordBatch | undefined => {
    row++
    at ??= positions(columns, header, record.length)
    for (let i = 0; i < at.length; i++) {
      const text = record[at[i]!]!
      // The empty field is null unless --null-value names another text; then it is '' in a text column.
      cells[i] = text === nullValue ? null : text === '' && !textual[i] ? null : text
    }
    return assembler.appendText(cells, row)
  }
  async function* batches(): AsyncGenerator<RecordBatch> {
    try {
      for (const r of window) {
        const b = add(r)
        if (b) yield b
      }
      window.length = 0
      for (let r = await next(); r; r = await next()) {
        const b = add(r)
        if (b) yield b
      }
      const last = assembler.flush()
      if (last) yield last
      await fed
    } finally {
      parser.destroy()
    }
  }
  return { schema, batches: batches() }
}
