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
 * Splits text chunks into lines (LF, with an optional CR before it), numbered from 1.
 *
 * @example
 * ```ts
 * for await (const [line, text] of lines(decodeText(chunks, 'NDJSON'))) JSON.parse(text)
 * ```
 */
export async function* lines(texts: AsyncIterable<string>): AsyncGenerator<[number, string]> {
  let tail = ''
  let n = 0
  for await (const text of texts) {
    let from = 0
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', from)) {
      const part = text.slice(from, nl)
      yield [++n, tail === '' ? part : tail + part]
      tail = ''
      from = nl + 1
    }
    tail += text.slice(from)
  }
  if (tail !== '') yield [++n, tail]
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
  const source = lines(decodeText(chunks, 'NDJSON'))
  const next = async (): Promise<[number, Record<string, unknown>] | undefined> => {
    for (;;) {
      const r = await source.next()
      if (r.done) return undefined
      const [line, raw] = r.value
      const text = raw.trim()
      if (text === '') continue
      let value: unknown
      try {
        value = JSON.parse(text)
      } catch {
        throw new CliError('INPUT_INVALID', `NDJSON line ${line} is not valid JSON`)
      }
      if (value === null || typeof value !== 'object' || Array.isArray(value))
        throw new CliError('INPUT_INVALID', `NDJSON line ${line} is not a JSON object`)
      return [line, value as Record<string, unknown>]
    }
  }
  const inferRows = options.inferRows ?? DEFAULT_INFER_ROWS
  const window: [number, Record<string, unknown>][] = []
  let columns: readonly TextColumn[]
  if (options.schema) columns = options.schema
  else {
    for (let r = await next(); r; r = window.length < inferRows ? await next() : undefined) window.push(r)
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
  const known = new Set(columns.map((c) => c.name))
  const schema = arrowSchema(columns)
  const assembler = new BatchAssembler(columns, schema, {
    label: 'NDJSON',
    rowName: 'line',
    batchRows: options.batchRows,
    ...(options.schema ? {} : { inferredFrom: inferRows }),
  })
  const add = (line: number, record: Record<string, unknown>): RecordBatch | undefined => {
    for (const key in record)
      if (!known.has(key))
        throw new CliError(
          'INPUT_INVALID',
          `NDJSON line ${line}: key "${key}" is not a column (${options.schema ? 'not in --schema' : `not seen in the first ${inferRows} rows`})`,
          options.schema
            ? 'add it to the schema file'
            : 'pass --schema FILE listing every column, or raise --infer-rows',
        )
    return assembler.appendJson(record, line)
  }
  async function* batches(): AsyncGenerator<RecordBatch> {
    try {
      for (const [line, record] of window) {
        const b = add(line, record)
        if (b) yield b
      }
      window.length = 0
      for (let r = await next(); r; r = await next()) {
        const b = add(r[0], r[1])
        if (b) yield b
      }
      const last = assembler.flush()
      if (last) yield last
    } finally {
      await source.return(undefined)
    }
  }
  return { schema, batches: batches() }
}
