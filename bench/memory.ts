/**
 * Peak memory of streaming seal + open (issue 3, item 5).
 *
 *   npx tsx bench/memory.ts [--quick] [--dist]
 *
 * For each input size, a fresh child process pulls 64k-row batches of the mixed fixture, generated on the fly
 * (the whole input never exists at once), through `SealStream` and straight into `OpenStream`, and counts the
 * rows that come out. It samples `process.memoryUsage.rss()` at every batch in and out and on a 10 ms timer, and
 * reports the peak. One process per size keeps one run's heap from inflating the next. A `generate-only` run
 * (same batches, no arrowseal) gives the floor: what producing the batches alone costs.
 *
 * Peak RSS must stay flat as the input grows, and under 300 MB at 1 GB and more. A MISS is reported, not failed.
 *
 * @module
 */
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { type RecordBatch, Table, tableToIPC } from 'apache-arrow'
import { loadApi } from './api.js'
import { makeParties, openOptions, sealOptions } from './arrowseal-cases.js'
import { mixedBatch } from './fixtures.js'
import { machine, writeReport } from './report.js'

const BATCH_ROWS = 65_536
const MB = 1e6

/** Result of one child run. */
interface MemoryRun {
  mode: 'seal+open' | 'generate-only'
  inputBytes: number
  batches: number
  rows: number
  rssBeforeMB: number
  peakRssMB: number
  peakHeapUsedMB: number
  /** Peak of memory held in ArrayBuffers (batch buffers, sealed frames), which RSS includes and the heap does not. */
  peakArrayBuffersMB: number
  seconds: number
  mbps: number
}

/** Plain IPC bytes of one 64k-row batch: the unit input sizes are counted in. */
function batchIpcBytes(): number {
  return tableToIPC(new Table([mixedBatch(0, BATCH_ROWS)]), 'stream').length
}

function source(batches: number): ReadableStream<RecordBatch> {
  let i = 0
  return new ReadableStream<RecordBatch>(
    {
      pull(controller) {
        if (i === batches) return controller.close()
        controller.enqueue(mixedBatch(i * BATCH_ROWS, BATCH_ROWS))
        i++
      },
    },
    { highWaterMark: 1 },
  )
}

async function child(mode: MemoryRun['mode'], batches: number, dist: boolean): Promise<MemoryRun> {
  let peak = 0
  let peakHeap = 0
  let peakBuffers = 0
  const sample = () => {
    const rss = process.memoryUsage.rss()
    if (rss > peak) peak = rss
    const { heapUsed, arrayBuffers } = process.memoryUsage()
    if (heapUsed > peakHeap) peakHeap = heapUsed
    if (arrayBuffers > peakBuffers) peakBuffers = arrayBuffers
  }
  let rows = 0
  const sink = new WritableStream<RecordBatch>({
    write(batch) {
      rows += batch.numRows
      sample()
    },
  })
  let pipeline: Promise<void>
  if (mode === 'generate-only') {
    pipeline = source(batches).pipeTo(sink)
  } else {
    const api = await loadApi(dist)
    if (typeof api === 'string') throw new Error(`arrowseal API unavailable: ${api}`)
    const parties = await makeParties(api)
    const node = api.backends.node?.()
    pipeline = source(batches)
      .pipeThrough(new api.SealStream(sealOptions(parties, node)))
      .pipeThrough(new api.OpenStream(openOptions(parties, node)))
      .pipeTo(sink)
  }
  const before = process.memoryUsage.rss()
  const timer = setInterval(sample, 10)
  const t0 = performance.now()
  await pipeline
  const seconds = (performance.now() - t0) / 1000
  clearInterval(timer)
  sample()
  if (rows !== batches * BATCH_ROWS) throw new Error(`opened ${rows} rows, expected ${batches * BATCH_ROWS}`)
  const inputBytes = batches * batchIpcBytes()
  return {
    mode,
    inputBytes,
    batches,
    rows,
    rssBeforeMB: before / MB,
    peakRssMB: peak / MB,
    peakHeapUsedMB: peakHeap / MB,
    peakArrayBuffersMB: peakBuffers / MB,
    seconds,
    mbps: inputBytes / MB / seconds,
  }
}

