/**
 * Timing harness: cases of one fixture run interleaved, round by round, so that machine noise (frequency scaling,
 * neighbours on a shared host, GC pressure) falls on every case alike and the ratios between them stay honest.
 * Each case reports the median of its rounds.
 *
 * @module
 */
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

/** One benchmark case. `bytes` is the payload the MB/s figure is computed over (the fixture's plain IPC size). */
export interface Case {
  /** `layer/fixture[/op]`, for example `baseline/arrow-ipc-write/64k`. */
  name: string
  /** Payload size in bytes for the throughput column. */
  bytes: number
  /** One timed operation. */
  run: () => unknown
  /** Upper bound on timed rounds for slow cases (pure-JS peers); defaults to the group's round count. */
  maxRounds?: number
  /** True when setup already ran the operation once (a checked round trip), so no separate warm-up is needed. */
  warm?: boolean
}

/** Fewest timed rounds a case gets, whatever the time budget: a median of fewer means little. */
export const MIN_ROUNDS = 3

/** Result of one case. */
export interface CaseResult {
  name: string
  bytes: number
  /** Median wall time of one operation, ms. */
  ms: number
  /** Fastest round, ms. */
  minMs: number
  /** Every timed round, ms, in run order. */
  samples: number[]
  /** bytes / median, in MB/s (10^6 bytes). */
  mbps: number
  /**
   * Median CPU time (user + system, all threads of the process) of one operation, ms. On a busy shared host this
   * is far less disturbed than wall time, because time spent waiting for a core is not counted.
   */
  cpuMs: number
}

/** Lets the harness collect garbage between rounds so one case's garbage is not billed to the next. */
function gcFunction(): () => void {
  const existing = (globalThis as { gc?: () => void }).gc
  if (existing) return existing
  setFlagsFromString('--expose-gc')
  return runInNewContext('gc') as () => void
}

const gc = gcFunction()

/**
 * Median of a non-empty list.
 *
 * @example
 * ```ts
 * median([3, 1, 2]) // 2
 * ```
 */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

async function timeOnce(c: Case): Promise<[wall: number, cpu: number]> {
  gc()
  const c0 = process.cpuUsage()
  const t0 = performance.now()
  await c.run()
  const wall = performance.now() - t0
  const cpu = process.cpuUsage(c0)
  return [wall, (cpu.user + cpu.system) / 1000]
}

/**
 * Runs `cases` interleaved: one warm-up each, then `rounds` rounds, each visiting every case once in an order
 * rotated by one per round (so no case always runs right after the same neighbour). A case stops early once it
 * has `MIN_ROUNDS` samples and has spent `budgetMs` in total.
 *
 * @example
 * ```ts
 * const results = await runInterleaved([{ name: 'noop/x', bytes: 1, run: () => {} }], 5)
 * ```
 */
export async function runInterleaved(
  cases: readonly Case[],
  rounds: number,
  onProgress?: (line: string) => void,
  budgetMs = Number.POSITIVE_INFINITY,
): Promise<CaseResult[]> {
  const samples = new Map<string, number[]>(cases.map((c) => [c.name, []]))
  const cpuSamples = new Map<string, number[]>(cases.map((c) => [c.name, []]))
  for (const c of cases) if (!c.warm) await timeOnce(c)
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < cases.length; k++) {
      const c = cases[(k + round) % cases.length]!
      const list = samples.get(c.name)!
      if (list.length >= (c.maxRounds ?? rounds)) continue
      // A case that has used its time budget stops after MIN_ROUNDS, so quick mode stays quick on slow code.
      if (list.length >= MIN_ROUNDS && list.reduce((a, b) => a + b, 0) > budgetMs) continue
      const [wall, cpu] = await timeOnce(c)
      list.push(wall)
      cpuSamples.get(c.name)!.push(cpu)
    }
    onProgress?.(`  round ${round + 1}/${rounds}`)
  }
  return cases.map((c) => {
    const list = samples.get(c.name)!
    const ms = median(list)
    return {
      name: c.name,
      bytes: c.bytes,
      ms,
      minMs: Math.min(...list),
      samples: list,
      mbps: c.bytes / 1e6 / (ms / 1e3),
      cpuMs: median(cpuSamples.get(c.name)!),
    }
  })
}
