/**
 * CSV → Arrow and Arrow → CSV.
 *
 * Reading follows RFC 4180: comma-separated, `"` quotes with `""` as an escaped quote, fields may span lines inside
 * quotes, LF or CRLF line ends, a UTF-8 BOM is skipped. The first row is the header and names the columns; every
 * row must have as many fields as the header. An empty field is null. Types come from {@link inferTextType}.
 *
 * @module
 */
import { type Schema, Table, type Vector } from 'apache-arrow'
import { CliError } from '../errors.js'
import { inferTextType, textVector } from './infer.js'
import { cellText } from './values.js'

/**
 * Splits CSV text into rows of fields (RFC 4180). Throws {@link CliError} `INPUT_INVALID` with a line number on
 * an unterminated quote or a stray quote inside an unquoted field.
 *
 * @example
 * ```ts
 * parseCsvRows('a,b\n1,"x,y"\n') // [['a', 'b'], ['1', 'x,y']]
 * ```
 */
export function parseCsvRows(text: string, delimiter = ','): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let field = ''
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0
  let line = 1
  let quoted = false
  let wasQuoted = false
  const n = text.length
  while (i < n) {
    const c = text[i]!
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"'
          i += 2
          continue
        }
        quoted = false
        i++
        continue
      }
      if (c === '\n') line++
      field += c
      i++
      continue
    }
    if (c === '"') {
      if (field.length > 0 || wasQuoted) throw new CliError('INPUT_INVALID', `CSV line ${line}: stray quote in a field`)
      quoted = true
      wasQuoted = true
      i++
    } else if (c === delimiter) {
      row.push(field)
      field = ''
      wasQuoted = false
      i++
    } else if (c === '\n' || c === '\r') {
      row.push(field)
      rows.push(row)
      row = []
      field = ''
      wasQuoted = false
      i += c === '\r' && text[i + 1] === '\n' ? 2 : 1
      line++
    } else {
      if (wasQuoted) throw new CliError('INPUT_INVALID', `CSV line ${line}: text after a closing quote`)
      field += c
      i++
    }
  }
  if (quoted) throw new CliError('INPUT_INVALID', `CSV line ${line}: unterminated quoted field`)
  if (field.length > 0 || wasQuoted || row.length > 0) {
    row.push(field)
    rows.push(row)
  }
  return rows
}

/**
 * Parses a `--delimiter` value: one character other than a quote or a line break, or the names `tab` / `\t`.
 *
 * @example
 * ```ts
 * parseDelimiter('tab') // '\t'
 * ```
 */
export function parseDelimiter(text: string): string {
  const d = text === 'tab' || text === '\\t' ? '\t' : text
  if ([...d].length !== 1 || d === '"' || d === '\n' || d === '\r')
    throw new CliError(
      'USAGE',
      `--delimiter must be one character, not ${JSON.stringify(text)}`,
      'for TSV: --delimiter tab',
    )
  return d
}

/**
 * Why a header parsed with `delimiter` looks like it used another separator, or `undefined`. The obvious case:
 * a single column whose name holds tabs (a TSV read as CSV) or semicolons, which would seal as one text column.
 *
 * @example
 * ```ts
 * separatorWarning(['id\tname'], ',') // 'the CSV header is one column containing tabs: …'
 * ```
 */
export function separatorWarning(header: readonly string[], delimiter: string): string | undefined {
  if (header.length !== 1) return undefined
  const name = header[0]!
  for (const [sep, label, option] of [
    ['\t', 'tabs', 'tab'],
    [';', 'semicolons', ';'],
    ['|', 'vertical bars', '|'],
  ] as const) {
    if (sep !== delimiter && name.includes(sep))
      return `the CSV header is one column containing ${label}: if the input is separated by them, pass --delimiter ${JSON.stringify(option)}`
  }
  return undefined
}

/**
 * Parses CSV text (header row first) into an Arrow table with inferred column types. `delimiter` separates
 * fields (default `,`); `warn` receives a {@link separatorWarning}, if any.
 *
 * @example
 * ```ts
 * const table = csvToTable('id,name\n1,Ada\n2,\n') // id: int64, name: utf8 (row 2 null)
 * ```
 */
export function csvToTable(text: string, delimiter = ',', warn?: (message: string) => void): Table {
  const rows = parseCsvRows(text, delimiter)
  const header = rows[0]
  const warning = header ? separatorWarning(header, delimiter) : undefined
  if (warning) warn?.(warning)
  if (!header || (header.length === 1 && header[0] === ''))
    throw new CliError('INPUT_INVALID', 'CSV input is empty: the first line must name the columns')
  const seen = new Set<string>()
  for (const [i, name] of header.entries()) {
    if (name === '') throw new CliError('INPUT_INVALID', `CSV header: column ${i + 1} has no name`)
    if (seen.has(name)) throw new CliError('INPUT_INVALID', `CSV header: column name "${name}" appears twice`)
    seen.add(name)
  }
  const body = rows.slice(1).filter((r) => !(r.length === 1 && r[0] === '')) // tolerate blank lines
  for (const [i, r] of body.entries()) {
    if (r.length !== header.length)
      // The data-row index, not the text line: quoted fields may span lines. Values are not echoed (may be secret).
      throw new CliError(
        'INPUT_INVALID',
        `CSV data row ${i + 1} has ${r.length} fields but the header has ${header.length}`,
      )
  }
  const columns: Record<string, Vector> = {}
  for (const [c, name] of header.entries()) {
    const values = body.map((r) => (r[c] === '' ? null : r[c]!))
    columns[name] = textVector(values, inferTextType(values))
  }
  return new Table(columns)
}

function quoteCsv(text: string): string {
  return /[",\r\n]/.test(text) || /^\s|\s$/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

/**
 * Formats rows as CSV lines (no header); values are rendered by {@link cellText}, null as an empty field.
 *
 * @example
 * ```ts
 * for (const line of csvLines(batch.schema, batch)) process.stdout.write(line)
 * ```
 */
export function* csvLines(
  schema: Schema,
  source: { numRows: number; getChildAt(i: number): Vector | null },
): Generator<string> {
  const cols = schema.fields.map((_, i) => source.getChildAt(i))
  for (let r = 0; r < source.numRows; r++) {
    const cells = cols.map((col, i) => {
      const v: unknown = col?.get(r)
      return v === null || v === undefined ? '' : quoteCsv(cellText(v, schema.fields[i]!.type))
    })
    yield `${cells.join(',')}\n`
  }
}

/**
 * The CSV header line for a schema.
 *
 * @example
 * ```ts
 * csvHeader(table.schema) // 'id,name\n'
 * ```
 */
export function csvHeader(schema: Schema): string {
  return `${schema.fields.map((f) => quoteCsv(f.name)).join(',')}\n`
}
