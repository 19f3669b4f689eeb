/**
 * The column types text input (CSV, NDJSON) can be read into, their names in a `--schema` file, and their Arrow
 * types. The names follow pyarrow's `str(type)` (`int64`, `decimal128(12, 2)`, `timestamp[ms, tz=UTC]`) because
 * that is what pipeline people already read and write.
 * @module
 */
import {
  Bool,
  type DataType,
  DateDay,
  Decimal,
  Float32,
  Float64,
  Int8,
  Int16,
  Int32,
  Int64,
  Timestamp,
  TimeUnit,
  Uint8,
  Uint16,
  Uint32,
  Uint64,
  Utf8,
} from 'apache-arrow'

/** A timestamp's unit, as in pyarrow. */
export type TimestampUnit = 's' | 'ms' | 'us' | 'ns'

/**
 * One column's type: what text is parsed into and which Arrow type holds it.
 *
 * @example
 * ```ts
 * const t: ColumnType = { kind: 'decimal', precision: 12, scale: 2 }
 * ```
 */
export type ColumnType =
  | { kind: 'int'; bits: 8 | 16 | 32 | 64; signed: boolean }
  | { kind: 'float'; bits: 32 | 64 }
  | { kind: 'bool' }
  | { kind: 'utf8' }
  | { kind: 'date' }
  | { kind: 'timestamp'; unit: TimestampUnit; timezone: string | null }
  | { kind: 'decimal'; precision: number; scale: number }

/** The types inference can choose (see infer.ts). */
export const INFERRED = {
  int64: { kind: 'int', bits: 64, signed: true },
  float64: { kind: 'float', bits: 64 },
  bool: { kind: 'bool' },
  timestamp: { kind: 'timestamp', unit: 'ms', timezone: 'UTC' },
  utf8: { kind: 'utf8' },
} as const satisfies Record<string, ColumnType>

const UNITS: Record<TimestampUnit, TimeUnit> = {
  s: TimeUnit.SECOND,
  ms: TimeUnit.MILLISECOND,
  us: TimeUnit.MICROSECOND,
  ns: TimeUnit.NANOSECOND,
}

/**
 * The Arrow type of a column type.
 *
 * @example
 * ```ts
 * arrowType({ kind: 'bool' }) // Bool
 * ```
 */
export function arrowType(t: ColumnType): DataType {
  switch (t.kind) {
    case 'int': {
      if (t.signed)
        return t.bits === 8 ? new Int8() : t.bits === 16 ? new Int16() : t.bits === 32 ? new Int32() : new Int64()
      return t.bits === 8 ? new Uint8() : t.bits === 16 ? new Uint16() : t.bits === 32 ? new Uint32() : new Uint64()
    }
    case 'float':
      return t.bits === 32 ? new Float32() : new Float64()
    case 'bool':
      return new Bool()
    case 'utf8':
      return new Utf8()
    case 'date':
      return new DateDay()
    case 'timestamp':
      return new Timestamp(UNITS[t.unit], t.timezone)
    case 'decimal':
      return new Decimal(t.scale, t.precision, 128)
  }
}

/**
 * The name of a column type, as a `--schema` file spells it.
 *
 * @example
 * ```ts
 * typeName({ kind: 'timestamp', unit: 'us', timezone: 'Europe/Oslo' }) // 'timestamp[us, tz=Europe/Oslo]'
 * ```
 */
export function typeName(t: ColumnType): string {
  switch (t.kind) {
    case 'int':
      return `${t.signed ? 'int' : 'uint'}${t.bits}`
    case 'float':
      return `float${t.bits}`
    case 'date':
      return 'date32'
    case 'timestamp':
      return t.timezone === null ? `timestamp[${t.unit}]` : `timestamp[${t.unit}, tz=${t.timezone}]`
    case 'decimal':
      return `decimal128(${t.precision}, ${t.scale})`
    default:
      return t.kind
  }
}

const SIMPLE: Record<string, ColumnType> = {
  int8: { kind: 'int', bits: 8, signed: true },
  int16: { kind: 'int', bits: 16, signed: true },
  int32: { kind: 'int', bits: 32, signed: true },
  int64: { kind: 'int', bits: 64, signed: true },
  uint8: { kind: 'int', bits: 8, signed: false },
  uint16: { kind: 'int', bits: 16, signed: false },
  uint32: { kind: 'int', bits: 32, signed: false },
  uint64: { kind: 'int', bits: 64, signed: false },
  float32: { kind: 'float', bits: 32 },
  float: { kind: 'float', bits: 32 },
  float64: { kind: 'float', bits: 64 },
  double: { kind: 'float', bits: 64 },
  bool: { kind: 'bool' },
  boolean: { kind: 'bool' },
  utf8: { kind: 'utf8' },
  string: { kind: 'utf8' },
  date32: { kind: 'date' },
  'date32[day]': { kind: 'date' },
}

const TIMESTAMP = /^timestamp\[(s|ms|us|ns)(?:,\s*tz=([^\]]+))?\]$/
const DECIMAL = /^decimal(?:128)?\(\s*(\d+)\s*,\s*(-?\d+)\s*\)$/
const FIXED_OFFSET = /^[+-]\d{2}:\d{2}$/

/**
 * Parses a type name (see {@link typeName}); `undefined` if it is not one. A time zone must be `UTC`, a fixed
 * offset `±HH:MM`, or an IANA name this runtime knows.
 *
 * @example
 * ```ts
 * parseTypeName('decimal128(12, 2)') // { kind: 'decimal', precision: 12, scale: 2 }
 * ```
 */
export function parseTypeName(text: string): ColumnType | undefined {
  const simple = SIMPLE[text.trim().toLowerCase()]
  if (simple) return simple
  const ts = TIMESTAMP.exec(text.trim())
  if (ts) {
    const zone = ts[2]?.trim()
    if (zone !== undefined && !validZone(zone)) return undefined
    return { kind: 'timestamp', unit: ts[1] as TimestampUnit, timezone: zone ?? null }
  }
  const dec = DECIMAL.exec(text.trim().toLowerCase())
  if (dec) {
    const precision = Number(dec[1])
    const scale = Number(dec[2])
    // Decimal128 holds at most 38 digits; a scale outside 0..precision has no text form we parse.
    if (precision < 1 || precision > 38 || scale < 0 || scale > precision) return undefined
    return { kind: 'decimal', precision, scale }
  }
  return undefined
}

function validZone(zone: string): boolean {
  if (zone === 'UTC' || FIXED_OFFSET.test(zone)) return true
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone })
    return true
  } catch {
    return false
  }
}
