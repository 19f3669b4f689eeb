/**
 * Benchmark output: the stdout table and the JSON results file read by `bench/chart.ts` and `docs/benchmarks.md`.
 *
 * @module
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { availableParallelism, cpus, loadavg, platform, totalmem } from 'node:os'
import { dirname } from 'node:path'
import type { Step } from './fresh-breakdown.js'
import type { FreshRuntimeRow } from './fresh-runtimes.js'
import type { CaseResult } from './harness.js'
import type { Target } from './targets.js'

/** The machine a run happened on. */
export interface Machine {
  cpu: string
  nproc: number
  memoryGiB: number
  node: string
  platform: string
  /** 1/5/15-minute load averages at the start of the run: a busy host makes every figure slower. */
  loadAverage: number[]
  /** `git rev-parse --short HEAD` of the code measured, with `+dirty` when the work tree had changes. */
  commit: string
}

/** Everything one run writes to `bench/results/<date>-<mode>.json`. */
export interface RunReport {
  date: string
  mode: 'quick' | 'full'
  source: string
  machine: Machine
  fixtures: Record<string, { rows: number; batchRows: number; batches: number; ipcBytes: number }>
  rounds: number
  results: CaseResult[]
  targets: Target[]
  freshBreakdown: Step[]
  /** Fresh one-row stream latency per runtime and post-quantum backend (absent in runs before issue 12). */
  freshRuntimes?: FreshRuntimeRow[]
  /** The post-quantum backend the measured entry used (`pqBackend()`), which sets the fresh-stream target. */
  pqBackend?: string
  notes: string[]
}

/**
 * Describes this machine.
 *
 * @example
 * ```ts
 * console.log(machine().cpu)
 * ```
 */
export function machine(): Machine {
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    nproc: availableParallelism(),
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${platform()} ${process.arch}`,
    loadAverage: loadavg().map((x) => Math.round(x * 100) / 100),
    commit: gitCommit(),
  }
}

function gitCommit(): string {
  const run = (args: string[]) => spawnSync('git', args, { encoding: 'utf8' })
  const head = run(['rev-parse', '--short', 'HEAD'])
  if (head.status !== 0) return 'unknown'
  const dirty = run(['status', '--porcelain', '--untracked-files=no', '--', 'src']).stdout.trim() !== ''
  return `${head.stdout.trim()}${dirty ? '+dirty' : ''}`
}

/** Write-side cases are compared with IPC write + AES encrypt, read-side ones with AES decrypt + IPC read. */
function isReadSide(name: string): boolean {
  return /(^|\/)(open|decrypt|arrow-ipc-read|stream-open[^/]*)(\/|$)/.test(name)
}

/** The fixture label inside a case name (`64k`, `1k`, …), if any. */
function fixtureOf(name: string, labels: readonly string[]): string | undefined {
  return name.split('/').find((part) => labels.includes(part))
}

/**
 * The time of a case relative to the unsealed pipeline on the same fixture (plain IPC + raw AES): 1.00 means
 * "costs what serialization plus bare encryption costs".
 *
 * @example
 * ```ts
 * const r = relativeToPlain(results, ['64k', '1k'])
 * ```
 */
export function relativeToPlain(
  results: readonly CaseResult[],
  labels: readonly string[],
  clock: 'ms' | 'cpuMs' = 'ms',
): Map<string, number> {
  const ms = (n: string) => results.find((r) => r.name === n)?.[clock]
  const out = new Map<string, number>()
  for (const r of results) {
    const fx = fixtureOf(r.name, labels)
    if (!fx) continue
    const plain = isReadSide(r.name)
      ? [ms(`baseline/aes-gcm-node/${fx}/decrypt`), ms(`baseline/arrow-ipc-read/${fx}`)]
      : [ms(`baseline/arrow-ipc-write/${fx}`), ms(`baseline/aes-gcm-node/${fx}/encrypt`)]
    if (plain[0] !== undefined && plain[1] !== undefined) out.set(r.name, r[clock] / (plain[0] + plain[1]))
  }
  return out
}

/**
 * Prints the results table.
 *
 * @example
 * ```ts
 * printTable(results, ['64k', '1k'])
 * ```
 */
export function printTable(results: readonly CaseResult[], labels: readonly string[]): void {
  const rel = relativeToPlain(results, labels)
  const relCpu = relativeToPlain(results, labels, 'cpuMs')
  const head = ['MB/s', 'ms', '×plain', 'cpu ms', '×plain cpu'].map((h) => h.padStart(10)).join(' ')
  console.log(`\n${'case'.padEnd(42)} ${head}  runs`)
  const ratio = (x: number | undefined) => (x === undefined ? '' : x.toFixed(2))
  for (const r of results) {
    const cells = [r.bytes ? r.mbps.toFixed(1) : '-', r.ms.toFixed(2), ratio(rel.get(r.name))]
    cells.push(r.cpuMs.toFixed(2), ratio(relCpu.get(r.name)))
    console.log(`${r.name.padEnd(42)} ${cells.map((c) => c.padStart(10)).join(' ')}  ${r.samples.length}`)
  }
  console.log('×plain: time ÷ (IPC write + AES-GCM encrypt) for write-side cases, ÷ (AES-GCM decrypt + IPC read) for')
  console.log('read-side cases, on the same fixture in the same run. MB/s counts the fixture’s plain IPC bytes.')
  console.log('cpu ms: CPU time of the process (all threads), less disturbed than wall time on a busy host.')
}

/**
 * Writes the JSON report, creating the directory.
 *
 * @example
 * ```ts
 * writeReport('bench/results/2026-11-29-quick.json', report)
 * ```
 */
export function writeReport(path: string, report: object): void {
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`)
}
