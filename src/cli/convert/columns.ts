/**
 * Building one batch's Arrow column from text (CSV) or JSON values (NDJSON) of a known {@link ColumnType},
 * straight into typed arrays: no per-value Arrow builder, so that ingest runs near the parser's own speed. A
 * value that does not fit the type is reported (not coerced) so the caller can name its row and column.
 * @module
 */
import { Buffer } from 'node:buffer'
import { type Data, type DataType, makeData } from 'apache-arrow'
import { arrowType, type ColumnType, typeName } from './column-type.js'
import { extraInferredCheck, type InferredType } from './infer.js'
import { parseDate, parseInstantValue } from './time.js'

// makeData's overloads are keyed by the static type; these columns are built from a runtime type.
const dataOf = makeData as unknown as (props: {
  type: DataType
  length: number
  nullCount: number
  nullBitmap: Uint8Array | undefined
  data: ArrayBufferView
  valueOffsets?: Int32Array
}) => Data

/** Why a value was refused; `undefined` when it was appended. */
export type Refusal = string | undefined

/**
 * Accumulates one column of a batch. `finish()` returns the column's data and starts a new batch.
 *
 * @example
 * ```ts
 * const b = columnBuilder({ kind: 'bool' }, true)
 * b.appendText('true'); b.appendText(null)
 * const data = b.finish() // Bool, 2 rows, 1 null
 * ```
 */
export interface ColumnBuilder {
  readonly type: ColumnType
  appendText(text: string | null): Refusal
  appendJson(value: unknown): Refusal
  finish(): Data
}

const INT_TEXT = /^[+-]?\d+$/
const FLOAT_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/
const SPECIAL_FLOATS: Record<string, number> = {
  nan: Number.NaN,
  inf: Number.POSITIVE_INFINITY,
  '+inf': Number.POSITIVE_INFINITY,
  '-inf': Number.NEGATIVE_INFINITY,
  infinity: Number.POSITIVE_INFINITY,
  '+infinity': Number.POSITIVE_INFINITY,
  '-infinity': Number.NEGATIVE_INFINITY,
}
const DECIMAL_TEXT = /^([+-]?)(\d*)(?:\.(\d*))?$/

// A growable buffer of one typed-array kind.
class Values<T extends { length: number; set(a: ArrayLike<number> & ArrayLike<bigint>, o?: number): void }> {
  data: T
  constructor(
    private readonly make: (n: number) => T,
    capacity: number,
  ) {
    this.data = make(capacity)
  }
  ensure(n: number): void {
    if (n <= this.data.length) return
    const next = this.make(Math.max(n, this.data.length * 2))
    next.set(this.data as never)
    this.data = next
  }
}

interface Sink {
  put(i: number, text: string): Refusal
  putJson(i: number, value: unknown): Refusal
  data(length: number, nullCount: number, nullBitmap: Uint8Array | undefined): Data
  grow(n: number): void
}

/**
 * A builder for `type`. `nullable: false` refuses nulls.
 *
 * @example
 * ```ts
 * const b = columnBuilder({ kind: 'decimal', precision: 9, scale: 2 }, true)
 * b.appendText('12.5') // undefined (stored as 1250)
 * b.appendText('1.234') // 'has more than 2 decimal places'
 * ```
 */
export function columnBuilder(type: ColumnType, nullable: boolean, inferred = false): ColumnBuilder {
  let sink = makeSink(type)
  // An inferred column takes only values its inference rules would have given it the same type for.
  const inferredAs = inferred ? inferredName(type) : undefined
  const textCheck = inferredAs ? extraInferredCheck(inferredAs) : undefined
  const strictRefusal = `is not ${typeName(type)} by the inference rules`
  let length = 0
  let nulls = 0
  let validity = new Uint8Array(128)
  const setValid = (i: number, valid: boolean) => {
    if (i >> 3 >= validity.length) {
      const next = new Uint8Array(validity.length * 2)
      next.set(validity)
      validity = next
    }
    if (valid) validity[i >> 3]! |= 1 << (i & 7)
  }
  const appendNull = (): Refusal => {
    if (!nullable) return 'is null, and the schema says the column is not nullable'
    sink.grow(length + 1)
    setValid(length, false)
    nulls++
    length++
    return undefined
  }
  return {
    type,
    appendText(text) {
      if (text === null) return appendNull()
      if (textCheck && !textCheck(text)) return strictRefusal
      sink.grow(length + 1)
      const refused = sink.put(length, text)
      if (refused) return refused
      setValid(length, true)
      length++
      return undefined
    },
    appendJson(value) {
      if (value === null || value === undefined) return appendNull()
      if (inferredAs && !fitsJson(inferredAs, value)) return strictRefusal
      sink.grow(length + 1)
      const refused = sink.putJson(length, value)
      if (refused) return refused
      setValid(length, true)
      length++
      return undefined
    },
    finish() {
      const bitmap = nulls > 0 ? validity.slice(0, (length + 7) >> 3) : undefined
      const data = sink.data(length, nulls, bitmap)
      sink = makeSink(type)
      length = 0
      nulls = 0
      validity = new Uint8Array(128)
      return data
    },
  }
}

