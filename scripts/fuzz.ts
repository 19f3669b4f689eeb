/**
 * Long fuzz runs of the reader: the properties of test/fuzz/fuzz.test.ts with as many runs as you like.
 *
 *   npm run fuzz -- --runs 20000 --seed 42     random mutations of the seed streams (default 2,000 runs)
 *   npm run fuzz -- --header-bits               flip every single bit of the smallest stream's header, one by one
 *   npm run fuzz -- --fields                    every integer field at every boundary value, whole and streamed
 *   npm run fuzz -- --post-auth --runs N        malformed unit plaintexts re-sealed and re-MACed with the
 *                                               writer's keys, so they reach the Arrow decoder and inflater
 *
 * Each case must end in an ArrowSealError within the time bound, without an allocation beyond the reader's
 * limits. On failure it prints the case (and fast-check's seed and path to replay it) and exits 1.
 */
import fc from 'fast-check'
import { installAllocationGuard, largestAllocation, resetAllocationRecord } from '../test/fuzz/alloc-guard.js'
import { openOptions, seedStreams } from '../test/fuzz/corpus.js'
import { intFields, setField } from '../test/fuzz/fields.js'
import {
  allocationBound,
  checkMutant,
  type Delivery,
  deliveryArb,
  randomMutationProperty,
  run,
  sameBytes,
} from '../test/fuzz/mutate.js'
import { plainMutationArb, reseal, resealable } from '../test/fuzz/reseal.js'
import { splitStream } from '../test/helpers/streams.js'

interface Args {
  runs: number
  seed: number
  mode: 'random' | 'header-bits' | 'fields' | 'post-auth'
}

function parseArgs(argv: string[]): Args {
  const args: Args = { runs: 2000, seed: Date.now() % 0x7fff_ffff, mode: 'random' }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    const next = (): number => {
      const v = Number(argv[++i])
      if (!Number.isSafeInteger(v) || v < 0) throw new Error(`${a} needs a non-negative integer`)
      return v
    }
    if (a === '--runs') args.runs = next()
    else if (a === '--seed') args.seed = next()
    else if (a === '--header-bits') args.mode = 'header-bits'
    else if (a === '--fields') args.mode = 'fields'
    else if (a === '--post-auth') args.mode = 'post-auth'
    else if (a === '--help' || a === '-h') {
      console.log('usage: npm run fuzz -- [--runs N] [--seed S] [--header-bits | --fields | --post-auth]')
      process.exit(0)
    } else throw new Error(`unknown argument ${a}`)
  }
  return args
}

const bound = allocationBound(openOptions)

function checkAllocation(what: string): void {
  if (largestAllocation() > bound) throw new Error(`${what}: allocated ${largestAllocation()} bytes (> ${bound})`)
}

function progress(done: number, total: number, started: number): void {
  if (done % 500 !== 0 && done !== total) return
  const s = ((performance.now() - started) / 1000).toFixed(1)
  process.stderr.write(`\r${done}/${total} cases, ${s} s`)
  if (done === total) process.stderr.write('\n')
}

async function randomMode(args: Args): Promise<void> {
  const seeds = await seedStreams()
  let done = 0
  const started = performance.now()
  console.log(`random mutations: ${args.runs} runs, seed ${args.seed}`)
  await fc.assert(
    randomMutationProperty(seeds, openOptions, 4, (mutations) => {
      checkAllocation(JSON.stringify(mutations))
      progress(++done, args.runs, started)
    }),
    { numRuns: args.runs, seed: args.seed, verbose: 1 },
  )
}

async function headerBitsMode(): Promise<void> {
  const seeds = await seedStreams()
  // The smallest seed stream: its header still has every kind of field (groups, stanzas, signature).
  const original = seeds.reduce((a, b) => (b.bytes.length < a.bytes.length ? b : a)).bytes
  const { header } = splitStream(original)
  const total = header.length * 8
  console.log(`header bits: ${total} single-bit flips of a ${header.length}-byte header`)
  const codes = new Map<string, number>()
  const started = performance.now()
  for (let bit = 0; bit < total; bit++) {
    const mutated = original.slice()
    mutated[bit >> 3]! ^= 1 << (bit & 7)
    resetAllocationRecord()
    const out = await checkMutant(original, mutated, openOptions, { mode: 'whole' })
    checkAllocation(`bit ${bit}`)
    if ('refused' in out) codes.set(out.refused, (codes.get(out.refused) ?? 0) + 1)
    progress(bit + 1, total, started)
  }
  console.log(Object.fromEntries(codes))
}

async function fieldsMode(): Promise<void> {
  const seeds = await seedStreams()
  let cases = 0
  const codes = new Map<string, number>()
  for (const s of seeds) {
    for (const f of intFields(s.bytes)) {
      for (const v of f.values) {
        const mutated = setField(s.bytes, f, v)
        if (sameBytes(mutated, s.bytes)) continue
        for (const delivery of [{ mode: 'whole' }, { mode: 'streamed', chunk: 1 }] as Delivery[]) {
          resetAllocationRecord()
          const out = await checkMutant(s.bytes, mutated, openOptions, delivery)
          checkAllocation(`${s.name}: ${f.name} = ${v} (${delivery.mode})`)
          if ('refused' in out) codes.set(out.refused, (codes.get(out.refused) ?? 0) + 1)
          cases++
        }
      }
    }
  }
  console.log(`fields: ${cases} cases`, Object.fromEntries(codes))
}

async function postAuthMode(args: Args): Promise<void> {
  console.log(`post-authentication mutations: ${args.runs} runs per compression mode, seed ${args.seed}`)
  for (const compression of ['none', 'deflate'] as const) {
    const s = await resealable(compression)
    const codes = new Map<string, number>()
    let done = 0
    const started = performance.now()
    await fc.assert(
      fc.asyncProperty(
        fc.array(plainMutationArb(s.plains[0]!.length), { minLength: 1, maxLength: 4 }),
        deliveryArb,
        async (mutations, delivery) => {
          resetAllocationRecord()
          // Acceptance is allowed: a changed value can still be a valid batch. Foreign exceptions are not.
          const out = await run(reseal(s, mutations, compression === 'deflate'), openOptions, delivery)
          checkAllocation(JSON.stringify(mutations))
          if ('refused' in out) codes.set(out.refused, (codes.get(out.refused) ?? 0) + 1)
          progress(++done, args.runs, started)
        },
      ),
      { numRuns: args.runs, seed: args.seed, verbose: 1 },
    )
    console.log(compression, Object.fromEntries(codes))
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2))
  installAllocationGuard()
  if (args.mode === 'header-bits') await headerBitsMode()
  else if (args.mode === 'fields') await fieldsMode()
  else if (args.mode === 'post-auth') await postAuthMode(args)
  else await randomMode(args)
  console.log(
    'ok: every case ended in an ArrowSealError (or, post-auth only, a valid batch), in time, within the allocation bound',
  )
}

main().catch((err: unknown) => {
  // fast-check's message has the seed, path and counterexample; the cause says what went wrong.
  console.error(err instanceof Error ? err.message : err)
  if (err instanceof Error && err.cause instanceof Error) console.error(`cause: ${err.cause.message}`)
  process.exit(1)
})
