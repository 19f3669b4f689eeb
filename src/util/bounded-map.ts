/**
 * A Map with a hard bound on its size that forgets the least recently used key first. The gateway keeps state per
 * principal, per source and per proof id, and the audit store caches subtree hashes; a flood of new names must cost
 * a bounded amount of memory, so every such table is one of these. It lives here, outside both, because the core
 * gateway modules and the Node store share it.
 *
 * @module
 * @internal
 */

/** @internal */
export class BoundedMap<K, V> {
  readonly #map = new Map<K, V>()
  readonly #max: number

  constructor(max: number) {
    if (!Number.isSafeInteger(max) || max < 1) throw new RangeError('BoundedMap: max must be a positive integer')
    this.#max = max
  }

  get size(): number {
    return this.#map.size
  }

  /** The value, marking the key as just used. */
  get(key: K): V | undefined {
    const v = this.#map.get(key)
    if (v !== undefined) {
      // A Map iterates in insertion order: re-inserting moves the key to the young end.
      this.#map.delete(key)
      this.#map.set(key, v)
    }
    return v
  }

  /** Sets the value as the most recently used, then drops the oldest keys while over the bound. */
  set(key: K, value: V): void {
    this.#map.delete(key)
    this.#map.set(key, value)
    while (this.#map.size > this.#max) {
      const oldest = this.#map.keys().next()
      if (oldest.done) break
      this.#map.delete(oldest.value)
    }
  }

  delete(key: K): void {
    this.#map.delete(key)
  }
}