function inferredName(type: ColumnType): InferredType {
  if (type.kind === 'int') return 'int64'
  if (type.kind === 'float') return 'float64'
  if (type.kind === 'bool' || type.kind === 'timestamp') return type.kind
  return 'utf8'
}

// NDJSON inference types a column by JSON kinds: a later value must be of the same kind.
function fitsJson(type: InferredType, value: unknown): boolean {
  switch (type) {
    case 'int64':
      return typeof value === 'number' && Number.isSafeInteger(value)
    case 'float64':
      return typeof value === 'number'
    case 'bool':
      return typeof value === 'boolean'
    case 'timestamp':
      // The builder parses the text by the inference rule itself: checking here too would parse it twice.
      return typeof value === 'string'
    case 'utf8':
      return true
  }
}

function makeSink(type: ColumnType): Sink {
  switch (type.kind) {
    case 'int':
      return type.bits === 64 ? bigIntSink(type) : smallIntSink(type)
    case 'float':
      return floatSink(type)
    case 'bool':
      return boolSink(type)
    case 'utf8':
      return utf8Sink(type)
    case 'date':
      return dateSink(type)
    case 'timestamp':
      return timestampSink(type)
    case 'decimal':
      return decimalSink(type)
  }
}

function primitive<
  T extends
    | Int8Array
    | Int16Array
    | Int32Array
    | Uint8Array
    | Uint16Array
    | Uint32Array
    | Float32Array
    | Float64Array
    | BigInt64Array
    | BigUint64Array,
>(
  type: ColumnType,
  make: (n: number) => T,
  put: (v: T, i: number, text: string) => Refusal,
  putJson: (v: T, i: number, value: unknown) => Refusal,
): Sink {
  const values = new Values<T>(make, 1024)
  return {
    grow: (n) => values.ensure(n),
    put: (i, text) => put(values.data, i, text),
    putJson: (i, value) => putJson(values.data, i, value),
    data: (length, nullCount, nullBitmap) =>
      dataOf({ type: arrowType(type), length, nullCount, nullBitmap, data: values.data.subarray(0, length) }),
  }
}

const NOT_A = (name: string) => `is not ${name}`

function smallIntSink(type: ColumnType & { kind: 'int' }): Sink {
  const name = `${type.signed ? 'an int' : 'a uint'}${type.bits}`
  const min = type.signed ? -(2 ** (type.bits - 1)) : 0
  const max = type.signed ? 2 ** (type.bits - 1) - 1 : 2 ** type.bits - 1
  const make = (n: number) =>
    type.signed
      ? type.bits === 8
        ? new Int8Array(n)
        : type.bits === 16
          ? new Int16Array(n)
          : new Int32Array(n)
      : type.bits === 8
        ? new Uint8Array(n)
        : type.bits === 16
          ? new Uint16Array(n)
          : new Uint32Array(n)
  const inRange = (v: number): boolean => Number.isInteger(v) && v >= min && v <= max
  return primitive(
    type,
    make,
    (a, i, text) => {
      if (!INT_TEXT.test(text) || text.length > 12) return NOT_A(name)
      const v = Number(text)
      if (!inRange(v)) return `is outside the range of ${name}`
      a[i] = v
      return undefined
    },
    (a, i, value) => {
      const v = typeof value === 'string' && INT_TEXT.test(value) ? Number(value) : value
      if (typeof v !== 'number' || !inRange(v)) return NOT_A(name)
      a[i] = v
      return undefined
    },
  )
}

// Whether typed arrays are little-endian here (they are on every platform Node runs on; checked, not assumed).
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1
const TWO_32 = 2 ** 32

