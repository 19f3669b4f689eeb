/**
 * How does throughput depend on rows per batch? One million rows of the mixed fixture cut into batches of 1,024
 * to 262,144 rows, each sealed through `SealStream` and opened through `OpenStream` (the way pipelines use
 * arrowseal), next to plain Arrow IPC write and read of the same table in the same rounds; then the 1,024-row
 * batches once more, merged by the writer into batches of at least 65,536 rows (`minBatchRows`). All of it runs
 * interleaved in one group of rounds, so the sizes are compared under the same machine conditions.
 *
 *   npx tsx bench/batch-sizes.ts [--dist] [--rows N] [--rounds N]
 *
 * Writes `bench/results/<date>-batch-sizes.json`, which `bench/markdown.ts` renders into docs/benchmarks.md and
 * the throughput guide quotes. Informational: no target depends on it.
 *
 * @module
 */
import { fileURLToPath } from 'node:url'
import { tableFromIPC, tableToIPC } from 'apache-arrow'
import { loadApi } from './api.js'
import { MERGED_ROWS, makeParties, streamCases } from './arrowseal-cases.js'
import { mixedTable } from './fixtures.js'
import { type Case, type CaseResult, runInterleaved } from './harness.js'
import { type Machine, machine, writeReport } from './report.js'

/** One batch size's measurements. */
export interface BatchSizeRun {
  batchRows: number
  /** The writer's `minBatchRows`, when the run merged the batches before sealing. */
  minBatchRows?: number
  batches: number
  ipcBytes: number
  results: CaseResult[]
}

/** What `bench/results/<date>-batch-sizes.json` holds. */
export interface BatchSizeReport {
  date: string
  source: string
  machine: Machine
  rows: number
  rounds: number
  runs: BatchSizeRun[]
}

const SIZES = [1_024, 4_096, 16_384, 65_536, 262_144]

function option(argv: readonly string[], name: string, fallback: number): number {
  const at = argv.indexOf(name)
  const value = at >= 0 ? Number(argv[at + 1]) : fallback
  if (!(Number.isInteger(value) && value > 0)) throw new Error(`${name} needs a positive integer`)
  return value
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2)
  const rows = option(argv, '--rows', 1_000_000)
  const rounds = option(argv, '--rounds', 5)
  const api = await loadApi(argv.includes('--dist'))
  if (typeof api === 'string') throw new Error(api)
  const parties = await makeParties(api)
  const node = api.backends.node?.()
  const info = machine()
  console.log(`batch sizes: ${rows} rows, ${rounds} rounds, ${info.cpu}, load ${info.loadAverage}`)
  // Each size as written, then the smallest again with the writer merging it up to 65,536-row batches. All
  // cases run interleaved in one group, so every size is measured in the same rounds as every other.
  const plan: [number, number | undefined][] = [
    ...SIZES.map((n): [number, undefined] => [n, undefined]),
    [SIZES[0]!, MERGED_ROWS],
  ]
  const groups: { run: Omit<BatchSizeRun, 'results'>; names: string[] }[] = []
  const cases: Case[] = []
  for (const [batchRows, minBatchRows] of plan) {
    const table = mixedTable(rows, batchRows)
    const ipc = tableToIPC(table, 'stream')
    const label = minBatchRows ? `${batchRows}-merged` : String(batchRows)
    const mine: Case[] = [
      { name: `baseline/arrow-ipc-write/${label}`, bytes: ipc.length, run: () => tableToIPC(table, 'stream') },
      { name: `baseline/arrow-ipc-read/${label}`, bytes: ipc.length, run: () => tableFromIPC(ipc) },
      ...(await streamCases(api, parties, { label, table, ipc }, node, undefined, undefined, minBatchRows)),
    ]
    cases.push(...mine)
    const run = {
      batchRows,
      ...(minBatchRows ? { minBatchRows } : {}),
      batches: table.batches.length,
      ipcBytes: ipc.length,
    }
    groups.push({ run, names: mine.map((c) => c.name) })
  }
  const results = await runInterleaved(cases, rounds, (line) => process.stdout.write(`${line}\r`))
  console.log()
  const runs: BatchSizeRun[] = groups.map(({ run, names }) => ({
    ...run,
    results: results.filter((r) => names.includes(r.name)),
  }))
  for (const run of runs) {
    const line = run.results.map((r) => `${r.name.split('/')[1]} ${r.mbps.toFixed(0)} MB/s`).join(', ')
    console.log(`${String(run.batchRows).padStart(7)} rows/batch${run.minBatchRows ? ' merged' : ''}: ${line}`)
  }
  const report: BatchSizeReport = {
    date: new Date().toISOString(),
    source: api.source,
    machine: info,
    rows,
    rounds,
    runs,
  }
  const out = fileURLToPath(new URL(`./results/${report.date.slice(0, 10)}-batch-sizes.json`, import.meta.url))
  writeReport(out, report)
  console.log(`wrote ${out}`)
}

main().catch((err: unknown) => {
  console.error(err)
  process.exit(1)
})
