/**
 * How does throughput depend on rows per batch? One million rows of the mixed fixture cut into batches of 1,024
 * to 262,144 rows, each sealed through `SealStream` and opened through `OpenStream` (the way pipelines use
 * arrowseal), next to plain Arrow IPC write and read of the same table in the same rounds.
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
import { makeParties, streamCases } from './arrowseal-cases.js'
import { mixedTable } from './fixtures.js'
import { type CaseResult, runInterleaved } from './harness.js'
import { type Machine, machine, writeReport } from './report.js'

/** One batch size's measurements. */
export interface BatchSizeRun {
  batchRows: number
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
  const runs: BatchSizeRun[] = []
  for (const batchRows of SIZES) {
    const table = mixedTable(rows, batchRows)
    const ipc = tableToIPC(table, 'stream')
    const fx = { label: String(batchRows), table, ipc }
    const cases = [
      { name: `baseline/arrow-ipc-write/${batchRows}`, bytes: ipc.length, run: () => tableToIPC(table, 'stream') },
      { name: `baseline/arrow-ipc-read/${batchRows}`, bytes: ipc.length, run: () => tableFromIPC(ipc) },
      ...(await streamCases(api, parties, fx, node)),
    ]
    const results = await runInterleaved(cases, rounds)
    runs.push({ batchRows, batches: table.batches.length, ipcBytes: ipc.length, results })
    const line = results.map((r) => `${r.name.split('/')[1]} ${r.mbps.toFixed(0)} MB/s`).join(', ')
    console.log(`${String(batchRows).padStart(7)} rows/batch: ${line}`)
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
