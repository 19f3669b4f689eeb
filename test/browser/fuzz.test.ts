/**
 * A short fuzz run in Chromium: the same mutations and oracle as test/fuzz (every changed stream refused with an
 * ArrowSealError, in time, without an allocation beyond the reader's limits), on the WebCrypto backend, before
 * and after authentication.
 */
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { defaultBackend } from '../../src/aead/default.js'
import {
  installAllocationGuard,
  largestAllocation,
  removeAllocationGuard,
  resetAllocationRecord,
} from '../fuzz/alloc-guard.js'
import { openOptions, type SeedStream, seedStreams } from '../fuzz/corpus.js'
import { allocationBound, deliveryArb, randomMutationProperty, run } from '../fuzz/mutate.js'
import { plainMutationArb, reseal, resealable } from '../fuzz/reseal.js'

let seeds: SeedStream[]
const bound = allocationBound(openOptions)

beforeAll(async () => {
  seeds = await seedStreams()
  installAllocationGuard()
})
afterAll(removeAllocationGuard)

describe('fuzz in the browser', () => {
  it('refuses random mutations of sealed streams', async () => {
    expect(defaultBackend().name).toBe('webcrypto')
    await fc.assert(
      randomMutationProperty(seeds, openOptions, 3, () => {
        expect(largestAllocation()).toBeLessThanOrEqual(bound)
      }),
      { numRuns: 150, seed: 0xb0 },
    )
  })

  it('refuses malformed plaintexts that get past authentication', async () => {
    for (const compression of ['none', 'deflate'] as const) {
      const s = await resealable(compression)
      let arrowInvalid = 0
      await fc.assert(
        fc.asyncProperty(
          fc.array(plainMutationArb(s.plains[0]!.length), { minLength: 1, maxLength: 3 }),
          deliveryArb,
          async (mutations, delivery) => {
            resetAllocationRecord()
            const out = await run(reseal(s, mutations, compression === 'deflate'), openOptions, delivery)
            if ('refused' in out && out.refused === 'ARROW_INVALID') arrowInvalid++
            expect(largestAllocation()).toBeLessThanOrEqual(bound)
          },
        ),
        { numRuns: 50, seed: 0xb1 },
      )
      expect(arrowInvalid).toBeGreaterThan(0)
    }
  })
})
