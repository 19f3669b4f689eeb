/**
 * Choosing input and output formats.
 *
 * Input (`seal`): `--format` wins; otherwise the extension (`.arrow .arrows .ipc .feather` → Arrow IPC, `.csv`,
 * `.tsv`, `.ndjson .jsonl`, `.parquet .pq`); otherwise the content is sniffed: the Arrow file magic `ARROW1` or a
 * stream's `0xFFFFFFFF` continuation marker → Arrow IPC (file or stream, told apart by apache-arrow itself),
 * `PAR1` → Parquet, a first non-blank `{` → NDJSON, anything else → CSV.
 *
 * Output (`open`): `--format` wins; otherwise the extension of `-o` (`.arrows` → stream, `.arrow .feather` → file,
 * `.csv`, `.ndjson .jsonl`, `.parquet .pq`); otherwise an Arrow IPC stream.
 *
 * @module
 */
import { extname } from 'node:path'
import { CliError } from '../errors.js'

/**
 * Formats `seal` reads.
 *
 * @example
 * ```ts
 * const format: InputFormat = detectInputFormat('data.csv', bytes)
 * ```
 */
export type InputFormat = 'arrow' | 'csv' | 'ndjson' | 'parquet'
/**
 * Formats `open` writes: an Arrow IPC stream, an Arrow IPC file, CSV, NDJSON or Parquet.
 *
 * @example
 * ```ts
 * const format: OutputFormat = parseOutputFormat('arrow-file')
 * ```
 */
export type OutputFormat = 'arrow' | 'arrow-file' | 'csv' | 'ndjson' | 'parquet'

/**
 * Most rows per sealed batch, and the default `--batch-rows`: text and Parquet input is cut into batches this
 * size, larger Arrow batches are sliced.
 *
 * @example
 * ```ts
 * MAX_BATCH_ROWS // 65536
 * ```
 */
export const MAX_BATCH_ROWS = 65_536

const INPUT_FORMATS: readonly InputFormat[] = ['arrow', 'csv', 'ndjson', 'parquet']
const OUTPUT_FORMATS: readonly OutputFormat[] = ['arrow', 'arrow-file', 'csv', 'ndjson', 'parquet']

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
  if (ext === '.parquet' || ext === '.pq') return 'parquet'
  if (isArrowIpc(bytes)) return 'arrow'
  // "PAR1", the Parquet magic
  if (bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x41 && bytes[2] === 0x52 && bytes[3] === 0x31)
    return 'parquet'
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
  if (ext === '.parquet' || ext === '.pq') return 'parquet'
  return 'arrow'
}

function isArrowIpc(bytes: Uint8Array): boolean {
  const magic = [0x41, 0x52, 0x52, 0x4f, 0x57, 0x31] // "ARROW1"
  if (bytes.length >= 6 && magic.every((m, i) => bytes[i] === m)) return true
  return bytes.length >= 4 && bytes[0] === 0xff && bytes[1] === 0xff && bytes[2] === 0xff && bytes[3] === 0xff
}
