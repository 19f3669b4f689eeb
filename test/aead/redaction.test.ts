// AeadKey handles must never reveal key bytes, whatever way they are printed or serialised (DESIGN property 10).
import { inspect } from 'node:util'
import { describe, expect, it, vi } from 'vitest'
import { defaultBackend } from '../../src/aead/default.js'
import { webCryptoBackend } from '../../src/aead/webcrypto.js'
import { allBackends, toHex } from './helpers.js'

// A recognisable key, so any leak in any common encoding shows up as a substring.
const KEY = Uint8Array.from({ length: 32 }, (_, i) => 0xa0 + (i % 16))
const encodings = [
  toHex(KEY),
  toHex(KEY).toUpperCase(),
  Buffer.from(KEY).toString('base64'),
  Buffer.from(KEY).toString('base64url'),
  Array.from(KEY.subarray(0, 4)).join(','),
  Array.from(KEY.subarray(0, 4)).join(', '),
  Array.from(KEY.subarray(0, 4), (b) => b.toString(16)).join(' '),
]

for (const backend of allBackends()) {
  describe(`${backend.name} AeadKey redaction`, () => {
    it('shows no key bytes in inspect, JSON, String or own properties', async () => {
      const key = await backend.importKey(KEY)
      const renderings = [
        inspect(key),
        inspect(key, { showHidden: true, depth: Number.POSITIVE_INFINITY, customInspect: false }),
        inspect({ nested: { key } }, { depth: Number.POSITIVE_INFINITY }),
        JSON.stringify(key),
        JSON.stringify({ key }),
        String(key),
        `${key}`,
        Object.prototype.toString.call(key),
        JSON.stringify(Object.getOwnPropertyNames(key).map((p) => [p, String((key as never)[p])])),
      ]
      for (const text of renderings) {
        for (const leak of encodings) expect(text.toLowerCase()).not.toContain(leak.toLowerCase())
      }
      expect(String(key)).toBe(`AeadKey(${backend.name}) [redacted]`)
      expect(inspect(key)).toBe(`AeadKey(${backend.name}) [redacted]`)
      expect(JSON.parse(JSON.stringify(key))).toEqual({ backend: backend.name, key: '[redacted]' })
      expect(key.backend).toBe(backend.name)
      expect(Object.isFrozen(key)).toBe(true)
      // No own property holds anything but the name and the redacting functions.
      for (const p of Reflect.ownKeys(key)) {
        const v = (key as unknown as Record<PropertyKey, unknown>)[p]
        expect(['string', 'function']).toContain(typeof v)
      }
    })
  })
}

describe('defaultBackend', () => {
  it('uses WebCrypto when crypto.subtle exists', () => {
    expect(defaultBackend().name).toBe('webcrypto')
  })

  it('falls back to noble when there is no crypto.subtle', async () => {
    vi.stubGlobal('crypto', undefined)
    try {
      const backend = defaultBackend()
      expect(backend.name).toBe('noble')
      expect(() => webCryptoBackend()).toThrow(TypeError)
      // The fallback still works end to end without WebCrypto.
      const key = await backend.importKey(KEY)
      const sealed = await backend.seal(key, new Uint8Array(12), new Uint8Array(0), KEY)
      expect(toHex(await backend.open(key, new Uint8Array(12), new Uint8Array(0), sealed))).toBe(toHex(KEY))
    } finally {
      vi.unstubAllGlobals()
    }
    expect(defaultBackend().name).toBe('webcrypto')
  })
})
