/**
 * Row-wise concatenation of record batches, for the writer's `minBatchRows` option: consecutive small batches
 * become one batch, so the per-batch costs (IPC messages, AEAD calls, frame hash and MACs) are paid once.
 *
 * apache-arrow has no such kernel, and its conventions for sliced data differ by buffer (a sliced `Data` keeps
 * its offset for bitmaps but not for value buffers), so this one deliberately covers only what it can do
 * exactly: columns at offset 0 of flat types (null, booleans, fixed-width numbers, dates, times, timestamps,
 * durations, intervals, decimals, fixed-size binary, UTF-8 and binary in their 32- and 64-bit-offset forms)
 * and dictionary columns whose batches share one dictionary (the same object, or equal values for dictionaries
 * of up to 4,096 entries). For anything else it returns null and the caller seals the batches as they came:
 * coalescing is an optimisation, never a reason to change data.
 *
 * @module
 */
import { type Data, DataType, makeData, RecordBatch, type Schema, Struct, Type, type Vector } from 'apache-arrow'
import { valuesEqual } from './equality.js'

/** Typed arrays of the value buffers this kernel copies. */
type Values = Exclude<Data['values'], undefined>

/**
 * Whether this module can concatenate columns of `type` (decided from the schema, before any data is seen).
 *
 * @example
 * ```ts
 * canConcatType(new Int32()) // true
 * canConcatType(new List(new Field('x', new Int32()))) // false
 * ```
 */
export function canConcatType(type: DataType): boolean {
  if (DataType.isDictionary(type)) return canConcatType(type.indices)
  switch (type.typeId) {
    case Type.Null:
    case Type.Bool:
    case Type.Int:
    case Type.Float:
    case Type.Decimal:
    case Type.Date:
    case Type.Time:
    case Type.Timestamp:
    case Type.Interval:
    case Type.Duration:
    case Type.FixedSizeBinary:
    case Type.Utf8:
    case Type.Binary:
    case Type.LargeUtf8:
    case Type.LargeBinary:
      return true
    default:
      return false
  }
}

/**
 * Concatenates `batches` (all of `schema`'s shape, already checked by the caller) into one batch of `schema`,
 * or returns null when a column cannot be concatenated exactly (see the module comment).
 *
 * @example
 * ```ts
 * const merged = concatBatches(schema, [a, b]) ?? undefined
 * ```
 * @internal
 */
export function concatBatches(schema: Schema, batches: readonly RecordBatch[]): RecordBatch | null {
  if (batches.length === 0) return null
  if (batches.length === 1) return batches[0]!
  const rows = batches.reduce((n, b) => n + b.numRows, 0)
  if (batches.some((b) => b.data.offset !== 0 || b.data.nullCount !== 0)) return null
  const children: Data[] = []
  for (const [i, field] of schema.fields.entries()) {
    const column = concatColumn(
      field.type,
      batches.map((b) => b.data.children[i]!),
      rows,
    )
    if (!column) return null
    children.push(column)
  }
  return new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: rows, nullCount: 0, children }))
}

/**
 * The chunks of one column (all of `type`) as one Data, or null when this kernel cannot join them exactly.
 *
 * @example
 * ```ts
 * const joined = concatChunks(dictionary.type, dictionary.data)
 * ```
 * @internal
 */
export function concatChunks(type: DataType, chunks: readonly Data[]): Data | null {
  if (chunks.length === 1) return chunks[0]!
  return concatColumn(
    type,
    chunks,
    chunks.reduce((n, c) => n + c.length, 0),
  )
}

function concatColumn(type: DataType, chunks: readonly Data[], rows: number): Data | null {
  if (!canConcatType(type) || chunks.some((c) => c.offset !== 0)) return null
  const nullCount = chunks.reduce((n, c) => n + c.nullCount, 0)
  if (type.typeId === Type.Null) return makeData({ type, length: rows, nullCount: rows })
  const nullBitmap = nullCount === 0 ? undefined : concatValidity(chunks, rows)
  if (DataType.isDictionary(type)) {
    const dictionary = chunks[0]!.dictionary
    if (!dictionary || chunks.some((c) => !sameDictionary(c.dictionary, dictionary))) return null
    const data = concatFixed(chunks)
    return data && makeData({ type, length: rows, nullCount, nullBitmap, data, dictionary })
  }
  switch (type.typeId) {
    case Type.Bool: {
      const data = new Uint8Array(bitmapBytes(rows))
      let at = 0
      for (const c of chunks) {
        copyBits(c.values as Uint8Array, data, at, c.length)
        at += c.length
      }
      return makeData({ type, length: rows, nullCount, nullBitmap, data } as never)
    }
    case Type.Utf8:
    case Type.Binary:
      return concatVariable(type, chunks, rows, nullCount, nullBitmap, false)
    case Type.LargeUtf8:
    case Type.LargeBinary:
      return concatVariable(type, chunks, rows, nullCount, nullBitmap, true)
    default: {
      const data = concatFixed(chunks)
      return data && makeData({ type, length: rows, nullCount, nullBitmap, data } as never)
    }
  }
}

/**
 * Whether every dictionary column of `b` can share `a`'s dictionary: the same dictionary object, or (small
 * dictionaries only) one with the same values, as a reader's re-decoded copies or a producer that rebuilds the
 * same dictionary per batch have. A batch whose dictionaries differ starts a new merged batch.
 *
 * @example
 * ```ts
 * if (!dictionariesMatch(pending[0], batch)) flush()
 * ```
 * @internal
 */
