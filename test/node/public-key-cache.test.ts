/**
 * The native backend's cache of imported public keys (src/node/public-key-cache.ts): one import per raw key, a key
 * that fails its import is never cached (so it keeps failing), and the cache stays bounded.
 */
import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { _publicKeyCacheEntries, cachedPublicKey } from '../../src/node/public-key-cache.js'

const someKey: KeyObject = createPublicKey(generateKeyPairSync('ed25519').privateKey)

describe('public key cache of the native post-quantum backend', () => {
  it('imports each raw key once, per type', () => {
    let loads = 0
    const load = () => {
      loads++
      return someKey
    }
    const raw = new Uint8Array(32).fill(1)
    expect(cachedPublicKey(raw, 'test-a', load)).toBe(someKey)
    expect(cachedPublicKey(raw.slice(), 'test-a', load)).toBe(someKey)
    expect(loads).toBe(1)
    cachedPublicKey(raw, 'test-b', load)
    cachedPublicKey(new Uint8Array(32).fill(2), 'test-a', load)
    expect(loads).toBe(3)
  })

  it('never caches a key whose import failed', () => {
    let loads = 0
    const bad = () => {
      loads++
      throw new Error('rejected by the import check')
    }
    const raw = new Uint8Array(32).fill(3)
    expect(() => cachedPublicKey(raw, 'test-bad', bad)).toThrow('rejected')
    expect(() => cachedPublicKey(raw, 'test-bad', bad)).toThrow('rejected')
    expect(loads).toBe(2)
  })

  it('stays bounded however many distinct keys pass through', () => {
    for (let i = 0; i < 1000; i++) {
      const raw = new Uint8Array(4)
      new DataView(raw.buffer).setUint32(0, i)
      cachedPublicKey(raw, 'test-bound', () => someKey)
    }
    expect(_publicKeyCacheEntries()).toBeLessThanOrEqual(256)
  })
})
