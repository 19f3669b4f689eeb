/**
 * The targets of issues 3 and 12, computed from one run's results. A target whose inputs were filtered out or skipped is
 * reported as `n/a`, never as a pass. Benchmarks are not tests: a MISS is reported, it does not fail the process.
 *
 * @module
 */
import type { CaseResult } from './harness.js'

/** One evaluated target. */
export interface Target {
  /** What is compared, in words. */
  target: string
  /** The measured ratio (or ms for absolute targets), on wall time; null when an input is missing. */
  measured: number | null
  /** The same ratio on CPU time (see `CaseResult.cpuMs`), for a busy host; null when an input is missing. */
  measuredCpu?: number | null
  /** The limit, in the same unit as `measured`. */
  limit: number
  /** `<=` or `>=`: which side of the limit passes. */
  sense: '<=' | '>='
  /** Formula with the inputs, for the report. */
  detail: string
  status: 'PASS' | 'MISS' | 'n/a'
}

type Lookup = (name: string) => number | undefined

function target(
  name: string,
  limit: number,
  sense: '<=' | '>=',
  parts: Array<[string, number | undefined]>,
  compute: (v: number[]) => number,
  formula: string,
): Target {
  const values = parts.map(([, v]) => v)
  const missing = parts.filter(([, v]) => v === undefined).map(([n]) => n)
  if (missing.length) {
    return { target: name, measured: null, limit, sense, detail: `missing: ${missing.join(', ')}`, status: 'n/a' }
  }
  const measured = compute(values as number[])
  const ok = sense === '<=' ? measured <= limit : measured >= limit
  const inputs = parts.map(([n, v]) => `${n}=${v!.toFixed(2)}ms`).join(' ')
  return { target: name, measured, limit, sense, detail: `${formula}; ${inputs}`, status: ok ? 'PASS' : 'MISS' }
}

/**
 * Evaluates every issue-3 target that these results can speak to.
 *
 * @example
 * ```ts
 * for (const t of evaluateTargets(results, '64k', '1k', 'native')) console.log(t.target, t.status)
 * ```
 */
export function evaluateTargets(
  results: readonly CaseResult[],
  big: string,
  small: string,
  pq: string = 'noble',
): Target[] {
  const wall = evaluateOn(results, big, small, 'ms', pq)
  const cpu = evaluateOn(results, big, small, 'cpuMs', pq)
  return wall.map((t, i) => ({ ...t, measuredCpu: cpu[i]?.measured ?? null }))
}

