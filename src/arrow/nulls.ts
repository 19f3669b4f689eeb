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
