/**
 * What stops two threads from paying on uncompressed 64k streams (issue 12)? Runs stream seal and stream open of
 * the 64k fixture with no workers and with a shared pool of two, and reads each thread's scheduler counters from
 * `/proc/self/task/<tid>/schedstat` (Linux): nanoseconds on a CPU and nanoseconds runnable but waiting on the run
 * queue. Run-queue wait is time a thread wanted a core and had none (machine load, or more busy threads than
 * cores); what is left of the wall time once CPU and wait are taken out is time the thread had nothing to do
 * (waiting for work: a pipeline stall or a serial dependency). That split holds on a loaded host too.
 *
 *   npx tsx bench/threads.ts [--rounds N] [--rows N] [--workers N] [--trace] [--dist]
 *
 * The one-thread and the workers runs alternate, round after round, so both see the same load; "wall ×" is the
 * median of the per-round ratios, and "quiet rounds" keeps only the rounds where other processes used under a
 * tenth of a core ("foreign", from /proc/stat). "cpu-split bound" is the one-thread run's CPU over the larger of
 * the calling thread's CPU and half of all CPU with workers; "2-core ceiling" puts the one-thread WALL time over
 * that same figure: what two free cores could give with the CPU the workers run really takes. The two differ
 * when the one-thread run already keeps more than one core busy (V8's GC helpers: see docs/benchmarks.md).
 * `--workers N` sizes the pool (default 2); `--dist` measures the built package (run `npm run build` first).
 *
 * `--trace` sets ARROWSEAL_POOL_TRACE=1 (src/node/pool-trace.ts) and prints, for the last round of each
 * two-worker case, every job's timeline: when the calling thread dispatched it, what posting it cost, how long it
 * waited for its worker, the worker's run (CPU and run-queue wait), and how late the reply was picked up.
 *
 * @module
 */
import { readdirSync, readFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import type { JobTrace } from '../src/node/pool-trace.js'
import { loadApi } from './api.js'
import { makeParties, openOptions, sealOptions, streamOf } from './arrowseal-cases.js'
import { mixedTable } from './fixtures.js'

interface Sched {
  cpu: number
  wait: number
  slices: number
}

/** Scheduler counters (ns) of every thread of this process, by thread id. */
function threadScheds(): Map<number, Sched> {
  const out = new Map<number, Sched>()
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const [cpu, wait, slices] = readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').trim().split(' ')
      out.set(Number(tid), { cpu: Number(cpu), wait: Number(wait), slices: Number(slices) })
    } catch {
      // A thread that ended between the listing and the read.
    }
  }
  return out
}

/** Busy CPU ms of the whole machine (all cores, /proc/stat: everything but idle and iowait). */
function machineBusy(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number)
  const busy = f.reduce((a, b) => a + b, 0) - f[3]! - f[4]!
  return (busy * 1000) / 100
}

/** One thread's (or group's) share of a run, in ms; idle is the wall time it was neither on a CPU nor queued. */
interface Share {
  cpu: number
  wait: number
  slices: number
}

interface Sample {
  wall: number
  /** Every other thread's share, by thread id (printed with --trace). */
  rest: Map<number, Share>
  /** CPU ms other processes used during the run (machine busy minus this process): cores that were not free. */
  foreign: number
  main: Share
  workers: Share[]
  others: Share
}

const zero = (): Share => ({ cpu: 0, wait: 0, slices: 0 })

function add(to: Share, a: Sched, b: Sched | undefined): void {
  to.cpu += (a.cpu - (b?.cpu ?? 0)) / 1e6
  to.wait += (a.wait - (b?.wait ?? 0)) / 1e6
  to.slices += a.slices - (b?.slices ?? 0)
}

const poolTrace = (): JobTrace[] => {
  const key = Symbol.for('arrowseal.poolTrace')
  const g = globalThis as { [key]?: JobTrace[] }
  g[key] ??= []
  return g[key]
}

/** The pool's worker threads, learnt from traced jobs (or, untraced, the two busiest threads besides main). */
function workerTids(after: Map<number, Sched>, before: Map<number, Sched>, known: number[], size: number): number[] {
  if (known.length > 0) return known
  return [...after.entries()]
    .filter(([tid]) => tid !== process.pid)
    .map(([tid, s]) => [tid, s.cpu - (before.get(tid)?.cpu ?? 0)] as const)
    .sort((a, b) => b[1] - a[1])
    .slice(0, size)
    .map(([tid]) => tid)
}

