/**
 * Imported public KeyObjects of the native post-quantum backend, by key type and SHA-256 of the raw key: OpenSSL's
 * import of an ML-KEM-768 encapsulation key (with FIPS 203 §7.2's check) costs about twice the encapsulation
 * itself, and ML-DSA-65 verification keys (trusted signers) repeat the same way, so each raw key is imported once.
 * Public keys only, so nothing secret is held; bounded (oldest out first) so a stream of distinct keys cannot grow
 * it without limit. A key that fails the import is not cached: every use of it fails the same way.
 *
 * @module
 */
import { createHash, type KeyObject } from 'node:crypto'

const MAX_ENTRIES = 256
const cache = new Map<string, KeyObject>()

/**
 * The imported key of `raw` (of `type`), from the cache or imported by `load` and cached.
 *
 * @example
 * ```ts
 * const pk = cachedPublicKey(raw, 'ml-kem-768', () => publicFromRaw(raw, 'ml-kem-768'))
 * ```
 * @internal
 */
export function cachedPublicKey(raw: Uint8Array, type: string, load: () => KeyObject): KeyObject {
  const id = `${type}:${createHash('sha256').update(raw).digest('base64')}`
  const hit = cache.get(id)
  if (hit !== undefined) return hit
  const key = load()
  if (cache.size >= MAX_ENTRIES) cache.delete(cache.keys().next().value as string)
  cache.set(id, key)
  return key
}

/** Entries held, for tests of the bound. @internal */
export function _publicKeyCacheEntries(): number {
  return cache.size
}