function evaluateOn(
  results: readonly CaseResult[],
  big: string,
  small: string,
  clock: 'ms' | 'cpuMs',
  pq: string,
): Target[] {
  const ms: Lookup = (name) => results.find((r) => r.name === name)?.[clock]
  const seal = ms(`arrowseal/seal/${big}`)
  const open = ms(`arrowseal/open/${big}`)
  const div = ([a, b]: number[]) => a! / b!
  // The floors of issue 12: every design with property 4 (each reader checks a MAC over every ciphertext byte)
  // pays one SHA-256 pass and one AES-GCM pass over the bytes on top of Arrow IPC, so that sum is the baseline,
  // and 1.10 × it is the target. The older 1.25 × (IPC + AES-GCM) left SHA-256 out and no design could meet it.
  const out: Target[] = [
    target(
      `seal ${big} / floor (IPC write + SHA-256 + AES-GCM encrypt)`,
      1.1,
      '<=',
      [
        ['seal', seal],
        ['write', ms(`baseline/arrow-ipc-write/${big}`)],
        ['sha', ms(`baseline/sha256-node/${big}`)],
        ['aes', ms(`baseline/aes-gcm-node/${big}/encrypt`)],
      ],
      ([s, w, h, a]) => s! / (w! + h! + a!),
      'seal / (write + sha + aes)',
    ),
    target(
      `open ${big} / floor (SHA-256 + AES-GCM decrypt + IPC read)`,
      1.1,
      '<=',
      [
        ['open', open],
        ['sha', ms(`baseline/sha256-node/${big}`)],
        ['aes', ms(`baseline/aes-gcm-node/${big}/decrypt`)],
        ['read', ms(`baseline/arrow-ipc-read/${big}`)],
      ],
      ([o, h, a, r]) => o! / (h! + a! + r!),
      'open / (sha + aes + read)',
    ),
  ]
  for (const [peer, limit] of [
    ['age', 4],
    ['aws-esdk', 2],
  ] as const) {
    for (const [op, mine, theirs] of [
      ['seal', seal, 'encrypt'],
      ['open', open, 'decrypt'],
    ] as const) {
      out.push(
        target(
          `${op} throughput ${big} vs ${peer} ${theirs} (crypto only)`,
          limit,
          '>=',
          [
            [peer, ms(`peer/${peer}/${big}/${theirs}`)],
            [op, mine],
          ],
          div,
          `${peer} time / arrowseal time`,
        ),
      )
    }
  }
  // Small batches as written (sealTable / openTable), then merged by the writer with `minBatchRows` (the
  // streams' `-merged` cases, against the 64k streams).
  for (const [smallOf, bigOf, label] of [
    [(op: string) => `${op}/${small}`, (op: string) => `${op}/${big}`, ''],
    [
      (op: string) => `stream-${op}-merged/${small}`,
      (op: string) => `stream-${op}/${big}`,
      ' merged by minBatchRows (streams)',
    ],
  ] as const) {
    for (const op of ['seal', 'open'] as const) {
      const smallCase = `arrowseal/${smallOf(op)}`
      const bigCase = `arrowseal/${bigOf(op)}`
      out.push(
        target(
          `${op} throughput ${small}-row batches${label} / ${big}-row batches`,
          0.7,
          '>=',
          [
            [smallOf(op), ms(smallCase)],
            [bigOf(op), ms(bigCase)],
            // Throughput over each fixture's own IPC size: the 1k stream carries a little more framing.
          ],
          ([s, b]) => {
            const sb = results.find((r) => r.name === smallCase)!.bytes
            const bb = results.find((r) => r.name === bigCase)!.bytes
            return sb / s! / (bb / b!)
          },
          `(bytes/${small} ÷ ms/${small}) / (bytes/${big} ÷ ms/${big})`,
        ),
      )
    }
  }
  // Parallelism: the speed-up of a 2-worker pool over one thread, same stream API and data. Issue 12 asks 1.3×
  // on uncompressed streams; compressed units (inflating is shared work) keep issue 3's 1.1× bar.
  for (const [what, one, two, limit] of [
    ['stream seal', `arrowseal/stream-seal/${big}`, `arrowseal/stream-seal-workers2/${big}`, 1.3],
    ['stream open', `arrowseal/stream-open/${big}`, `arrowseal/stream-open-workers2/${big}`, 1.3],
    [
      'stream open, deflate units',
      `arrowseal/stream-open-deflate/${big}`,
      `arrowseal/stream-open-deflate-workers2/${big}`,
      1.1,
    ],
  ] as const) {
    out.push(
      target(
        `${what} ${big}: speed-up with workers: 2`,
        limit,
        '>=',
        [
          ['one thread', ms(one)],
          ['workers', ms(two)],
        ],
        div,
        'one-thread time / 2-worker time',
      ),
    )
  }
  // Issue 12: ≤ 5 ms with the native post-quantum backend (Node 24); the noble fallback keeps issue 3's 15 ms.
  const freshLimit = pq === 'native' ? 5 : 15
  out.push(
    target(
      `fresh one-row stream, seal + open (ms, pq ${pq})`,
      freshLimit,
      '<=',
      [['fresh', ms('arrowseal/fresh-1row')]],
      ([f]) => f!,
      'median ms',
    ),
    target(
      `fresh one-row stream with a writer session, seal + open (ms, pq ${pq})`,
      freshLimit,
      '<=',
      [['fresh-session', ms('arrowseal/fresh-1row-session')]],
      ([f]) => f!,
      'median ms',
    ),
  )
  return out
}

/**
 * Formats a target line for stdout.
 *
 * @example
 * ```ts
 * console.log(formatTarget(t))
 * ```
 */
export function formatTarget(t: Target): string {
  const value = t.measured === null ? 'n/a' : t.measured.toFixed(2)
  const cpu = t.measuredCpu === null || t.measuredCpu === undefined ? 'n/a' : t.measuredCpu.toFixed(2)
  return `  ${t.status.padEnd(4)}  ${t.target.padEnd(58)} ${value.padStart(7)} (${t.sense} ${t.limit}; cpu ${cpu})  ${t.detail}`
}
