/** Deterministic identities for tests (fixed seeds), created once per worker. */

import type { Identity } from '../../src/keys/identity.js'
import { identityFromSeed } from '../../src/keys/identity.js'

const cache = new Map<string, Identity>()

/** The identity for a name: the seed is the name's bytes padded to 32, so tests are reproducible. */
export function id(name: string): Identity {
  let v = cache.get(name)
  if (!v) {
    const seed = new Uint8Array(32)
    seed.set(new TextEncoder().encode(name).subarray(0, 32))
    v = identityFromSeed(seed)
    cache.set(name, v)
  }
  return v
}

/** Deterministic random source (xorshift-based) for golden files and crafted streams. Tests only. */
export function seededRandom(seed: number): (n: number) => Uint8Array {
  let s = seed >>> 0 || 1
  return (n) => {
    const out = new Uint8Array(n)
    for (let i = 0; i < n; i++) {
      s ^= s << 13
      s >>>= 0
      s ^= s >>> 17
      s ^= s << 5
      s >>>= 0
      out[i] = s & 0xff
    }
    return out
  }
}
