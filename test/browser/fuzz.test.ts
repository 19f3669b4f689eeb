/**
 * A short fuzz run in Chromium: the same mutations and oracle as test/fuzz (every changed stream refused with an
 * ArrowSealError, in time, without an allocation beyond the reader's limits), on the WebCrypto backend, before
 * and after authentication.
 */
import { describe, expect, it } from 'vitest'
import { defaultBackend } from '../../src/aead/default.js'
import { assertMutationsRefused, resealedMutationCodes, useSeedStreams } from '../fuzz/harness.js'
import { resealable } from '../fuzz/reseal.js'

const seeds = useSeedStreams()

describe('fuzz in the browser', () => {
  it('refuses random mutations of sealed streams', async () => {
    expect(defaultBackend().name).toBe('webcrypto')
    await assertMutationsRefused(seeds(), { numRuns: 150, seed: 0xb0 })
  })

  it('refuses malformed plaintexts that get past authentication', async () => {
    for (const compression of ['none', 'deflate'] as const) {
      const s = await resealable(compression)
      const seen = await resealedMutationCodes(s, compression, { numRuns: 50, seed: 0xb1 })
      expect(seen.get('ARROW_INVALID') ?? 0).toBeGreaterThan(0)
    }
  })
})
