/**
 * Measures the `workers` option: seal and open of the bench's mixed table through the Node entry's
 * SealStream/OpenStream, single-threaded vs on a shared WorkerPool (started once, its start-up time printed
 * separately), interleaved rounds, median.
 *
 * Run: `npx tsx test/perf/parallel.ts [rows] [batchRows] [workers] [rounds]`; set ARROWSEAL_DIST to a build
 * directory (with `node/worker.js`) to measure built code.
 * (default 1,048,576 rows in 65,536-row batches, 2 workers, 5 rounds).
 */
import type { RecordBatch } from 'apache-arrow'
import { mixedBatches, POLICY, ROLES } from '../../bench/fixtures.js'
import type * as Api from '../../src/index.node.js'

// ARROWSEAL_DIST=<dir> measures a build (plain JS workers) instead of the sources (workers start through tsx).
const entry = process.env.ARROWSEAL_DIST ? `${process.env.ARROWSEAL_DIST}/index.node.js` : '../../src/index.node.js'
const { generateIdentity, OpenStream, SealStream, WorkerPool } = (await import(entry)) as typeof Api

const [rows = 1 << 20, batchRows = 1 << 16, workers = 2, rounds = 5] = process.argv.slice(2).map(Number)
const writer = await generateIdentity()
const readers = await Promise.all(ROLES.map(() => generateIdentity()))
const recipients: Record<string, string[]> = {}
for (const [i, r] of ROLES.entries()) recipients[r] = [readers[i]!.publicKey]
const batches = [...mixedBatches(rows, batchRows)]
const sealOpts = { signer: writer, recipients, policy: POLICY }
const openOpts = { identity: readers[1]!, trustedSigners: [writer.publicKey] }

function source<T>(items: readonly T[]): ReadableStream<T> {
  let i = 0
  return new ReadableStream<T>({
    pull(c) {
      if (i < items.length) c.enqueue(items[i++]!)
      else c.close()
    },
  })
}

async function drain<T>(s: ReadableStream<T>): Promise<T[]> {
  const out: T[] = []
  const r = s.getReader()
  for (;;) {
    const { done, value } = await r.read()
    if (done) return out
    out.push(value)
  }
}

const t0 = performance.now()
const pool = await WorkerPool.start(workers)
const poolStart = performance.now() - t0
const use = (n: number) => (n > 0 ? pool : 0)
const seal = async (n: number) =>
  drain(source<RecordBatch>(batches).pipeThrough(new SealStream({ ...sealOpts, workers: use(n) })))
const open = async (chunks: Uint8Array[], n: number) =>
  drain(source(chunks).pipeThrough(new OpenStream({ ...openOpts, workers: use(n) })))

const sealed = await seal(0)
const bytes = sealed.reduce((n, c) => n + c.length, 0)
const times: Record<string, number[]> = {
  'seal/1': [],
  [`seal/${workers}w`]: [],
  'open/1': [],
  [`open/${workers}w`]: [],
}
await seal(workers) // warm both paths
await open(sealed, workers)
for (let r = 0; r < rounds; r++) {
  for (const n of [0, workers]) {
    let t = performance.now()
    await seal(n)
    times[n ? `seal/${workers}w` : 'seal/1']!.push(performance.now() - t)
    t = performance.now()
    const out = await open(sealed, n)
    times[n ? `open/${workers}w` : 'open/1']!.push(performance.now() - t)
    if (out.reduce((k, b) => k + b.numRows, 0) !== rows) throw new Error('row count')
  }
}
const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!
console.log(
  `${rows} rows in ${batchRows}-row batches, ${(bytes / 1e6).toFixed(1)} MB sealed, ${workers} workers (pool start ${poolStart.toFixed(0)} ms)`,
)
for (const [k, v] of Object.entries(times))
  console.log(
    `${k.padEnd(10)} median ${median(v).toFixed(1).padStart(8)} ms  ${(bytes / 1e6 / (median(v) / 1e3)).toFixed(0).padStart(5)} MB/s  (min ${Math.min(...v).toFixed(1)})`,
  )
pool.close()
