/**
 * Strict structural equality of Arrow schemas, fields and types.
 *
 * arrow-js's own `compareSchemas` is not strict enough for a security check: it ignores field and schema
 * metadata, treats every `Decimal` as equal regardless of precision, scale and width, and compares with
 * `instanceof`, which is order-dependent (`new Int32()` vs a decoded `Int`). A reader must reject a group whose
 * decoded schema differs in any of those ways from the one the header promised, so we compare by `typeId` and
 * every type parameter explicitly.
 *
 * @module
 */

import { DataType, type Field, type Schema, type Vector } from 'apache-arrow'

/** Scalar parameters that distinguish types sharing one `typeId`. */
const TYPE_PARAMS = [
  'bitWidth',
  'isSigned',
  'precision',
  'scale',
  'unit',
  'byteWidth',
  'listSize',
  'keysSorted',
  'mode',
  'id',
  'isOrdered',
] as const

function param(type: DataType, key: string): unknown {
  return Reflect.get(type, key)
}

/**
 * Whether two metadata maps hold exactly the same entries.
 *
 * @example
 * ```ts
 * metadataEqual(new Map([['a', '1']]), new Map([['a', '1']])) // true
 * ```
 */
export function metadataEqual(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean {
  if (a.size !== b.size) return false
  for (const [k, v] of a) if (b.get(k) !== v) return false
  return true
}

/**
 * Whether two Arrow types are identical, including dictionary ids, index and value types, timezones, decimal
 * parameters, union type ids, and (recursively) child field names, nullability and metadata.
 *
 * @example
 * ```ts
 * import { Int32, Int } from 'apache-arrow'
 * typesEqual(new Int32(), new Int(true, 32)) // true
 * ```
 */
export function typesEqual(a: DataType, b: DataType): boolean {
  if (a === b) return true
  if (a.typeId !== b.typeId) return false
  for (const key of TYPE_PARAMS) if (param(a, key) !== param(b, key)) return false
  // A timestamp without a zone decodes as null; one built in code may carry undefined.
  if ((param(a, 'timezone') ?? null) !== (param(b, 'timezone') ?? null)) return false
  const ta = param(a, 'typeIds')
  const tb = param(b, 'typeIds')
  if (ta !== undefined || tb !== undefined) {
    if (!ArrayBuffer.isView(ta) && !Array.isArray(ta)) return false
    if (!ArrayBuffer.isView(tb) && !Array.isArray(tb)) return false
    const xa = Array.from(ta as ArrayLike<number>)
    const xb = Array.from(tb as ArrayLike<number>)
    if (xa.length !== xb.length || xa.some((x, i) => x !== xb[i])) return false
  }
  if (DataType.isDictionary(a) && DataType.isDictionary(b)) {
    if (!typesEqual(a.indices, b.indices) || !typesEqual(a.dictionary, b.dictionary)) return false
  }
  return fieldListsEqual(a.children ?? [], b.children ?? [])
}

/**
 * Whether two fields have the same name, nullability, metadata and type.
 *
 * @example
 * ```ts
 * import { Field, Utf8 } from 'apache-arrow'
 * fieldsEqual(new Field('a', new Utf8()), new Field('a', new Utf8(), true)) // false (nullability differs)
 * ```
 */
export function fieldsEqual(a: Field, b: Field): boolean {
  return (
    a === b ||
    (a.name === b.name &&
      a.nullable === b.nullable &&
      metadataEqual(a.metadata, b.metadata) &&
      typesEqual(a.type, b.type))
  )
}

function fieldListsEqual(a: readonly Field[], b: readonly Field[]): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (!fieldsEqual(a[i]!, b[i]!)) return false
  return true
}

/**
 * Whether two schemas have equal fields (in order) and equal schema-level metadata.
 *
 * @example
 * ```ts
 * schemasEqual(decoded.schema, layout.schema) // false when any name, type, nullability or metadata differs
 * ```
 */
export function schemasEqual(a: Schema, b: Schema): boolean {
  return a === b || (metadataEqual(a.metadata, b.metadata) && fieldListsEqual(a.fields, b.fields))
}

/**
 * Whether two vectors hold the same values in the same order (types compared by their printed form, binary
 * values byte by byte). Used to treat two dictionaries with equal contents as one.
 *
 * @example
 * ```ts
 * import { Utf8, vectorFromArray } from 'apache-arrow'
 * valuesEqual(vectorFromArray(['a', 'b'], new Utf8()), vectorFromArray(['a', 'b'], new Utf8())) // true
 * ```
 */
export function valuesEqual(a: Vector, b: Vector): boolean {
  if (a === b) return true
  if (a.length !== b.length || String(a.type) !== String(b.type)) return false
  for (let i = 0; i < a.length; i++) {
    const x: unknown = a.get(i)
    const y: unknown = b.get(i)
    if (x === y) continue
    if (x instanceof Uint8Array && y instanceof Uint8Array && x.length === y.length && x.every((v, j) => v === y[j]))
      continue
    return false
  }
  return true
}