/** One run of `run`, with every thread's share of it. */
async function once(
  run: () => Promise<unknown>,
  size: number,
): Promise<{ sample: Sample; jobs: JobTrace[]; start: number }> {
  const trace = poolTrace()
  trace.length = 0
  const before = threadScheds()
  const busy0 = machineBusy()
  const start = performance.timeOrigin + performance.now()
  const t0 = performance.now()
  await run()
  const wall = performance.now() - t0
  const busy = machineBusy() - busy0
  const after = threadScheds()
  const jobs = trace.splice(0)
  const known = [...new Set(jobs.map((j) => j.times?.tid ?? 0).filter((t) => t > 0))].sort()
  const tids = size > 0 ? workerTids(after, before, known, size) : []
  const sample: Sample = { wall, rest: new Map(), foreign: 0, main: zero(), workers: tids.map(zero), others: zero() }
  for (const [tid, s] of after) {
    const at = tids.indexOf(tid)
    add(tid === process.pid ? sample.main : at >= 0 ? sample.workers[at]! : sample.others, s, before.get(tid))
    if (tid !== process.pid && at < 0) {
      const r = zero()
      add(r, s, before.get(tid))
      if (r.cpu > 0.5) sample.rest.set(tid, r)
    }
  }
  const own = sample.main.cpu + sample.workers.reduce((a, w) => a + w.cpu, 0) + sample.others.cpu
  sample.foreign = Math.max(0, busy - own)
  return { sample, jobs, start }
}

interface Paired {
  one: Sample
  two: Sample
  jobs: JobTrace[]
  start: number
  /** Median over rounds of one-thread wall / workers wall, each pair run back to back. */
  ratio: number
  /** Rounds where other processes used under a tenth of a core during both runs, and their median ratio. */
  clean: number
  cleanRatio: number
}

/**
 * The one-thread and the workers run in turn, round after round, so that both see the same load; the ratio is
 * taken per round. The samples shown are each case's median-wall round, whole (its shares belong together).
 */
async function measure(
  one: () => Promise<unknown>,
  two: () => Promise<unknown>,
  rounds: number,
  size: number,
): Promise<Paired> {
  await one()
  await two()
  const ones: Sample[] = []
  const twos: { sample: Sample; jobs: JobTrace[]; start: number }[] = []
  for (let i = 0; i < rounds; i++) {
    ones.push((await once(one, 0)).sample)
    twos.push(await once(two, size))
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] ?? Number.NaN
  const ratios = ones.map((o, i) => o.wall / twos[i]!.sample.wall)
  const quiet = (s: Sample) => s.foreign < 0.1 * s.wall
  const clean = ratios.filter((_, i) => quiet(ones[i]!) && quiet(twos[i]!.sample))
  const byWall = <T>(xs: T[], wall: (x: T) => number) => [...xs].sort((a, b) => wall(a) - wall(b))[xs.length >> 1]!
  const mid = byWall(twos, (t) => t.sample.wall)
  return {
    one: byWall(ones, (s) => s.wall),
    two: mid.sample,
    jobs: mid.jobs,
    start: mid.start,
    ratio: median(ratios),
    clean: clean.length,
    cleanRatio: median(clean),
  }
}

const f = (n: number, w = 6) => n.toFixed(1).padStart(w)

