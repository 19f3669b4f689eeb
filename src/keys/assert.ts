/**
 * Argument checks for the key layer's public entry points.
 *
 * Caller misuse (a wrong argument *type* or an impossible size) raises the built-in `TypeError` or `RangeError`,
 * as Web APIs do; bad *data* raises a typed {@link KeyError}. Messages name the argument and its length, never
 * its bytes (noble's `abytes` convention).
 *
 * @module
 * @internal
 */

/**
 * True for a `Uint8Array` (including Node's `Buffer` subclass and arrays from another realm).
 *
 * @example
 * ```ts
 * isBytes(new Uint8Array(1)) // true
 * ```
 * @internal
 */
export function isBytes(value: unknown): value is Uint8Array {
  return (
    value instanceof Uint8Array ||
    (ArrayBuffer.isView(value) && value.constructor?.name === 'Uint8Array' && 'BYTES_PER_ELEMENT' in value)
  )
}

/**
 * Throw `TypeError` unless `value` is a `Uint8Array`; `RangeError` unless it has exactly `length` bytes.
 *
 * @example
 * ```ts
 * assertBytes(seed, 'seed', 32)
 * ```
 * @internal
 */
export function assertBytes(value: unknown, name: string, length?: number): asserts value is Uint8Array {
  if (!isBytes(value)) throw new TypeError(`"${name}" must be a Uint8Array, got ${describe(value)}`)
  if (length !== undefined && value.length !== length) {
    throw new RangeError(`"${name}" must be ${length} bytes, got ${value.length}`)
  }
}

/**
 * Throw `TypeError` unless `value` is a string.
 *
 * @example
 * ```ts
 * assertString(text, 'text')
 * ```
 * @internal
 */
export function assertString(value: unknown, name: string): asserts value is string {
  if (typeof value !== 'string') throw new TypeError(`"${name}" must be a string, got ${describe(value)}`)
}

/**
 * A short, secret-free description of a value's type for error messages (never its contents).
 *
 * @example
 * ```ts
 * describe(null) // 'null'
 * ```
 * @internal
 */
export function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  if (ArrayBuffer.isView(value)) return value.constructor?.name ?? 'typed array'
  return typeof value
}
