/**
 * Structural validation of decoded Arrow data, run after arrow-js has loaded a group's record batch.
 *
 * arrow-js slices body buffers with `subarray`, which clamps silently, and takes every length and null count from
 * the message. A buffer shorter than its declared length, a list offset past its child, a union type id with no
 * child, or a dictionary index past the dictionary would surface later as wrong values or a `TypeError` deep in a
 * consumer. We check each Data node once: O(1) for buffer lengths, plus O(rows) where an out-of-range value would
 * make later reads throw (offsets, union type ids and offsets, dictionary indices, views).
 *
 * @module
 */

import { type Data, DataType, Type } from 'apache-arrow'
import { ArrowSealError } from '../errors.js'

function invalid(what: string): ArrowSealError {
  return new ArrowSealError('ARROW_INVALID', `malformed Arrow data: ${what}`)
}

function offsetAt(offsets: ArrayLike<number | bigint>, i: number): number {
  return Number(offsets[i] ?? Number.NaN)
}

function checkOffsets(data: Data, limit: number, what: string): void {
  if (data.length === 0) return
  const offsets = data.valueOffsets as ArrayLike<number | bigint> | undefined
  if (!offsets || offsets.length < data.length + 1) throw invalid(`${what} offsets too short`)
  // Every offset, not just the ends: a list slot whose [start, end) leaves its child makes arrow-js throw a
  // RangeError when that row is read. One pass over an Int32Array is cheap next to decryption, if it is a tight
  // loop over that one array type (issue 12: the generic loop cost about 5 % of opening).
  const last = offsets instanceof Int32Array ? int32Monotonic(offsets, data.length) : anyMonotonic(offsets, data.length)
  if (last < 0) throw invalid(last === -1 ? `${what} offsets out of range` : `${what} offsets not monotonic`)
  if (last > limit) throw invalid(`${what} offsets out of range`)
}

/** The last of `n + 1` offsets if they start at ≥ 0 and never decrease; -1 for a negative start, -2 otherwise. */
function int32Monotonic(offsets: Int32Array, n: number): number {
  let prev = offsets[0]!
  if (prev < 0) return -1
  for (let i = 1; i <= n; i++) {
    const next = offsets[i]!
    if (next < prev) return -2
    prev = next
  }
  return prev
}

/** {@link int32Monotonic} for 64-bit (bigint) or other offsets; NaN (a missing offset) fails like a decrease. */
function anyMonotonic(offsets: ArrayLike<number | bigint>, n: number): number {
  let prev = offsetAt(offsets, 0)
  if (!(prev >= 0)) return -1
  for (let i = 1; i <= n; i++) {
    const next = offsetAt(offsets, i)
    if (!(next >= prev)) return -2
    prev = next
  }
  return prev
}

function childOf(data: Data, i: number): Data {
  const child = data.children?.[i]
  if (!child) throw invalid('missing child array')
  return child
}

function checkUnion(data: Data, dense: boolean, typeIds: ArrayLike<number>, depth: number): void {
  const ids = data.typeIds
  if (!ids || ids.length < data.length) throw invalid('union type ids too short')
  // Map each declared type id (0..127 per the spec) to its child slot.
  const slot = new Int16Array(128).fill(-1)
  for (let c = 0; c < typeIds.length; c++) {
    const id = typeIds[c]!
    if (id < 0 || id > 127) throw invalid('union type id out of range')
    slot[id] = c
  }
  const children = (data.type.children ?? []).map((_, c) => childOf(data, c))
  for (const child of children) validateData(child, depth + 1)
  const offsets = data.valueOffsets as ArrayLike<number> | undefined
  if (dense && (!offsets || offsets.length < data.length)) throw invalid('dense union offsets too short')
  for (let i = 0; i < data.length; i++) {
    const id = ids[i]!
    const c = id >= 0 && id < 128 ? slot[id]! : -1
    if (c < 0) throw invalid('undeclared union type id')
    const child = children[c]!
    if (dense) {
      const o = offsets![i]!
      if (!(o >= 0 && o < child.length)) throw invalid('dense union offset out of range')
    } else if (child.length < data.length) throw invalid('sparse union child too short')
  }
}

/** Views (Arrow "binary view" layout): 16-byte structs; long values point into a variadic buffer. */
function checkViews(data: Data): void {
  const views = data.values as Uint8Array | undefined
  if (!views || views.byteLength < data.length * 16) throw invalid('view buffer too short')
  const dv = new DataView(views.buffer, views.byteOffset, views.byteLength)
  const buffers = data.variadicBuffers ?? []
  const nulls = data.nullCount > 0 ? data.nullBitmap : undefined
  for (let i = 0; i < data.length; i++) {
    if (nulls && ((nulls[i >> 3]! >> (i & 7)) & 1) === 0) continue
    const size = dv.getInt32(16 * i, true)
    if (size <= 12) continue
    const buffer = buffers[dv.getInt32(16 * i + 8, true)]
    const offset = dv.getInt32(16 * i + 12, true)
    if (!buffer || offset < 0 || offset + size > buffer.byteLength) throw invalid('view out of range')
  }
}

