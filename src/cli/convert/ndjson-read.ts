/**
 * NDJSON in (one JSON object per line), record batches out, streaming. Blank lines are skipped. Columns are the
 * schema's, else the union of the keys of the first `inferRows` objects in first-seen order, typed by the rules in
 * `ndjson.ts`; after those rows a new key or a value of another type is an error naming the line and key.
 * @module
 */
import type { RecordBatch } from 'apache-arrow'
import { CliError } from '../errors.js'
import { BatchAssembler } from './assembler.js'
import { type ColumnType, INFERRED } from './column-type.js'
import { inferTextType } from './infer.js'
import { arrowSchema, type TextColumn } from './schema-file.js'
import { decodeText } from './text-chunks.js'
import { DEFAULT_INFER_ROWS, type TextBatches, type TextReadOptions } from './text-options.js'

type Kind = 'none' | 'bool' | 'int' | 'float' | 'string' | 'json'

function kindOf(v: unknown): Kind {
  if (typeof v === 'boolean') return 'bool'
  if (typeof v === 'number') return Number.isSafeInteger(v) ? 'int' : 'float'
  if (typeof v === 'string') return 'string'
  return 'json'
}

function merge(a: Kind, b: Kind): Kind {
  if (a === 'none' || a === b) return b
  if ((a === 'int' && b === 'float') || (a === 'float' && b === 'int')) return 'float'
  return 'json'
}

function inferColumn(values: readonly unknown[], kind: Kind): ColumnType {
  switch (kind) {
    case 'bool':
      return INFERRED.bool
    case 'int':
      return INFERRED.int64
    case 'float':
      return INFERRED.float64
    case 'string': {
      const texts = values.map((v) => (typeof v === 'string' ? v : null))
      return inferTextType(texts) === 'timestamp' ? INFERRED.timestamp : INFERRED.utf8
    }
    default:
      return INFERRED.utf8
  }
}

/**
 * Lines (LF, with an optional CR before it) of decoded text chunks, numbered from 1. Lines of the chunk at hand
 * are handed out synchronously and only a new chunk is awaited: an await per line would cost more than parsing
 * the line.
 *
 * @example
 * ```ts
 * const lines = new LineSource(decodeText(chunks, 'NDJSON'))
 * for (;;) {
 *   const text = lines.next()
 *   if (text !== undefined) JSON.parse(text)
 *   else if (!(await lines.fill())) break
 * }
 * ```
 */
export class LineSource {
  /** The number of the line `next()` returned last. */
  line = 0
  private text = ''
  private from = 0
  private tail = ''
  private ended = false
  private readonly texts: AsyncIterator<string>

  constructor(texts: AsyncIterable<string>) {
    this.texts = texts[Symbol.asyncIterator]()
  }

  /** The next whole line of the text read so far, or `undefined` when `fill()` must read more. */
  next(): string | undefined {
    const nl = this.text.indexOf('\n', this.from)
    if (nl < 0) {
      if (!this.ended || (this.tail === '' && this.from >= this.text.length)) return undefined
      // The input ended without a final line break: the rest is the last line.
      const last = this.tail + this.text.slice(this.from)
      this.tail = ''
      this.text = ''
      this.from = 0
      this.line++
      return last
    }
    const part = this.text.slice(this.from, nl)
    this.from = nl + 1
    this.line++
    if (this.tail === '') return part
    const whole = this.tail + part
    this.tail = ''
    return whole
  }

  /** Reads the next chunk; `false` once the input has ended and every line was returned. */
  async fill(): Promise<boolean> {
    if (this.ended) return false
    this.tail += this.text.slice(this.from)
    this.from = 0
    const r = await this.texts.next()
    if (r.done) {
      this.ended = true
      this.text = ''
      return this.tail !== ''
    }
    this.text = r.value
    return true
  }

  /** Stops reading the input (closes the file). */
  async close(): Promise<void> {
    await this.texts.return?.(undefined)
  }
}

