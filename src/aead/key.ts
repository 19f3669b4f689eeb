/**
 * Opaque key handles. The secret material (a CryptoKey, a node KeyObject or raw bytes) lives in a WeakMap owned
 * by one backend instance, so the handle has no property, method or serialisation that can reveal it, and a handle
 * from another backend is refused instead of being misread.
 *
 * @internal
 * @module
 */

import type { AeadKey } from './types.js'

// Node's util.inspect looks this symbol up on the object; using the registry symbol avoids importing node:util.
const INSPECT = Symbol.for('nodejs.util.inspect.custom')

/**
 * Holds the secret material behind the {@link AeadKey} handles that one backend instance issued.
 *
 * @example
 * ```ts
 * const store = new KeyStore<CryptoKey>('webcrypto')
 * const handle = store.wrap(cryptoKey)
 * const same = store.unwrap(handle) // cryptoKey
 * ```
 */
export class KeyStore<T> {
  readonly #backend: string
  readonly #material = new WeakMap<AeadKey, T>()

  constructor(backend: string) {
    this.#backend = backend
  }

  /** Returns a new frozen, redacted handle for `material`. */
  wrap(material: T): AeadKey {
    const backend = this.#backend
    const label = `AeadKey(${backend}) [redacted]`
    const handle: AeadKey = Object.freeze({
      backend,
      toString: () => label,
      toJSON: () => ({ backend, key: '[redacted]' }),
      [INSPECT]: () => label,
      [Symbol.toStringTag]: 'AeadKey',
    })
    this.#material.set(handle, material)
    return handle
  }

  /** Returns the material behind `key`; `TypeError` if this store did not issue it. */
  unwrap(key: AeadKey): T {
    const material = typeof key === 'object' && key !== null ? this.#material.get(key) : undefined
    if (material === undefined) {
      throw new TypeError(`key was not imported by this ${this.#backend} backend instance`)
    }
    return material
  }
}
