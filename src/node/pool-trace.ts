/**
 * Bench-only timeline of the worker pool (issue 12): with `ARROWSEAL_POOL_TRACE=1` in the environment when this
 * module loads, every job records when the calling thread dispatched it, when the worker got it, started and
 * finished, and when the reply was back, plus the worker thread's scheduler counters (`/proc/thread-self/schedstat`:
 * time on a CPU, time waiting on the run queue for one, timeslices). The records go to an array on `globalThis`
 * under `Symbol.for('arrowseal.poolTrace')` (bench/threads.ts reads it), so a bench can read them whether it
 * loaded the sources or the build. Off, nothing is recorded, and the only cost is one boolean test per job.
 * @module
 */
import { readFileSync, readlinkSync } from 'node:fs'

/** Whether jobs are traced: read once, when this module loads. */
export const tracing = process.env.ARROWSEAL_POOL_TRACE === '1'

/**
 * One thread's scheduler counters (Linux `schedstat`): nanoseconds on a CPU, nanoseconds runnable but waiting
 * for a CPU, timeslices run.
 *
 * @example
 * ```ts
 * const s: SchedStat = { cpu: 1e6, wait: 2e5, slices: 3 }
 * ```
 */
export interface SchedStat {
  readonly cpu: number
  readonly wait: number
  readonly slices: number
}

/** The calling thread's scheduler counters, or null where `/proc/thread-self/schedstat` does not exist. */
export function threadSched(): SchedStat | null {
  try {
    const [cpu, wait, slices] = readFileSync('/proc/thread-self/schedstat', 'utf8').trim().split(' ').map(Number)
    return { cpu: cpu!, wait: wait!, slices: slices! }
  } catch {
    return null
  }
}

/** The calling thread's kernel thread id (Linux), or 0: names a worker's row in `/proc/self/task`. */
export function threadId(): number {
  try {
    return Number(readlinkSync('/proc/thread-self').split('/').pop())
  } catch {
    return 0
  }
}

/** Milliseconds since the epoch, with the sub-millisecond part: comparable across the threads of a process. */
export function clock(): number {
  return performance.timeOrigin + performance.now()
}

/**
 * What a worker measures of one job: when its message handler got the job, when the job's crypto ended, and its
 * scheduler counters at those two points.
 *
 * @example
 * ```ts
 * const t: WorkerTimes = { tid: threadId(), got: clock(), done: clock(), before: threadSched(), after: threadSched() }
 * ```
 */
export interface WorkerTimes {
  readonly tid: number
  readonly got: number
  readonly done: number
  readonly before: SchedStat | null
  readonly after: SchedStat | null
}

/**
 * One traced job, every time from {@link clock}: `entered` when the stream handed the job to the pool (before
 * any copy into a buffer the worker can own), `dispatch` before postMessage on the calling thread, `posted`
 * after it returned (the structured clone and transfer), `got`/`done` in the worker, `back` when the reply's
 * message handler ran on the calling thread.
 *
 * @example
 * ```ts
 * const job: JobTrace = { kind: 'open', worker: 0, bytes: 5e6, entered, dispatch, posted, back, times }
 * ```
 */
export interface JobTrace {
  readonly kind: 'seal' | 'open'
  readonly worker: number
  readonly bytes: number
  readonly entered: number
  readonly dispatch: number
  readonly posted: number
  readonly back: number
  readonly times: WorkerTimes | null
}

/** Where traced jobs go (see the module comment). */
export function traceSink(): JobTrace[] {
  const key = Symbol.for('arrowseal.poolTrace')
  const g = globalThis as { [key]?: JobTrace[] }
  g[key] ??= []
  return g[key]
}
