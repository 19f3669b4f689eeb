/**
 * CSV options and CSV output. Reading CSV is `csv-read.ts` (streaming, on csv-parse); this module holds the
 * `--delimiter` rules, the wrong-separator warning, and writing rows as RFC 4180 CSV.
 *
 * @module
 */
import type { Schema, Vector } from 'apache-arrow'
import { CliError } from '../errors.js'
import { cellText } from './values.js'

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