function runChild(mode: MemoryRun['mode'], batches: number, dist: boolean): MemoryRun {
  const script = fileURLToPath(import.meta.url)
  const args = [...process.execArgv, script, '--child', mode, String(batches), ...(dist ? ['--dist'] : [])]
  const res = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 24 })
  if (res.status !== 0) throw new Error(`memory child (${mode}, ${batches} batches) failed:\n${res.stderr}`)
  const line = res.stdout.trim().split('\n').pop() ?? ''
  return JSON.parse(line) as MemoryRun
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2)
  const dist = argv.includes('--dist')
  if (argv[0] === '--child') {
    const run = await child(argv[1] as MemoryRun['mode'], Number(argv[2]), dist)
    console.log(JSON.stringify(run))
    return
  }
  const quick = argv.includes('--quick')
  const perBatch = batchIpcBytes()
  const sizesMB = quick ? [32, 64, 128] : [128, 512, 1024, 2048]
  const info = machine()
  console.log(`memory bench (${quick ? 'quick' : 'full'}): 64k-row batches of ${(perBatch / MB).toFixed(2)} MB`)
  console.log(`${'mode'.padEnd(14)} ${'input MB'.padStart(9)} ${'batches'.padStart(8)} ${'RSS before'.padStart(11)}`)
  const runs: MemoryRun[] = []
  const print = (r: MemoryRun) =>
    console.log(
      `${r.mode.padEnd(14)} ${(r.inputBytes / MB).toFixed(0).padStart(9)} ${String(r.batches).padStart(8)} ` +
        `${r.rssBeforeMB.toFixed(0).padStart(8)} MB  peak RSS ${r.peakRssMB.toFixed(0).padStart(4)} MB  ` +
        `heap ${r.peakHeapUsedMB.toFixed(0).padStart(3)} MB  buffers ${r.peakArrayBuffersMB.toFixed(0).padStart(3)} MB  ${r.mbps.toFixed(0).padStart(5)} MB/s`,
    )
  // The floor is flat by construction; one mid-sized run shows it without doubling the run time.
  const floor = runChild('generate-only', Math.ceil((sizesMB[Math.floor(sizesMB.length / 2)]! * MB) / perBatch), dist)
  runs.push(floor)
  print(floor)
  for (const size of sizesMB) {
    const run = runChild('seal+open', Math.ceil((size * MB) / perBatch), dist)
    runs.push(run)
    print(run)
  }
  const sealed = runs.filter((r) => r.mode === 'seal+open')
  const peaks = sealed.map((r) => r.peakRssMB)
  const growth = Math.max(...peaks) - Math.min(...peaks)
  const atLeast1GB = sealed.filter((r) => r.inputBytes >= 1e9)
  const worst = Math.max(...(atLeast1GB.length ? atLeast1GB : sealed).map((r) => r.peakRssMB))
  const flat = growth <= Math.max(32, 0.15 * Math.min(...peaks))
  console.log(
    `\n  ${worst < 300 ? 'PASS' : 'MISS'}  peak RSS streaming ${atLeast1GB.length ? '≥ 1 GB' : '(quick sizes)'}: ` +
      `${worst.toFixed(0)} MB (< 300 MB)`,
  )
  console.log(
    `  ${flat ? 'PASS' : 'MISS'}  flat: peak RSS spread ${growth.toFixed(0)} MB across ${sizesMB.join('/')} MB`,
  )
  const date = new Date().toISOString().slice(0, 10)
  const out = fileURLToPath(new URL(`./results/${date}-memory-${quick ? 'quick' : 'full'}.json`, import.meta.url))
  writeReport(out, {
    date: new Date().toISOString(),
    mode: quick ? 'quick' : 'full',
    source: dist ? 'dist/' : 'src/ (via tsx)',
    machine: info,
    fixtures: { '64k': { rows: 0, batchRows: BATCH_ROWS, batches: 0, ipcBytes: perBatch } },
    rounds: 1,
    results: [],
    targets: [
      {
        target: 'peak RSS streaming ≥ 1 GB (MB)',
        measured: worst,
        limit: 300,
        sense: '<=',
        detail: `largest input ${((sealed.at(-1)?.inputBytes ?? 0) / MB).toFixed(0)} MB`,
        status: atLeast1GB.length === 0 ? 'n/a' : worst < 300 ? 'PASS' : 'MISS',
      },
      {
        target: 'peak RSS spread across input sizes (MB)',
        measured: growth,
        limit: Math.max(32, 0.15 * Math.min(...peaks)),
        sense: '<=',
        detail: `sizes ${sizesMB.join('/')} MB`,
        status: flat ? 'PASS' : 'MISS',
      },
    ],
    freshBreakdown: [],
    notes: [],
    memory: runs,
  } as Parameters<typeof writeReport>[1] & { memory: MemoryRun[] })
  console.log(`wrote ${out}`)
}

main().catch((err: unknown) => {
  console.error(err)
  process.exit(1)
})
