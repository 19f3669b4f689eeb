/**
 * The `--schema FILE` of `seal` for CSV and NDJSON: the columns' names and types, so that nothing is guessed.
 *
 * ```json
 * { "fields": [
 *     { "name": "id", "type": "int64", "nullable": false },
 *     { "name": "amount", "type": "decimal128(12, 2)" },
 *     { "name": "at", "type": "timestamp[us, tz=Europe/Oslo]" } ] }
 * ```
 *
 * Type names are those of {@link parseTypeName}; `nullable` defaults to `true`. The order of `fields` is the
 * order of the sealed columns (and of a header-less CSV file's columns).
 * @module
 */
import { Field, Schema } from 'apache-arrow'
import { CliError } from '../errors.js'
import { readTextFile } from '../io.js'
import { arrowType, type ColumnType, parseTypeName } from './column-type.js'

/**
 * One column of a text input: its name, type and whether it may hold nulls.
 *
 * @example
 * ```ts
 * const c: TextColumn = { name: 'id', type: { kind: 'utf8' }, nullable: true }
 * ```
 */
export interface TextColumn {
  readonly name: string
  readonly type: ColumnType
  readonly nullable: boolean
  /** Set when the type was inferred, not given: later values must then follow the inference rules. */
  readonly inferred?: boolean
}

const TYPES_HINT =
  'types: int8…int64, uint8…uint64, float32, float64, bool, utf8, date32, timestamp[ms] or timestamp[us, tz=UTC], decimal128(P, S)'

/**
 * Parses the text of a schema file; `where` names it in errors.
 *
 * @example
 * ```ts
 * parseSchemaText('{"fields":[{"name":"id","type":"int32"}]}', 'schema.json')[0]!.type // { kind: 'int', bits: 32, … }
 * ```
 */
export function parseSchemaText(text: string, where: string): TextColumn[] {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    throw new CliError('USAGE', `${where} is not valid JSON`)
  }
  const fields = (json as { fields?: unknown } | null)?.fields
  if (!Array.isArray(fields) || fields.length === 0)
    throw new CliError('USAGE', `${where} must be an object with a non-empty "fields" array`, TYPES_HINT)
  const seen = new Set<string>()
  return fields.map((f: unknown, i) => {
    const at = `${where}: fields[${i}]`
    if (f === null || typeof f !== 'object' || Array.isArray(f))
      throw new CliError('USAGE', `${at} must be an object with "name" and "type"`)
    const { name, type, nullable, ...rest } = f as Record<string, unknown>
    const extra = Object.keys(rest)[0]
    if (extra !== undefined)
      throw new CliError('USAGE', `${at} has an unknown key "${extra}"`, 'keys: name, type, nullable')
    if (typeof name !== 'string' || name === '') throw new CliError('USAGE', `${at} needs a non-empty "name"`)
    if (seen.has(name)) throw new CliError('USAGE', `${at}: the name "${name}" appears twice`)
    seen.add(name)
    const parsed = typeof type === 'string' ? parseTypeName(type) : undefined
    if (!parsed)
      throw new CliError('USAGE', `${at} ("${name}") has an unknown type ${JSON.stringify(type)}`, TYPES_HINT)
    if (nullable !== undefined && typeof nullable !== 'boolean')
      throw new CliError('USAGE', `${at} ("${name}"): "nullable" must be true or false`)
    return { name, type: parsed, nullable: nullable ?? true }
  })
}

/**
 * Reads and parses a schema file.
 *
 * @example
 * ```ts
 * const columns = await loadSchemaFile('schema.json')
 * ```
 */
export async function loadSchemaFile(path: string): Promise<TextColumn[]> {
  return parseSchemaText(await readTextFile(path), path)
}

/**
 * The Arrow schema of text columns.
 *
 * @example
 * ```ts
 * arrowSchema(columns).fields.map((f) => f.name)
 * ```
 */
export function arrowSchema(columns: readonly TextColumn[]): Schema {
  return new Schema(columns.map((c) => new Field(c.name, arrowType(c.type), c.nullable)))
}
