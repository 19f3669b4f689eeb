/**
 * Rendering Arrow values as JSON values and as CSV cell text, for the `csv` and `ndjson` output formats.
 *
 * Timestamps and dates become ISO-8601 text (UTC), so that CSV/NDJSON written by `open` reads back to the same
 * types through the inference rules of `infer.ts`. 64-bit integers become JSON numbers when they are exact in a
 * double and strings otherwise; decimals become their exact decimal text (`123.45`, a JSON string in NDJSON,
 * since a JSON number would round); binary values become base64; nested values become JSON.
 *
 * @module
 */
import { type DataType, type Decimal, type Map_, type Struct, Type } from 'apache-arrow'

function isoOf(ms: number, dateOnly: boolean): string {
  const d = new Date(ms)
  if (Number.isNaN(d.getTime())) return String(ms)
  return dateOnly ? d.toISOString().slice(0, 10) : d.toISOString()
}

function base64(bytes: Uint8Array): string {
  let s = ''
  for (const b of bytes) s += String.fromCharCode(b)
  return btoa(s)
}

/**
 * The exact decimal text of a Decimal value: the unscaled two's-complement integer with the decimal point put
 * `scale` digits from the right (a negative scale appends zeros), as the Arrow columnar spec defines Decimal.
 *
 * @example
 * ```ts
 * decimalText(12345n, 2) // '123.45'
 * ```
 */
export function decimalText(unscaled: bigint, scale: number): string {
  const negative = unscaled < 0n
  const digits = (negative ? -unscaled : unscaled).toString()
  let text: string
  if (scale <= 0) text = unscaled === 0n ? '0' : digits + '0'.repeat(-scale)
  else {
    const padded = digits.padStart(scale + 1, '0')
    text = `${padded.slice(0, -scale)}.${padded.slice(-scale)}`
  }
  return negative ? `-${text}` : text
}

// The unscaled integer of a Decimal value: little-endian 32-bit words, two's complement over the full width.
// Read here rather than with apache-arrow's util.bigNumToBigInt, which (in 21.x) returns text for more than
// 64 bits and turns negative 256-bit values into "-0".
function decimalUnscaled(view: ArrayBufferView): bigint {
  const words = new Uint32Array(view.buffer, view.byteOffset, view.byteLength >> 2)
  let x = 0n
  for (let i = words.length - 1; i >= 0; i--) x = (x << 32n) | BigInt(words[i]!)
  return BigInt.asIntN(words.length * 32, x)
}

/**
 * Converts one Arrow value (as returned by `Vector.get`) to a JSON-safe value.
 *
 * @example
 * ```ts
 * jsonValue(12n, new Int64()) // 12
 * ```
 */
export function jsonValue(value: unknown, type: DataType | undefined): unknown {
  if (value === null || value === undefined) return null
  const id = type?.typeId
  if (id === Type.Timestamp && typeof value === 'number') return isoOf(value, false)
  if (id === Type.Date && (typeof value === 'number' || value instanceof Date))
    return isoOf(Number(value), (type as DataType & { unit?: number }).unit === 0)
  // Decimal values are BigNum word arrays: without this case they would print as "[12345,0,0,0]".
  if (id === Type.Decimal && ArrayBuffer.isView(value))
    return decimalText(decimalUnscaled(value as ArrayBufferView), (type as Decimal).scale)
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString()
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value)
  if (typeof value === 'string' || typeof value === 'boolean') return value
  if (value instanceof Uint8Array) return base64(value)
  if (value instanceof Date) return value.toISOString()
  if (ArrayBuffer.isView(value))
    return Array.from(value as unknown as ArrayLike<number | bigint>, (v) => jsonValue(v, undefined))
  // Struct and map values are rows whose iterators yield [name or key, value]: render each child with its own
  // type, so a decimal or timestamp inside a struct prints as it does at the top level, not as words or numbers.
  if (id === Type.Struct && isIterable(value)) {
    const fields = (type as Struct).children
    const out: Record<string, unknown> = {}
    let j = 0
    for (const [name, v] of value as Iterable<[string, unknown]>) out[name] = jsonValue(v, fields[j++]?.type)
    return out
  }
  if (id === Type.Map && isIterable(value)) {
    const { keyType, valueType } = type as Map_
    const out: Record<string, unknown> = {}
    for (const [k, v] of value as Iterable<[unknown, unknown]>)
      out[String(jsonValue(k, keyType))] = jsonValue(v, valueType)
    return out
  }
  const withType = value as { type?: DataType }
  // Arrow list values are Vectors: recurse into their elements with the child type. Iterating the vector (not
  // toArray(), which flattens a Decimal vector into its 32-bit words) yields one value per element.
  if (isIterable(value) && withType.type && typeof value === 'object' && 'getChildAt' in value) {
    const childType = withType.type
    return Array.from(value as Iterable<unknown>, (v) => jsonValue(v, childType))
  }
  const withToJSON = value as { toJSON?: () => unknown }
  if (typeof withToJSON.toJSON === 'function') return plain(withToJSON.toJSON())
  return plain(value)
}

function isIterable(value: unknown): value is Iterable<unknown> {
  // A property read, not `in`: apache-arrow's row proxies answer `in` for field names only.
  return typeof value === 'object' && value !== null && typeof Reflect.get(value, Symbol.iterator) === 'function'
}

// Untyped nested values (a struct or map reached without its type) expose toJSON() of nested Arrow values; bigint inside them would break JSON.stringify.
function plain(value: unknown): unknown {
  if (typeof value === 'bigint') return jsonValue(value, undefined)
  if (Array.isArray(value)) return value.map(plain)
  if (value && typeof value === 'object') {
    if (value instanceof Uint8Array) return base64(value)
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) out[k] = plain(v)
    return out
  }
  return value
}

/**
 * The CSV text of one non-null value: strings as is, everything else through {@link jsonValue}.
 *
 * @example
 * ```ts
 * cellText(1709294400000, new TimestampMillisecond('UTC')) // '2024-03-01T12:00:00.000Z'
 * ```
 */
export function cellText(value: unknown, type: DataType | undefined): string {
  const v = jsonValue(value, type)
  if (typeof v === 'string') return v
  if (typeof v === 'number' || typeof v === 'boolean') return String(v)
  return JSON.stringify(v)
}
