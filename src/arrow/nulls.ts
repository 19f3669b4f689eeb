/**
 * All-null columns of any Arrow type, used to stand in for fields a reader may not read (`includeDenied`).
 *
 * Buffers are allocated at their full declared size (zeroed), not left empty, so the column is well-formed for
 * every consumer — arrow-js's IPC writer included — and passes {@link validateData}.
 *
 * @module
 */

import { type Data, DataType, makeData, Type, Vector } from 'apache-arrow'

type ArrayCtor = new (length: number) => ArrayLike<unknown>

/**
 * The most bytes of all-null columns a reader builds for one frame's denied fields (`includeDenied`). Those columns
 * are the reader's own allocation, sized by the frame's row count alone, which a (trusted, but buggy or compromised)
 * writer chooses: 2^31 − 1 rows of one Float64 field would ask for 16 GiB. 256 MiB is the default frame size.
 */
export const MAX_NULL_COLUMN_BYTES = 256 * 1024 * 1024

function elementBytes(type: DataType): number {
  return (type.ArrayType as unknown as { BYTES_PER_ELEMENT?: number }).BYTES_PER_ELEMENT ?? 1
}

/**
 * The bytes {@link nullData} would allocate for `length` nulls of `type` (an upper bound, computed without
 * allocating), so a caller can refuse before allocating.
 *
 * @example
 * ```ts
 * import { Float64 } from 'apache-arrow'
 * nullBytes(new Float64(), 1024) // 8,320: 1,024 × 8 values and a 128-byte bitmap
 * ```
 * @internal
 */
export function nullBytes(type: DataType, length: number): number {
  const bitmap = Math.ceil(length / 8)
  switch (type.typeId) {
    case Type.Null:
      return 0
    case Type.Utf8:
    case Type.Binary:
      return bitmap + 4 * (length + 1)
    case Type.List:
    case Type.Map:
      return bitmap + 4 * (length + 1) + nullBytes(type.children[0]!.type, 0)
    case Type.LargeUtf8:
    case Type.LargeBinary:
      return bitmap + 8 * (length + 1)
    case Type.LargeList:
      return bitmap + 8 * (length + 1) + nullBytes(type.children[0]!.type, 0)
    case Type.FixedSizeList: {
      const size = (type as unknown as { listSize: number }).listSize
      return bitmap + nullBytes(type.children[0]!.type, length * size)
    }
    case Type.Struct:
      return bitmap + type.children.reduce((n, f) => n + nullBytes(f.type, length), 0)
    case Type.Union: {
      const dense = (type as unknown as { mode: number }).mode === 1
      const children = type.children.reduce((n, f, c) => n + nullBytes(f.type, !dense || c === 0 ? length : 0), 0)
      return bitmap + length * (dense ? 5 : 1) + children
    }
    case Type.Dictionary:
      return DataType.isDictionary(type) ? bitmap + length * elementBytes(type.indices) : bitmap
    case Type.Utf8View:
    case Type.BinaryView:
      return bitmap + 16 * length
    case Type.Bool:
      return 2 * bitmap
    default:
      return bitmap + length * makeData({ type, length: 0 } as never).stride * elementBytes(type)
  }
}

function zeros(type: DataType, length: number): ArrayLike<unknown> {
  return new (type.ArrayType as unknown as ArrayCtor)(length)
}

/**
 * Builds a Data of `length` nulls of `type`. Unions have no validity bitmap (Arrow spec), so their nulls are
 * carried by the first child, as the spec prescribes.
 *
 * @example
 * ```ts
 * import { Utf8 } from 'apache-arrow'
 * const data = nullData(new Utf8(), 3) // data.nullCount === 3
 * ```
 * @internal
 */
export function nullData(type: DataType, length: number): Data {
  const nullBitmap = new Uint8Array((length + 7) >> 3)
  const base = { type, length, nullCount: length, nullBitmap }
  switch (type.typeId) {
    case Type.Null:
      return makeData({ type, length })
    case Type.Utf8:
    case Type.Binary:
      return makeData({ ...base, valueOffsets: new Int32Array(length + 1), data: new Uint8Array(0) } as never)
    case Type.LargeUtf8:
    case Type.LargeBinary:
      return makeData({ ...base, valueOffsets: new BigInt64Array(length + 1), data: new Uint8Array(0) } as never)
    case Type.List:
    case Type.Map:
      return makeData({
        ...base,
        valueOffsets: new Int32Array(length + 1),
        child: nullData(type.children[0]!.type, 0),
      } as never)
    case Type.LargeList:
      return makeData({
        ...base,
        valueOffsets: new BigInt64Array(length + 1),
        child: nullData(type.children[0]!.type, 0),
      } as never)
    case Type.FixedSizeList: {
      const size = (type as unknown as { listSize: number }).listSize
      return makeData({ ...base, child: nullData(type.children[0]!.type, length * size) } as never)
    }
    case Type.Struct:
      return makeData({ ...base, children: type.children.map((f) => nullData(f.type, length)) } as never)
    case Type.Union: {
      const { mode, typeIds } = type as unknown as { mode: number; typeIds: ArrayLike<number> }
      const ids = new Int8Array(length).fill(typeIds[0] ?? 0)
      if (mode === 1) {
        const valueOffsets = Int32Array.from({ length }, (_, i) => i)
        const children = type.children.map((f, c) => nullData(f.type, c === 0 ? length : 0))
        return makeData({ type, length, nullCount: 0, typeIds: ids, valueOffsets, children } as never)
      }
      const children = type.children.map((f) => nullData(f.type, length))
      return makeData({ type, length, nullCount: 0, typeIds: ids, children } as never)
    }
    case Type.Dictionary: {
      if (!DataType.isDictionary(type)) throw new TypeError('bad dictionary type')
      const dictionary = new Vector([nullData(type.dictionary, 0)])
      return makeData({ ...base, data: zeros(type.indices, length), dictionary } as never)
    }
    case Type.Utf8View:
    case Type.BinaryView:
      return makeData({ ...base, views: new Uint8Array(16 * length), variadicBuffers: [] } as never)
    case Type.Bool:
      return makeData({ ...base, data: new Uint8Array((length + 7) >> 3) } as never)
    default: {
      const stride = makeData({ type, length: 0 } as never).stride
      return makeData({ ...base, data: zeros(type, length * stride) } as never)
    }
  }
}
