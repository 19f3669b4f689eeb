/**
 * What stops two threads from paying on uncompressed 64k streams (issue 12)? Runs stream seal and stream open of
 * the 64k fixture with no workers and with a shared pool of two, and reads each thread's CPU time from
 * `/proc/self/task/<tid>/stat` (Linux), so the calling thread's share, which no worker can take, is measured
 * apart from the workers'. On a busy host wall time says little; the per-thread CPU says what two free cores
 * could give: the work on the calling thread is the floor of the wall time, and all the work over two cores is
 * the other bound.
 *
 *   npx tsx bench/threads.ts [--rounds N] [--rows N]
 *
 * @module
 */
import { readdirSync, readFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { loadApi } from './api.js'
import { makeParties, openOptions, sealOptions, streamOf } from './arrowseal-cases.js'
import { mixedTable } from './fixtures.js'

/** Clock ticks per second of /proc stat times (USER_HZ, 100 on Linux x86-64). */
const HZ = 100

/** CPU ms (user + system) of every thread of this process, by thread id. */
function threadTimes(): Map<number, number> {
  const out = new Map<number, number>()
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8')
      // Fields after the command name (which may hold spaces), 1-based from field 3: utime is 14, stime 15.
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      out.set(Number(tid), ((Number(rest[11]) + Number(rest[12])) * 1000) / HZ)
    } catch {
      // A thread that ended between the listing and the read.
    }
  }
  return out
}

interface Sample {
  wall: number
  main: number
  others: number
}

async function measure(run: () => Promise<unknown>, rounds: number): Promise<Sample> {
  await run()
  const samples: Sample[] = []
  for (let i = 0; i < rounds; i++) {
    const before = threadTimes()
    const t0 = performance.now()
    await run()
    const wall = performance.now() - t0
    const after = threadTimes()
    let main = 0
    let others = 0
    for (const [tid, ms] of after) {
      const d = ms - (before.get(tid) ?? 0)
      if (tid === process.pid) main += d
      else others += d
    }
    samples.push({ wall, main, others })
  }
  const med = (f: (s: Sample) => number) => samples.map(f).sort((a, b) => a - b)[samples.length >> 1]!
  return { wall: med((s) => s.wall), main: med((s) => s.main), others: med((s) => s.others) }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2)
  const opt = (name: string, fallback: number) => {
    const at = argv.indexOf(name)
    return at >= 0 ? Number(argv[at + 1]) : fallback
  }
  const rounds = opt('--rounds', 5)
  const rows = opt('--rows', 1_000_000)
  const api = await loadApi(false)
  if (typeof api === 'string') throw new Error(api)
  if (!api.WorkerPool) throw new Error('no WorkerPool in this build')
  const backend = api.backends.node?.()
  const parties = await makeParties(api)
  const table = mixedTable(rows, 65_536)
  const pool = await api.WorkerPool.start(2)
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
  console.log(`threads: ${rows} rows in 64k-row batches, ${rounds} rounds, load ${loadavg().map((l) => l.toFixed(1))}`)
  console.log('case                 wall ms   main-thread cpu ms   other threads cpu ms   2-core bound')
  for (const [name, run] of [
    ['stream-seal', seal],
    ['stream-open', open],
  ] as const) {
    const one = await measure(() => run(false), rounds)
    const two = await measure(() => run(true), rounds)
    // One thread's whole CPU time over the larger of: the calling thread's share, half of everything.
    const bound = (one.main + one.others) / Math.max(two.main, (two.main + two.others) / 2)
    const row = (label: string, s: Sample, extra: string) =>
      console.log(
        `${label.padEnd(20)} ${s.wall.toFixed(1).padStart(7)}   ${s.main.toFixed(0).padStart(18)}   ${s.others.toFixed(0).padStart(20)}   ${extra}`,
      )
    row(`${name}`, one, '')
    row(`${name}-workers2`, two, `${bound.toFixed(2)}×`)
  }
  pool.close()
}

main().catch((err: unknown) => {
  console.error(err)
  process.exit(1)
})
