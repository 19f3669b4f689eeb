/**
 * What the fuzz suites share, in Node (test/fuzz) and in Chromium (test/browser): the seed streams and the
 * allocation guard around a test file, and the two properties both run, each case refused with an ArrowSealError
 * (or, past authentication, accepted) without an allocation beyond the reader's limits. Web APIs only.
 */
import fc from 'fast-check'
import { afterAll, beforeAll, expect } from 'vitest'
import {
  installAllocationGuard,
  largestAllocation,
  largestAllocationStack,
  removeAllocationGuard,
  resetAllocationRecord,
} from './alloc-guard.js'
import { openOptions, type SeedStream, seedStreams } from './corpus.js'
import { allocationBound, deliveryArb, randomMutationProperty, run } from './mutate.js'
import { plainMutationArb, type ResealableStream, reseal } from './reseal.js'

/** The most the reader may allocate for one case: what its options allow. */
export const bound = allocationBound(openOptions)

/**
 * For the calling test file: builds the seed streams and installs the allocation guard before its tests, and
 * removes the guard after them. Returns the seed streams (read them inside a test).
 */
export function useSeedStreams(): () => SeedStream[] {
  let seeds: SeedStream[] | undefined
  beforeAll(async () => {
    seeds = await seedStreams()
    installAllocationGuard()
  })
  afterAll(removeAllocationGuard)
  return () => {
    if (!seeds) throw new Error('the seed streams are built in beforeAll: read them inside a test')
    return seeds
  }
}

/** fast-check's random mutations of the seed streams (up to 3 a case): every changed stream refused, in bound. */
export function assertMutationsRefused(seeds: readonly SeedStream[], params: { numRuns: number; seed: number }) {
  return fc.assert(
    randomMutationProperty(seeds, openOptions, 3, () => {
      expect(largestAllocation()).toBeLessThanOrEqual(bound)
    }),
    params,
  )
}

/**
 * Malformed unit plaintexts of `s` (up to 3 mutations a case), re-sealed and re-MACed with the writer's keys and
 * opened whole or streamed, each within the bound. A mutation may leave the batch valid, so acceptance is allowed;
 * returns how many cases each error code refused.
 */
export async function resealedMutationCodes(
  s: ResealableStream,
  compression: 'none' | 'deflate',
  params: { numRuns: number; seed: number },
): Promise<Map<string, number>> {
  const seen = new Map<string, number>()
  await fc.assert(
    fc.asyncProperty(
      fc.array(plainMutationArb(s.plains[0]!.length), { minLength: 1, maxLength: 3 }),
      deliveryArb,
      async (mutations, delivery) => {
        const bytes = reseal(s, mutations, compression === 'deflate')
        resetAllocationRecord()
        const out = await run(bytes, openOptions, delivery)
        if ('refused' in out) seen.set(out.refused, (seen.get(out.refused) ?? 0) + 1)
        if (largestAllocation() > bound)
          throw new Error(`allocated ${largestAllocation()} bytes: ${largestAllocationStack()}`)
      },
    ),
    params,
  )
  return seen
}
