/**
 * Mutations of sealed streams as fast-check arbitraries, and the oracle every mutated stream must satisfy:
 * refused with an ArrowSealError (never another exception), within a time bound, without allocating more than
 * the reader's documented limits allow.
 */
import fc from 'fast-check'
import { ArrowSealError } from '../../src/errors.js'
import { HARD_LIMITS } from '../../src/format/constants.js'
import type { OpenOptions } from '../../src/seal/options.js'
import { openTable } from '../../src/table.js'
import { join, openStreamed, splitStream } from '../helpers/streams.js'
import { resetAllocationRecord } from './alloc-guard.js'
import { foreignMacRanges, type IntField, intFields, setField } from './fields.js'

/** One mutation, as data: printable in fast-check counterexamples. */
export type Mutation =
  | { readonly op: 'flip'; readonly bit: number }
  | { readonly op: 'truncate'; readonly at: number }
  | { readonly op: 'insert'; readonly at: number; readonly bytes: readonly number[] }
  | { readonly op: 'delete'; readonly at: number; readonly n: number }
  | { readonly op: 'overwrite'; readonly at: number; readonly bytes: readonly number[] }
  | { readonly op: 'swap'; readonly i: number; readonly j: number }
  | { readonly op: 'duplicate'; readonly i: number; readonly j: number }
  | { readonly op: 'drop'; readonly i: number }
  | { readonly op: 'field'; readonly field: number; readonly value: number }

/** Applies one mutation. Positions are taken modulo the current length, so any mutation applies to any stream. */
export function apply(stream: Uint8Array, m: Mutation, fields: readonly IntField[]): Uint8Array {
  const n = stream.length
  switch (m.op) {
    case 'flip': {
      const out = stream.slice()
      const bit = m.bit % (n * 8)
      out[bit >> 3]! ^= 1 << (bit & 7)
      return out
    }
    case 'truncate':
      return stream.slice(0, m.at % n)
    case 'insert': {
      const at = m.at % (n + 1)
      return join(stream.subarray(0, at), Uint8Array.from(m.bytes), stream.subarray(at))
    }
    case 'delete': {
      const at = m.at % n
      return join(stream.subarray(0, at), stream.subarray(Math.min(n, at + m.n)))
    }
    case 'overwrite': {
      const out = stream.slice()
      const at = m.at % n
      out.set(Uint8Array.from(m.bytes).subarray(0, n - at), at)
      return out
    }
    case 'swap':
    case 'duplicate':
    case 'drop': {
      const { header, frames } = splitFramesLoosely(stream)
      if (frames.length === 0) return stream
      const i = m.i % frames.length
      const list = [...frames]
      if (m.op === 'drop') list.splice(i, 1)
      else {
        const j = m.j % frames.length
        if (m.op === 'swap') [list[i], list[j]] = [list[j]!, list[i]!]
        else list.splice(j, 0, frames[i]!)
      }
      return join(header, ...list)
    }
    case 'field': {
      const f = fields[m.field % fields.length]!
      if (f.offset + f.size > n) return stream
      return setField(stream, f, f.values[m.value % f.values.length]!)
    }
  }
}

/** splitStream, but returns the stream whole if an earlier mutation broke its framing. */
function splitFramesLoosely(stream: Uint8Array): { header: Uint8Array; frames: Uint8Array[] } {
  try {
    const s = splitStream(stream)
    const total = s.header.length + s.frames.reduce((k, f) => k + f.length, 0)
    if (total === stream.length && s.frames.every((f) => f.length >= 4)) return s
  } catch {
    // Not splittable: fall through.
  }
  return { header: stream, frames: [] }
}

const byte = fc.integer({ min: 0, max: 255 })
const pos = fc.nat({ max: 1 << 20 })

/** Any single mutation. `fieldCount` is the number of integer fields of the stream being mutated. */
export function mutationArb(fieldCount: number): fc.Arbitrary<Mutation> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.record({ op: fc.constant('flip' as const), bit: fc.nat({ max: 1 << 23 }) }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('truncate' as const), at: pos }) },
    {
      weight: 2,
      arbitrary: fc.record({
        op: fc.constant('insert' as const),
        at: pos,
        bytes: fc.array(byte, { minLength: 1, maxLength: 16 }),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({ op: fc.constant('delete' as const), at: pos, n: fc.integer({ min: 1, max: 64 }) }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        op: fc.constant('overwrite' as const),
        at: pos,
        bytes: fc.array(byte, { minLength: 1, maxLength: 8 }),
      }),
    },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('swap' as const), i: fc.nat(7), j: fc.nat(7) }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('duplicate' as const), i: fc.nat(7), j: fc.nat(7) }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('drop' as const), i: fc.nat(7) }) },
    {
      weight: 4,
      arbitrary: fc.record({
        op: fc.constant('field' as const),
        field: fc.nat(Math.max(0, fieldCount - 1)),
        value: fc.nat(15),
      }),
    },
  )
}