function printJobs(jobs: JobTrace[], start: number): void {
  console.log(
    '    job worker   MB  entered  copy  post  queued   run (cpu / rq wait)   reply  ← ms; entered from run start',
  )
  // In the order the stream handed them over (the trace records them as replies come back).
  const ordered = [...jobs].sort((a, b) => a.entered - b.entered)
  ordered.forEach((j, n) => {
    const t = j.times
    const queued = t ? t.got - j.posted : Number.NaN
    const run = t ? t.done - t.got : Number.NaN
    const cpu = t?.before && t.after ? (t.after.cpu - t.before.cpu) / 1e6 : Number.NaN
    const rq = t?.before && t.after ? (t.after.wait - t.before.wait) / 1e6 : Number.NaN
    const reply = t ? j.back - t.done : Number.NaN
    console.log(
      `    ${String(n).padStart(3)} ${String(j.worker).padStart(6)} ${(j.bytes / 1e6).toFixed(1).padStart(4)} ${f(j.entered - start, 8)} ${f(j.dispatch - j.entered, 5)} ${f(j.posted - j.dispatch, 5)} ${f(queued, 7)} ${f(run, 7)} (${f(cpu, 5)} / ${f(rq, 5)}) ${f(reply, 7)}`,
    )
  })
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2)
  const opt = (name: string, fallback: number) => {
    const at = argv.indexOf(name)
    return at >= 0 ? Number(argv[at + 1]) : fallback
  }
  const rounds = opt('--rounds', 5)
  const rows = opt('--rows', 1_000_000)
  const size = opt('--workers', 2)
  const trace = argv.includes('--trace')
  // Before the API loads: pool-trace.ts reads it once.
  if (trace) process.env.ARROWSEAL_POOL_TRACE = '1'
  const api = await loadApi(argv.includes('--dist'))
  if (typeof api === 'string') throw new Error(api)
  if (!api.WorkerPool) throw new Error('no WorkerPool in this build')
  const backend = api.backends.node?.()
  const parties = await makeParties(api)
  const table = mixedTable(rows, 65_536)
  const pool = await api.WorkerPool.start(size)
  const seal = async (workers: boolean) => {
    const out: Uint8Array[] = []
    await streamOf(table.batches)
      .pipeThrough(new api.SealStream({ ...sealOptions(parties, backend), ...(workers ? { workers: pool } : {}) }))
      .pipeTo(new WritableStream({ write: (c) => void out.push(c) }))
    return out
  }
  const sealed = await seal(false)
  const reads: Uint8Array[] = []
  for (const c of sealed) for (let i = 0; i < c.length; i += 65536) reads.push(c.subarray(i, i + 65536))
  const open = (workers: boolean) =>
    streamOf(reads)
      .pipeThrough(new api.OpenStream({ ...openOptions(parties, backend), ...(workers ? { workers: pool } : {}) }))
      .pipeTo(new WritableStream({ write: () => undefined }))
  console.log(
    `threads: ${rows} rows in 64k-row batches, ${rounds} rounds (median), Node ${process.versions.node}, load ${loadavg().map((l) => l.toFixed(1))}`,
  )
  console.log(
    'ms per run: cpu / run-queue wait / idle (wall - cpu - wait) of each thread; "others" are V8 and libuv helpers;',
  )
  console.log('"foreign" is CPU other processes used meanwhile (10 ms ticks, all cores)')
  console.log(
    'case                     wall foreign   main:  cpu   wait   idle   others: cpu  wait   workers: cpu / wait / idle',
  )
  const share = (s: Share, wall: number) => `${f(s.cpu)} ${f(s.wait)} ${f(wall - s.cpu - s.wait)}`
  for (const [name, run] of [
    ['stream-seal', seal],
    ['stream-open', open],
  ] as const) {
    const m = await measure(
      () => run(false),
      () => run(true),
      rounds,
      size,
    )
    const one = { sample: m.one }
    const two = { sample: m.two, jobs: m.jobs, start: m.start }
    // One thread's whole CPU time over the larger of: the calling thread's share, half of everything.
    const total = (s: Sample) => s.main.cpu + s.workers.reduce((a, w) => a + w.cpu, 0) + s.others.cpu
    const bound = total(one.sample) / Math.max(two.sample.main.cpu, total(two.sample) / 2)
    // What 2 cores can give at most with the CPU the runs really took: one thread's wall time over the time two
    // cores need for all the work of the run with workers (GC helpers included).
    const ceiling = one.sample.wall / Math.max(two.sample.main.cpu, total(two.sample) / 2)
    const row = (label: string, s: Sample, extra: string) => {
      const w = s.workers.map((x, i) => `w${i}: ${share(x, s.wall)}`).join('   ')
      console.log(
        `${label.padEnd(21)} ${f(s.wall, 7)} ${f(s.foreign, 7)}   ${share(s.main, s.wall)}   ${f(s.others.cpu, 6)} ${f(s.others.wait)}   ${w.padEnd(48)} ${extra}`,
      )
    }
    row(name, one.sample, '')
    row(
      `${name}-workers${size}`,
      two.sample,
      `wall ${m.ratio.toFixed(2)}× (quiet rounds ${m.clean}/${rounds}: ${m.cleanRatio.toFixed(2)}×), cpu-split bound ${bound.toFixed(2)}×, 2-core ceiling ${ceiling.toFixed(2)}×`,
    )
    if (trace) {
      for (const s of [one.sample, two.sample])
        console.log(
          `    other threads (tid - pid: cpu / rq wait ms): ${[...s.rest].map(([t, r]) => `${t - process.pid}: ${r.cpu.toFixed(1)} / ${r.wait.toFixed(1)}`).join(', ')}`,
        )
      printJobs(two.jobs, two.start)
    }
  }
  pool.close()
}

main().catch((err: unknown) => {
  console.error(err)
  process.exit(1)
})
