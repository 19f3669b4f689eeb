/**
 * Choosing input and output formats, and turning input bytes into an Arrow table.
 *
 * Input (`seal`): `--format` wins; otherwise the extension (`.arrow .arrows .ipc .feather` → Arrow IPC, `.csv`,
 * `.ndjson .jsonl`); otherwise the content is sniffed: the Arrow file magic `ARROW1` or a stream's `0xFFFFFFFF`
 * continuation marker → Arrow IPC (file or stream, told apart by apache-arrow itself), a first non-blank `{` →
 * NDJSON, anything else → CSV.
 *
 * Output (`open`): `--format` wins; otherwise the extension of `-o` (`.arrows` → stream, `.arrow .feather` → file,
 * `.csv`, `.ndjson .jsonl`); otherwise an Arrow IPC stream.
 *
 * @module
 */
import { extname } from 'node:path'
import { type RecordBatch, type Table, tableFromIPC } from 'apache-arrow'
import { CliError } from '../errors.js'
import { csvToTable } from './csv.js'
import { ndjsonToTable } from './ndjson.js'

/**
 * Formats `seal` reads.
 *
 * @example
 * ```ts
 * const format: InputFormat = detectInputFormat('data.csv', bytes)
 * ```
 */
export type InputFormat = 'arrow' | 'csv' | 'ndjson'
/**
 * Formats `open` writes: an Arrow IPC stream, an Arrow IPC file, CSV or NDJSON.
 *
 * @example
 * ```ts
 * const format: OutputFormat = parseOutputFormat('arrow-file')
 * ```
 */
export type OutputFormat = 'arrow' | 'arrow-file' | 'csv' | 'ndjson'

/**
 * Most rows per sealed batch: text input is cut into batches this size, larger Arrow batches are sliced.
 *
 * @example
 * ```ts
 * [...batchesOf(table)].every((b) => b.numRows <= MAX_BATCH_ROWS) // true
 * ```
 */
export const MAX_BATCH_ROWS = 65_536

const INPUT_FORMATS: readonly InputFormat[] = ['arrow', 'csv', 'ndjson']
const OUTPUT_FORMATS: readonly OutputFormat[] = ['arrow', 'arrow-file', 'csv', 'ndjson']

/**
 * Validates a `--format` value for input.
 *
 * @example
 * ```ts
 * parseInputFormat('csv') // 'csv'
 * ```
 */
export function parseInputFormat(text: string): InputFormat {
  if ((INPUT_FORMATS as readonly string[]).includes(text)) return text as InputFormat
  throw new CliError('USAGE', `unknown input format "${text}"`, `use one of: ${INPUT_FORMATS.join(', ')}`)
}

/**
 * Validates a `--format` value for output.
 *
 * @example
 * ```ts
 * parseOutputFormat('ndjson') // 'ndjson'
 * ```
 */
export function parseOutputFormat(text: string): OutputFormat {
  if ((OUTPUT_FORMATS as readonly string[]).includes(text)) return text as OutputFormat
  throw new CliError('USAGE', `unknown output format "${text}"`, `use one of: ${OUTPUT_FORMATS.join(', ')}`)
}

/**
 * Picks the input format from the path's extension or, failing that, the first bytes.
 *
 * @example
 * ```ts
 * detectInputFormat('data.csv', bytes) // 'csv'
 * ```
 */
export function detectInputFormat(path: string | undefined, bytes: Uint8Array): InputFormat {
  const ext = path ? extname(path).toLowerCase() : ''
  if (['.arrow', '.arrows', '.ipc', '.feather'].includes(ext)) return 'arrow'
  if (ext === '.csv' || ext === '.tsv') return 'csv'
  if (ext === '.ndjson' || ext === '.jsonl') return 'ndjson'
  if (isArrowIpc(bytes)) return 'arrow'
  for (const b of bytes.subarray(0, 1024)) {
    if (b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d || b === 0xef || b === 0xbb || b === 0xbf) continue
    return b === 0x7b ? 'ndjson' : 'csv'
  }
  return 'csv'
}

/**
 * Picks the output format from `-o`'s extension; an Arrow IPC stream otherwise.
 *
 * @example
 * ```ts
 * detectOutputFormat('out.csv') // 'csv'
 * ```
 */
export function detectOutputFormat(path: string | undefined): OutputFormat {
  const ext = path ? extname(path).toLowerCase() : ''
  if (ext === '.arrow' || ext === '.feather') return 'arrow-file'
  if (ext === '.csv') return 'csv'
  if (ext === '.ndjson' || ext === '.jsonl') return 'ndjson'
  return 'arrow'
}

function isArrowIpc(bytes: Uint8Array): boolean {
  const magic = [0x41, 0x52, 0x52, 0x4f, 0x57, 0x31] // "ARROW1"
  if (bytes.length >= 6 && magic.every((m, i) => bytes[i] === m)) return true
  return bytes.length >= 4 && bytes[0] === 0xff && bytes[1] === 0xff && bytes[2] === 0xff && bytes[3] === 0xff
}

/**
 * Reads input bytes in the given format into a table. Text formats are decoded as UTF-8 (invalid bytes are an
 * error, not replaced) and cut into batches of {@link MAX_BATCH_ROWS} rows.
 *
 * @example
 * ```ts
 * const table = readTable(new TextEncoder().encode('a\n1\n'), 'csv')
 * ```
 */
export function readTable(
  bytes: Uint8Array,
  format: InputFormat,
  csv: { delimiter?: string; warn?: (message: string) => void } = {},
): Table {
  if (format === 'arrow') {
    let table: Table
    try {
      table = tableFromIPC(bytes)
    } catch (err) {
      throw new CliError('INPUT_INVALID', 'input is not a readable Arrow IPC stream or file', undefined, {
        cause: err,
      })
    }
    if (table.schema.fields.length === 0)
      throw new CliError('INPUT_INVALID', 'Arrow input has no schema (is it empty?)')
    return table
  }
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch (err) {
    throw new CliError('INPUT_INVALID', `${format.toUpperCase()} input is not valid UTF-8`, undefined, { cause: err })
  }
  return format === 'csv' ? csvToTable(text, csv.delimiter, csv.warn) : ndjsonToTable(text)
}

/**
 * The table's record batches, with batches larger than `maxRows` cut into slices.
 *
 * @example
 * ```ts
 * for (const batch of batchesOf(table, 65_536)) writer.write(batch)
 * ```
 */
export function* batchesOf(table: Table, maxRows: number = MAX_BATCH_ROWS): Generator<RecordBatch> {
  for (const batch of table.batches) {
    if (batch.numRows <= maxRows) {
      yield batch
      continue
    }
    for (let start = 0; start < batch.numRows; start += maxRows) yield batch.slice(start, start + maxRows)
  }
}
