/**
 * The first stage of reading CSV or NDJSON: bytes to text, strictly. Invalid UTF-8 is an error (a replacement
 * character would silently change sealed values), and so is a line longer than {@link MAX_LINE_BYTES}: without a
 * cap, one huge line (or an unterminated quote) would be held in memory whole. Both errors name the line.
 * @module
 */
import { CliError } from '../errors.js'

/**
 * The longest line CSV or NDJSON input may have, in bytes (8 MiB). Larger values belong in Arrow or Parquet.
 *
 * @example
 * ```ts
 * MAX_LINE_BYTES // 8388608
 * ```
 */
export const MAX_LINE_BYTES = 8 * 1024 * 1024

/**
 * Decodes `chunks` as UTF-8 (a BOM is dropped), yielding text as it arrives. `label` names the format in errors.
 *
 * @example
 * ```ts
 * for await (const text of decodeText(fileChunks, 'CSV')) parser.write(text)
 * ```
 */
export async function* decodeText(
  chunks: AsyncIterable<Uint8Array>,
  label: string,
  maxLine: number = MAX_LINE_BYTES,
): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false })
  let line = 1
  let lineBytes = 0
  for await (const chunk of chunks) {
    let text: string
    try {
      text = decoder.decode(chunk, { stream: true })
    } catch {
      throw new CliError('INPUT_INVALID', `${label} input is not valid UTF-8 (line ${line + badLineOffset(chunk)})`)
    }
    // Line numbers and lengths come from the bytes: native indexOf keeps this cheap next to parsing.
    let from = 0
    for (;;) {
      const nl = chunk.indexOf(0x0a, from)
      const end = nl < 0 ? chunk.length : nl
      lineBytes += end - from
      if (lineBytes > maxLine)
        throw new CliError(
          'INPUT_INVALID',
          `${label} line ${line} is longer than ${maxLine / 1024 / 1024} MiB`,
          'such large values belong in Arrow IPC or Parquet input',
        )
      if (nl < 0) break
      line++
      lineBytes = 0
      from = nl + 1
    }
    if (text.length > 0) yield text
  }
  try {
    const rest = decoder.decode()
    if (rest.length > 0) yield rest
  } catch {
    throw new CliError('INPUT_INVALID', `${label} input is not valid UTF-8 (it ends inside a character, line ${line})`)
  }
}

// How many line breaks come before the first invalid byte of `chunk` (approximate at a chunk boundary, where a
// character may have started in the previous chunk). Runs only on the error path.
function badLineOffset(chunk: Uint8Array): number {
  const text = new TextDecoder('utf-8').decode(chunk)
  const at = text.indexOf('\ufffd')
  let lines = 0
  for (let i = 0; i < Math.max(at, 0); i++) if (text.charCodeAt(i) === 10) lines++
  return lines
}
