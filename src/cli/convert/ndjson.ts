/**
 * NDJSON (one JSON object per line) → Arrow and Arrow → NDJSON.
 *
 * Columns are the union of the objects' keys, in first-seen order; a missing key is null. Types follow the rules in
 * `infer.ts`: all-boolean → bool, all-integer numbers → int64, other numbers → float64, strings → timestamp or utf8,
 * anything else (objects, arrays, mixed types) → utf8 holding the value's JSON text.
 *
 * @module
 */
import { Bool, Float64, Int64, type Schema, Table, type Vector, vectorFromArray } from 'apache-arrow'
import { CliError } from '../errors.js'
import { inferTextType, textVector } from './infer.js'
import { jsonValue } from './values.js'

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

/**
 * Parses NDJSON text into an Arrow table. Blank lines are skipped; a line that is not a JSON object is an
 * `INPUT_INVALID` error naming the line (not its content, which may be secret).
 *
 * @example
 * ```ts
 * const t = ndjsonToTable('{"id":1,"ok":true}\n{"id":2}\n') // id: int64, ok: bool
 * ```
 */
export function ndjsonToTable(text: string): Table {
  const names: string[] = []
  const index = new Map<string, number>()
  const records: Record<string, unknown>[] = []
  const lines = text.split('\n')
  for (const [i, raw] of lines.entries()) {
    const line = raw.trim()
    if (line === '') continue
    let value: unknown
    try {
      value = JSON.parse(line)
    } catch {
      throw new CliError('INPUT_INVALID', `NDJSON line ${i + 1} is not valid JSON`)
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value))
      throw new CliError('INPUT_INVALID', `NDJSON line ${i + 1} is not a JSON object`)
    const record = value as Record<string, unknown>
    for (const key of Object.keys(record)) {
      if (!index.has(key)) {
        index.set(key, names.length)
        names.push(key)
      }
    }
    records.push(record)
  }
  if (names.length === 0) throw new CliError('INPUT_INVALID', 'NDJSON input has no objects with fields')
  const columns: Record<string, Vector> = {}
  for (const name of names) {
    const values = records.map((r) => (Object.hasOwn(r, name) ? r[name] : null))
    let kind: Kind = 'none'
    for (const v of values) if (v !== null && v !== undefined) kind = merge(kind, kindOf(v))
    columns[name] = columnOf(values, kind)
  }
  return new Table(columns)
}

function columnOf(values: unknown[], kind: Kind): Vector {
  const nullable = (f: (v: unknown) => unknown) => values.map((v) => (v === null || v === undefined ? null : f(v)))
  switch (kind) {
    case 'bool':
      return vectorFromArray(
        nullable((v) => v),
        new Bool(),
      )
    case 'int':
      return vectorFromArray(
        nullable((v) => BigInt(v as number)),
        new Int64(),
      )
    case 'float':
      return vectorFromArray(
        nullable((v) => v),
        new Float64(),
      )
    case 'string': {
      const texts = nullable((v) => v) as (string | null)[]
      return textVector(texts, inferTextType(texts) === 'timestamp' ? 'timestamp' : 'utf8')
    }
    default: {
      const texts = nullable((v) => (typeof v === 'string' ? v : JSON.stringify(v))) as (string | null)[]
      return textVector(texts, 'utf8')
    }
  }
}

/**
 * Formats rows as NDJSON lines, values rendered by {@link jsonValue}.
 *
 * @example
 * ```ts
 * for (const line of ndjsonLines(batch.schema, batch)) process.stdout.write(line)
 * ```
 */
export function* ndjsonLines(
  schema: Schema,
  source: { numRows: number; getChildAt(i: number): Vector | null },
): Generator<string> {
  const cols = schema.fields.map((_, i) => source.getChildAt(i))
  for (let r = 0; r < source.numRows; r++) {
    const obj: Record<string, unknown> = {}
    for (const [i, f] of schema.fields.entries()) obj[f.name] = jsonValue(cols[i]?.get(r), f.type)
    yield `${JSON.stringify(obj)}\n`
  }
}
