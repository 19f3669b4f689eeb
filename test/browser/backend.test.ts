/** The browser suite really runs in Chromium, on the WebCrypto backend, with no Node globals to lean on. */
import { describe, expect, it } from 'vitest'
import { defaultBackend } from '../../src/aead/default.js'

describe('environment', () => {
  it('is a real Chromium page without Node globals', () => {
    expect(navigator.userAgent).toMatch(/Chrome\//)
    expect(typeof document).toBe('object')
    expect((globalThis as { process?: unknown }).process).toBeUndefined()
    expect((globalThis as { Buffer?: unknown }).Buffer).toBeUndefined()
  })

  it('selects the WebCrypto backend by default', () => {
    expect(defaultBackend().name).toBe('webcrypto')
    expect(typeof crypto.subtle.importKey).toBe('function')
  })
})