/** How the mutated bytes reach the reader: whole, or through OpenStream in chunks of `chunk` bytes. */
export type Delivery = { readonly mode: 'whole' } | { readonly mode: 'streamed'; readonly chunk: number }

export const deliveryArb: fc.Arbitrary<Delivery> = fc.oneof(
  fc.constant({ mode: 'whole' as const }),
  fc.record({ mode: fc.constant('streamed' as const), chunk: fc.integer({ min: 1, max: 4096 }) }),
)

/** The bound on any one allocation: the reader's frame limit, or a whole header at its hard limit. */
export function allocationBound(options: OpenOptions): number {
  return Math.max(options.maxFrameBytes ?? HARD_LIMITS.maxFrameBytes, HARD_LIMITS.maxHeaderBytes + 16 * 1024) + 4
}

/** Result of running one input: refused with a code, or accepted (only ever legal for the unmodified stream). */
export type Outcome = { readonly refused: string } | { readonly accepted: true }

/** Time bound for one case: generous for slow CI machines, far below anything that looks like a hang. */
export const CASE_TIME_LIMIT_MS = 10_000

/**
 * Opens `bytes` and classifies the result. Throws (failing the property) on any exception that is not an
 * ArrowSealError, or when the case takes longer than {@link CASE_TIME_LIMIT_MS}.
 */
export async function run(bytes: Uint8Array, options: OpenOptions, delivery: Delivery): Promise<Outcome> {
  const started = performance.now()
  let timer: ReturnType<typeof setTimeout> | undefined
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no result within ${CASE_TIME_LIMIT_MS} ms`)), CASE_TIME_LIMIT_MS)
  })
  try {
    const work = delivery.mode === 'whole' ? openTable(bytes, options) : openStreamed(bytes, options, delivery.chunk)
    await Promise.race([work, hang])
    return { accepted: true }
  } catch (e) {
    if (e instanceof ArrowSealError) return { refused: e.code }
    const what = e instanceof Error ? `${e.name}: ${e.message}` : String(e)
    throw new Error(`not an ArrowSealError (${what}) after ${Math.round(performance.now() - started)} ms`, {
      cause: e,
    })
  } finally {
    clearTimeout(timer)
  }
}

/** True when two byte arrays are equal (a mutation may be a no-op, e.g. swapping a frame with itself). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** True when `a` and `b` have one length and differ only inside the given byte ranges. */
export function sameOutside(a: Uint8Array, b: Uint8Array, ranges: readonly (readonly [number, number])[]): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i] && !ranges.some(([s, e]) => i >= s && i < e)) return false
  }
  return true
}

/**
 * Asserts the oracle for one mutated stream: refused, unless it equals the original outside `ignorable` (the
 * other recipients' MAC slots, which this reader does not check by design; see foreignMacRanges).
 */
export async function checkMutant(
  original: Uint8Array,
  mutated: Uint8Array,
  options: OpenOptions,
  delivery: Delivery,
  ignorable: readonly (readonly [number, number])[] = [],
): Promise<Outcome> {
  const outcome = await run(mutated, options, delivery)
  if ('accepted' in outcome && !sameOutside(original, mutated, ignorable))
    throw new Error(`a changed stream (${mutated.length} bytes) was accepted`)
  return outcome
}

/**
 * The random-mutation property that the CI fuzz, the browser fuzz and `npm run fuzz` all run: pick a seed
 * stream, apply 1 to `maxMutations` mutations, deliver it whole or in chunks, and require the oracle of
 * {@link checkMutant}. `afterCase` runs after each case with its mutations (allocation checks, progress).
 */
export function randomMutationProperty(
  seeds: readonly { readonly bytes: Uint8Array }[],
  options: OpenOptions,
  maxMutations: number,
  afterCase: (mutations: readonly Mutation[]) => void,
) {
  const fieldsOf = seeds.map((s) => intFields(s.bytes))
  const foreign = seeds.map((s) => foreignMacRanges(s.bytes, options.identity.fingerprint))
  const maxFields = Math.max(...fieldsOf.map((f) => f.length))
  return fc.asyncProperty(
    fc.nat(seeds.length - 1),
    fc.array(mutationArb(maxFields), { minLength: 1, maxLength: maxMutations }),
    deliveryArb,
    async (which, mutations, delivery) => {
      const original = seeds[which]!.bytes
      let bytes = original
      for (const m of mutations) bytes = apply(bytes, m, fieldsOf[which]!)
      resetAllocationRecord()
      await checkMutant(original, bytes, options, delivery, foreign[which])
      afterCase(mutations)
    },
  )
}

export { intFields }