// A 64-bit column (int64, uint64, timestamps). A value that is a safe integer is written as its two 32-bit halves,
// so no BigInt is allocated per value (that allocation was most of the cost of such a column); larger values are
// BigInts. `parse` and `parseJson` return the value or why it was refused.
function int64Sink(
  type: ColumnType,
  signed: boolean,
  parse: (text: string) => number | bigint | string,
  parseJson: (value: unknown) => number | bigint | string,
): Sink {
  const make = (n: number) => (signed ? new BigInt64Array(n) : new BigUint64Array(n))
  let data = make(1024)
  let words = new Int32Array(data.buffer)
  const set = (i: number, v: number | bigint | string): Refusal => {
    if (typeof v === 'string') return v
    if (typeof v === 'bigint') data[i] = v
    else if (!LITTLE_ENDIAN) data[i] = BigInt(v)
    else {
      const hi = Math.floor(v / TWO_32)
      // Int32Array stores ToInt32 of each half: the low half's bits whatever its sign.
      words[2 * i] = v - hi * TWO_32
      words[2 * i + 1] = hi
    }
    return undefined
  }
  return {
    grow(n) {
      if (n <= data.length) return
      const next = make(Math.max(n, data.length * 2))
      next.set(data as never)
      data = next
      words = new Int32Array(data.buffer)
    },
    put: (i, text) => set(i, parse(text)),
    putJson: (i, value) => set(i, parseJson(value)),
    data: (length, nullCount, nullBitmap) =>
      dataOf({ type: arrowType(type), length, nullCount, nullBitmap, data: data.subarray(0, length) }),
  }
}

function bigIntSink(type: ColumnType & { kind: 'int' }): Sink {
  const name = type.signed ? 'an int64' : 'a uint64'
  const outside = `is outside the range of ${name}`
  const min = type.signed ? -(2n ** 63n) : 0n
  const max = type.signed ? 2n ** 63n - 1n : 2n ** 64n - 1n
  const parse = (text: string): number | bigint | string => {
    if (!INT_TEXT.test(text) || text.length > 21) return NOT_A(name)
    // Up to 2^53 the number is exact; beyond, BigInt keeps every digit.
    const n = Number(text)
    if (Number.isSafeInteger(n)) return !type.signed && n < 0 ? outside : n
    const v = BigInt(text)
    return v < min || v > max ? outside : v
  }
  return int64Sink(type, type.signed, parse, (value) => {
    if (typeof value === 'string') return parse(value)
    // A JSON number beyond 2^53 has already been rounded by the JSON parser: refuse it rather than guess.
    if (typeof value !== 'number' || !Number.isSafeInteger(value))
      return NOT_A(`${name} (exact integers above 2^53 must be JSON strings)`)
    // Safe integers are within int64; only a uint64 column has a bound left to check.
    return !type.signed && value < 0 ? outside : value
  })
}

function floatSink(type: ColumnType & { kind: 'float' }): Sink {
  const name = `a float${type.bits}`
  const fromText = (text: string): number | undefined => {
    if (FLOAT_TEXT.test(text)) return Number(text)
    return SPECIAL_FLOATS[text.toLowerCase()]
  }
  return primitive<Float32Array | Float64Array>(
    type,
    (n) => (type.bits === 32 ? new Float32Array(n) : new Float64Array(n)),
    (a, i, text) => {
      const v = fromText(text)
      if (v === undefined) return NOT_A(name)
      a[i] = v
      return undefined
    },
    (a, i, value) => {
      const v = typeof value === 'number' ? value : typeof value === 'string' ? fromText(value) : undefined
      if (v === undefined) return NOT_A(name)
      a[i] = v
      return undefined
    },
  )
}

function boolSink(type: ColumnType): Sink {
  let bits = new Uint8Array(128)
  const set = (i: number, v: boolean) => {
    if (i >> 3 >= bits.length) {
      const next = new Uint8Array(bits.length * 2)
      next.set(bits)
      bits = next
    }
    if (v) bits[i >> 3]! |= 1 << (i & 7)
  }
  const fromText = (text: string): boolean | undefined => {
    const t = text.toLowerCase()
    return t === 'true' || t === '1' ? true : t === 'false' || t === '0' ? false : undefined
  }
  return {
    grow: (n) => set(n - 1, false),
    put(i, text) {
      const v = fromText(text)
      if (v === undefined) return NOT_A('a bool (true, false, 1 or 0)')
      set(i, v)
      return undefined
    },
    putJson(i, value) {
      const v = typeof value === 'boolean' ? value : typeof value === 'string' ? fromText(value) : undefined
      if (v === undefined) return NOT_A('a bool')
      set(i, v)
      return undefined
    },
    data: (length, nullCount, nullBitmap) =>
      dataOf({ type: arrowType(type), length, nullCount, nullBitmap, data: bits.slice(0, (length + 7) >> 3) }),
  }
}

