/**
 * Short fuzz run for CI (property 9 and the "hostile input" list): fast-check mutations of sealed seed
 * streams, and every integer field of a stream set to 0, 1, its limit, limit + 1 and its maximum. Every case must
 * be refused with an ArrowSealError, within a time bound, with no allocation beyond the reader's limits.
 * `npm run fuzz -- --runs N --seed S` runs the same properties for longer; `--header-bits` flips every header bit.
 */
import { describe, expect, it } from 'vitest'
import { openTable } from '../../src/table.js'
import { propertyRuns } from '../helpers/property-runs.js'
import { largestAllocation, resetAllocationRecord } from './alloc-guard.js'
import { openOptions } from './corpus.js'
import { foreignMacRanges, intFields, setField } from './fields.js'
import { assertMutationsRefused, bound, resealedMutationCodes, useSeedStreams } from './harness.js'
import { checkMutant, run, sameBytes } from './mutate.js'
import { reseal, resealable } from './reseal.js'

const seeds = useSeedStreams()

describe('fuzz (short CI run)', () => {
  it('every seed stream opens unmodified, whole and streamed', async () => {
    for (const s of seeds()) {
      expect(await run(s.bytes, openOptions, { mode: 'whole' })).toEqual({ accepted: true })
      expect(await run(s.bytes, openOptions, { mode: 'streamed', chunk: 97 })).toEqual({ accepted: true })
    }
  })

  it('refuses random mutations (bit flips, truncations, insertions, frame swaps, boundary fields)', async () => {
    await assertMutationsRefused(seeds(), { numRuns: propertyRuns(300), seed: 0x5eed })
  }, 60_000)

  it('refuses every integer field at 0, 1, limit − 1, limit, limit + 1 and its maximum', async () => {
    const original = seeds()[0]!.bytes
    const fields = intFields(original)
    // Every field kind is present: header, group, stanza, frame and unit fields.
    for (const name of ['body_length', 'group_count', 'schema_length', 'recipient_count', 'payload_length'])
      expect(fields.some((f) => f.name.includes(name))).toBe(true)
    for (const name of ['frame_length', 'index', 'rows', 'unit_count', 'unit 1 length', 'mac_count'])
      expect(fields.some((f) => f.name.startsWith('frame 0') && f.name.includes(name))).toBe(true)
    const codes = new Map<string, number>()
    for (const f of fields) {
      for (const v of f.values) {
        const mutated = setField(original, f, v)
        if (sameBytes(mutated, original)) continue
        resetAllocationRecord()
        const out = await checkMutant(original, mutated, openOptions, { mode: 'streamed', chunk: 4096 })
        if ('refused' in out) codes.set(out.refused, (codes.get(out.refused) ?? 0) + 1)
        if (largestAllocation() > bound) throw new Error(`${f.name} = ${v}: allocated ${largestAllocation()} bytes`)
      }
    }
    // The structural checks, not only the signature and MACs, catch these: limits and truncation both fire.
    for (const code of ['LIMIT_EXCEEDED', 'TRUNCATED', 'FORMAT_INVALID', 'SIGNATURE_INVALID', 'AUTH_FAILED'])
      expect(codes.get(code) ?? 0, code).toBeGreaterThan(0)
  }, 60_000)

  it('the oracle can fail: an accepted changed stream, or a foreign exception, is reported', async () => {
    const original = seeds()[0]!.bytes
    // A mutation that changes nothing is accepted, and must be: the oracle only flags changed streams.
    await checkMutant(original, original.slice(), openOptions, { mode: 'whole' })
    await expect(checkMutant(new Uint8Array(1), original, openOptions, { mode: 'whole' })).rejects.toThrow(
      /was accepted/,
    )
    // Another recipient's MAC is not this reader's to check: a change there alone is accepted, and allowed.
    const foreign = foreignMacRanges(original, openOptions.identity.fingerprint)
    expect(foreign.length).toBeGreaterThan(0)
    const theirs = original.slice()
    theirs[foreign[0]![0]]! ^= 1
    await checkMutant(original, theirs, openOptions, { mode: 'whole' }, foreign)
    await expect(checkMutant(original, theirs, openOptions, { mode: 'whole' })).rejects.toThrow(/was accepted/)
    const badOptions = { ...openOptions, trustedSigners: [] }
    await expect(run(original, badOptions, { mode: 'whole' })).rejects.toThrow(/not an ArrowSealError \(TypeError/)
    // And the allocation guard sees allocations made while it is installed.
    resetAllocationRecord()
    void new Uint8Array(bound + 1)
    expect(largestAllocation()).toBe(bound + 1)
    await expect(openTable(original, openOptions)).resolves.toBeDefined()
  })
})

describe('fuzz past authentication (hostile writer)', () => {
  it('refuses re-sealed, re-MACed malformed unit plaintexts with an ArrowSealError', async () => {
    for (const compression of ['none', 'deflate'] as const) {
      const s = await resealable(compression)
      // Re-sealing without a mutation gives an accepted stream: the harness really produces authentic frames.
      expect(await run(reseal(s, [], compression === 'deflate'), openOptions, { mode: 'whole' })).toEqual({
        accepted: true,
      })
      // A mutation may leave the batch valid (e.g. a flipped bit in a value): acceptance is allowed here.
      const seen = await resealedMutationCodes(s, compression, { numRuns: 100, seed: 0xa11 })
      // The mutations reach the decoder: Arrow errors, not authentication failures.
      expect(seen.get('ARROW_INVALID') ?? 0).toBeGreaterThan(0)
      expect(seen.get('AUTH_FAILED') ?? 0).toBe(0)
    }
  }, 60_000)
})