// The JSON object of one non-blank line, or undefined for a blank line.
function parseLine(raw: string, line: number): Record<string, unknown> | undefined {
  // Trimming only when an end is not plain JSON punctuation keeps the common line (`{…}`) from being copied.
  const first = raw.charCodeAt(0)
  const last = raw.charCodeAt(raw.length - 1)
  const text = first <= 32 || first > 126 || last <= 32 || last > 126 ? raw.trim() : raw
  if (text === '') return undefined
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new CliError('INPUT_INVALID', `NDJSON line ${line} is not valid JSON`)
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new CliError('INPUT_INVALID', `NDJSON line ${line} is not a JSON object`)
  return value as Record<string, unknown>
}

/**
 * Reads NDJSON from `chunks`. Resolves once the schema is known; batches follow as the input is read.
 *
 * @example
 * ```ts
 * const { schema, batches } = await readNdjson(chunks, { batchRows: 65_536 })
 * ```
 */
export async function readNdjson(chunks: AsyncIterable<Uint8Array>, options: TextReadOptions): Promise<TextBatches> {
  const source = new LineSource(decodeText(chunks, 'NDJSON'))
  const nextRecord = async (): Promise<Record<string, unknown> | undefined> => {
    for (;;) {
      const raw = source.next()
      if (raw === undefined) {
        if (await source.fill()) continue
        return undefined
      }
      const record = parseLine(raw, source.line)
      if (record) return record
    }
  }
  const inferRows = options.inferRows ?? DEFAULT_INFER_ROWS
  const window: [number, Record<string, unknown>][] = []
  let columns: readonly TextColumn[]
  if (options.schema) columns = options.schema
  else {
    for (let r = await nextRecord(); r; r = window.length < inferRows ? await nextRecord() : undefined)
      window.push([source.line, r])
    const names: string[] = []
    const seen = new Set<string>()
    for (const [, record] of window)
      for (const key of Object.keys(record))
        if (!seen.has(key)) {
          seen.add(key)
          names.push(key)
        }
    if (names.length === 0) throw new CliError('INPUT_INVALID', 'NDJSON input has no objects with fields')
    columns = names.map((name) => {
      const values = window.map(([, r]) => (Object.hasOwn(r, name) ? r[name] : null))
      let kind: Kind = 'none'
      for (const v of values) if (v !== null && v !== undefined) kind = merge(kind, kindOf(v))
      return { name, type: inferColumn(values, kind), nullable: true, inferred: true }
    })
  }
  // Column index by key; a Map, so that a key such as "__proto__" or "constructor" is an ordinary name.
  const index = new Map(columns.map((c, i) => [c.name, i]))
  const schema = arrowSchema(columns)
  const assembler = new BatchAssembler(columns, schema, {
    label: 'NDJSON',
    rowName: 'line',
    batchRows: options.batchRows,
    ...(options.schema ? {} : { inferredFrom: inferRows }),
  })
  // One row's values in column order, reused for every row (a missing key stays null).
  const cells: unknown[] = new Array(columns.length).fill(null)
  const add = (line: number, record: Record<string, unknown>): RecordBatch | undefined => {
    cells.fill(null)
    // One pass over the record's own keys both finds an unknown key and picks the values.
    for (const key in record) {
      const i = index.get(key)
      if (i === undefined)
        throw new CliError(
          'INPUT_INVALID',
          `NDJSON line ${line}: key "${key}" is not a column (${options.schema ? 'not in --schema' : `not seen in the first ${inferRows} rows`})`,
          options.schema
            ? 'add it to the schema file'
            : 'pass --schema FILE listing every column, or raise --infer-rows',
        )
      cells[i] = record[key]
    }
    return assembler.appendValues(cells, line)
  }
  async function* batches(): AsyncGenerator<RecordBatch> {
    try {
      for (const [line, record] of window) {
        const b = add(line, record)
        if (b) yield b
      }
      window.length = 0
      for (;;) {
        const raw = source.next()
        if (raw === undefined) {
          if (await source.fill()) continue
          break
        }
        const record = parseLine(raw, source.line)
        if (!record) continue
        const b = add(source.line, record)
        if (b) yield b
      }
      const last = assembler.flush()
      if (last) yield last
    } finally {
      await source.close()
    }
  }
  return { schema, batches: batches() }
}