function utf8Sink(type: ColumnType): Sink {
  // A Node Buffer (this is CLI code): `write` at an offset encodes without a new view per value.
  let bytes = Buffer.alloc(64 * 1024)
  let used = 0
  const offsets = new Values<Int32Array>((n) => new Int32Array(n), 1025)
  const put = (i: number, text: string): Refusal => {
    // UTF-8 takes at most 3 bytes per UTF-16 code unit.
    if (used + text.length * 3 > bytes.length) {
      const next = Buffer.alloc(Math.max(bytes.length * 2, used + text.length * 3))
      bytes.copy(next, 0, 0, used)
      bytes = next
    }
    used += bytes.write(text, used, 'utf8')
    if (used > 0x7fffffff) return 'makes the batch exceed 2 GiB of text: use a smaller --batch-rows'
    offsets.data[i + 1] = used
    return undefined
  }
  return {
    grow: (n) => {
      offsets.ensure(n + 1)
      // A null's slot repeats the previous offset (zero length).
      offsets.data[n] = used
    },
    put,
    putJson: (i, value) => put(i, typeof value === 'string' ? value : JSON.stringify(value)),
    data: (length, nullCount, nullBitmap) =>
      dataOf({
        type: arrowType(type),
        length,
        nullCount,
        nullBitmap,
        valueOffsets: offsets.data.slice(0, length + 1),
        // A plain Uint8Array copy: Buffer#slice would be a view of the whole, larger buffer.
        data: new Uint8Array(bytes.buffer, bytes.byteOffset, used).slice(),
      }),
  }
}

function dateSink(type: ColumnType): Sink {
  const put = (a: Int32Array, i: number, text: string): Refusal => {
    const v = parseDate(text)
    if (v === null) return NOT_A('a date (YYYY-MM-DD)')
    a[i] = v
    return undefined
  }
  return primitive<Int32Array>(
    type,
    (n) => new Int32Array(n),
    put,
    (a, i, value) => (typeof value === 'string' ? put(a, i, value) : NOT_A('a date string')),
  )
}

function timestampSink(type: ColumnType & { kind: 'timestamp' }): Sink {
  const refused = NOT_A('an ISO-8601 date and time')
  const parse = (text: string) => parseInstantValue(text, type.unit, type.timezone) ?? refused
  return int64Sink(type, true, parse, (value) =>
    typeof value === 'string' ? parse(value) : NOT_A('an ISO-8601 date-time string'),
  )
}

/**
 * The unscaled value of decimal text at `scale`, or why it does not fit `decimal128(precision, scale)`. Digits
 * beyond the scale are refused rather than rounded: rounding would change the value the file holds.
 *
 * @example
 * ```ts
 * decimalUnscaledOf('-12.5', 9, 2) // -1250n
 * ```
 */
export function decimalUnscaledOf(text: string, precision: number, scale: number): bigint | string {
  const m = DECIMAL_TEXT.exec(text)
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return NOT_A('a decimal number')
  const whole = m[2]!.replace(/^0+(?=\d)/, '')
  const fraction = m[3] ?? ''
  if (fraction.replace(/0+$/, '').length > scale) return `has more than ${scale} decimal places`
  const digits = `${whole}${fraction.padEnd(scale, '0').slice(0, scale)}`.replace(/^0+(?=\d)/, '')
  if (digits.length > precision) return `has more than ${precision} digits`
  const v = BigInt(digits || '0')
  return m[1] === '-' ? -v : v
}

function decimalSink(type: ColumnType & { kind: 'decimal' }): Sink {
  const values = new Values<Uint32Array>((n) => new Uint32Array(n), 4096)
  const put = (i: number, text: string): Refusal => {
    const v = decimalUnscaledOf(text, type.precision, type.scale)
    if (typeof v === 'string') return v
    // 128-bit two's complement, as four little-endian 32-bit words.
    let x = BigInt.asUintN(128, v)
    for (let w = 0; w < 4; w++) {
      values.data[i * 4 + w] = Number(x & 0xffffffffn)
      x >>= 32n
    }
    return undefined
  }
  return {
    grow: (n) => values.ensure(n * 4),
    put,
    putJson: (i, value) =>
      typeof value === 'string' || typeof value === 'number' ? put(i, String(value)) : NOT_A('a decimal number'),
    data: (length, nullCount, nullBitmap) =>
      dataOf({ type: arrowType(type), length, nullCount, nullBitmap, data: values.data.slice(0, length * 4) }),
  }
}