function checkDictionary(data: Data, depth: number): void {
  const dictionary = data.dictionary
  if (!dictionary) throw invalid('dictionary array without dictionary')
  for (const chunk of dictionary.data) validateData(chunk, depth + 1)
  const indices = data.values as ArrayLike<number | bigint>
  if (indices.length < data.length) throw invalid('dictionary indices too short')
  const size = dictionary.length
  const nulls = data.nullCount > 0 ? data.nullBitmap : undefined
  const ok =
    nulls === undefined && !(indices instanceof BigInt64Array || indices instanceof BigUint64Array)
      ? indicesBelow(indices as ArrayLike<number>, data.length, size)
      : indicesBelowWithNulls(indices, data.length, size, nulls)
  if (!ok) throw invalid('dictionary index out of range')
}

/**
 * Whether the first `n` indices are all in [0, size): the common case (no nulls, 8- to 32-bit indices) as one
 * tight loop (issue 12: the per-row null test and bigint-safe conversion cost about 2 % of opening).
 */
function indicesBelow(indices: ArrayLike<number>, n: number, size: number): boolean {
  for (let i = 0; i < n; i++) {
    const k = indices[i]!
    if (!(k >= 0 && k < size)) return false
  }
  return true
}

/** {@link indicesBelow} that skips null slots and reads 64-bit indices. */
function indicesBelowWithNulls(
  indices: ArrayLike<number | bigint>,
  n: number,
  size: number,
  nulls: Uint8Array | undefined,
): boolean {
  for (let i = 0; i < n; i++) {
    if (nulls && ((nulls[i >> 3]! >> (i & 7)) & 1) === 0) continue
    const k = Number(indices[i]!)
    if (!(k >= 0 && k < size)) return false
  }
  return true
}

/**
 * Validates one decoded Data tree (and its dictionaries) against its own declared lengths.
 *
 * @example
 * ```ts
 * validateData(batch.data) // throws ArrowSealError('ARROW_INVALID') when a buffer is shorter than declared
 * ```
 * @internal
 */
export function validateData(data: Data, depth = 0): void {
  if (depth > 64) throw invalid('nesting too deep')
  const { type, length } = data
  if (data.offset !== 0 || !Number.isSafeInteger(length)) throw invalid('bad array length')
  // arrow-js derives a union's nullCount from its children, so it can legitimately exceed the union's length.
  if (!DataType.isUnion(type) && data.nullCount > length) throw invalid('null count exceeds length')
  if (data.nullCount > 0 && type.typeId !== Type.Null && !DataType.isUnion(type)) {
    if (!data.nullBitmap || data.nullBitmap.length * 8 < length) throw invalid('validity bitmap too short')
  }
  const values = data.values as ArrayLike<unknown> | undefined
  switch (type.typeId) {
    case Type.Null:
      return
    case Type.Bool:
      if (!values || values.length * 8 < length) throw invalid('boolean values too short')
      return
    case Type.Utf8:
    case Type.Binary:
    case Type.LargeUtf8:
    case Type.LargeBinary:
      checkOffsets(data, values ? values.length : 0, 'binary')
      return
    case Type.List:
    case Type.LargeList:
    case Type.Map: {
      const child = childOf(data, 0)
      checkOffsets(data, child.length, 'list')
      validateData(child, depth + 1)
      return
    }
    case Type.FixedSizeList: {
      const child = childOf(data, 0)
      if (child.length < length * (type as unknown as { listSize: number }).listSize)
        throw invalid('fixed-size list too short')
      validateData(child, depth + 1)
      return
    }
    case Type.Struct:
      for (let c = 0; c < type.children.length; c++) {
        const child = childOf(data, c)
        if (child.length < length) throw invalid('struct child too short')
        validateData(child, depth + 1)
      }
      return
    case Type.Union:
      checkUnion(
        data,
        (type as unknown as { mode: number }).mode === 1,
        (type as unknown as { typeIds: ArrayLike<number> }).typeIds,
        depth,
      )
      return
    case Type.Dictionary:
      checkDictionary(data, depth)
      return
    case Type.Utf8View:
    case Type.BinaryView:
      checkViews(data)
      return
    default:
      // Fixed-width: ints, floats, decimals, dates, times, timestamps, intervals, durations, fixed-size binary.
      if (!values || values.length < length * data.stride) throw invalid('fixed-width values too short')
  }
}