export function dictionariesMatch(a: RecordBatch, b: RecordBatch): boolean {
  const columns = a.data.children
  return columns.every(
    (column, i) =>
      !DataType.isDictionary(column.type) || sameDictionary(b.data.children[i]?.dictionary, column.dictionary),
  )
}

/** Dictionaries larger than this are only matched by identity: comparing values would cost more than it saves. */
const MAX_COMPARED_DICTIONARY = 4096

function sameDictionary(a: Vector | undefined, b: Vector | undefined): boolean {
  if (!a || !b) return false
  return a === b || (a.length <= MAX_COMPARED_DICTIONARY && valuesEqual(a, b))
}

/** Fixed-width values: each chunk's first `length × stride` elements, one after another. */
function concatFixed(chunks: readonly Data[]): Values | null {
  const first = chunks[0]!.values
  if (!first) return null
  const Ctor = first.constructor as new (n: number) => Values
  let total = 0
  for (const c of chunks) {
    if (!c.values || c.values.constructor !== Ctor || c.values.length < c.length * c.stride) return null
    total += c.length * c.stride
  }
  const out = new Ctor(total)
  let at = 0
  for (const c of chunks) {
    const n = c.length * c.stride
    ;(out as Uint8Array).set(c.values!.subarray(0, n) as Uint8Array, at)
    at += n
  }
  return out
}

/** UTF-8 and binary, 32- or 64-bit offsets: the chunks' value bytes end to end, offsets shifted to match. */
function concatVariable(
  type: DataType,
  chunks: readonly Data[],
  rows: number,
  nullCount: number,
  nullBitmap: Uint8Array | undefined,
  large: boolean,
): Data | null {
  const offset = (c: Data, i: number) => Number(c.valueOffsets![i])
  let bytes = 0
  for (const c of chunks) bytes += offset(c, c.length) - offset(c, 0)
  // Past 2^31 − 1 bytes 32-bit offsets overflow (and one buffer that large is not worth building): leave as is.
  if (bytes > 0x7fff_ffff) return null
  const valueOffsets = large ? new BigInt64Array(rows + 1) : new Int32Array(rows + 1)
  const data = new Uint8Array(bytes)
  let row = 0
  let at = 0
  for (const c of chunks) {
    const start = offset(c, 0)
    const end = offset(c, c.length)
    data.set((c.values as Uint8Array).subarray(start, end), at)
    rebase(c.valueOffsets!, valueOffsets, row, c.length, at - start)
    row += c.length
    at += end - start
  }
  return makeData({ type, length: rows, nullCount, nullBitmap, valueOffsets, data } as never)
}

/** dst[row + i] = src[i] + shift for i in 1..n (offsets[0] of the first chunk stays 0). */
function rebase(
  src: Int32Array | BigInt64Array,
  dst: Int32Array | BigInt64Array,
  row: number,
  n: number,
  shift: number,
) {
  if (dst instanceof BigInt64Array) {
    const s = BigInt(shift)
    const from = src as BigInt64Array
    for (let i = 1; i <= n; i++) dst[row + i] = from[i]! + s
    return
  }
  const from = src as Int32Array
  for (let i = 1; i <= n; i++) dst[row + i] = from[i]! + shift
}

/** One validity bitmap for all chunks: a chunk without nulls (or without a bitmap) is all valid. */
function concatValidity(chunks: readonly Data[], rows: number): Uint8Array {
  const out = new Uint8Array(bitmapBytes(rows))
  let at = 0
  for (const c of chunks) {
    if (c.nullCount === 0 || !c.nullBitmap || c.nullBitmap.length === 0) setBits(out, at, c.length)
    else copyBits(c.nullBitmap, out, at, c.length)
    at += c.length
  }
  return out
}

/** Arrow pads buffers to 64 bytes; a bitmap of `rows` bits rounded up that way. */
function bitmapBytes(rows: number): number {
  return ((rows + 511) & ~511) >>> 3
}

/** Copies bits [0, n) of `src` to bits [at, at + n) of `dst` (LSB-first, as Arrow stores them). */
function copyBits(src: Uint8Array, dst: Uint8Array, at: number, n: number): void {
  let i = 0
  // Byte-aligned destination: whole bytes at once, then the tail bit by bit.
  if ((at & 7) === 0) {
    const whole = n >>> 3
    dst.set(src.subarray(0, whole), at >>> 3)
    i = whole << 3
  }
  for (; i < n; i++) {
    if ((src[i >>> 3]! >>> (i & 7)) & 1) dst[(at + i) >>> 3]! |= 1 << ((at + i) & 7)
  }
}

/** Sets bits [at, at + n) of `dst`. */
function setBits(dst: Uint8Array, at: number, n: number): void {
  let i = 0
  while (i < n && ((at + i) & 7) !== 0) {
    dst[(at + i) >>> 3]! |= 1 << ((at + i) & 7)
    i++
  }
  const whole = (n - i) >>> 3
  dst.fill(0xff, (at + i) >>> 3, ((at + i) >>> 3) + whole)
  i += whole << 3
  for (; i < n; i++) dst[(at + i) >>> 3]! |= 1 << ((at + i) & 7)
}
