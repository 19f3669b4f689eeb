/**
 * arrowseal benchmark suite (issue 3, item 4).
 *
 *   npx tsx bench/run.ts [--quick] [--filter <substring>]... [--rounds N] [--dist|--src] [--no-breakdown]
 *
 * `--no-breakdown` also skips the fresh-stream latency per runtime (bench/fresh-runtimes.ts, child processes).
 *
 * `npm run bench` builds and measures `dist/`; `npx tsx bench/run.ts` measures `src/` unless given `--dist`.
 *
 * Cases are named `layer/fixture[/op]`: `baseline/…` (Arrow IPC, raw node:crypto AES-GCM), `peer/…` (age,
 * AWS Encryption SDK) and `arrowseal/…`. All cases of a fixture run interleaved in one process (see harness.ts).
 * Output: a table on stdout, the issue-3 targets with PASS/MISS, and `bench/results/<date>-<quick|full>.json`.
 * A MISS never fails the process; only an actual error does.
 *
 * @module
 */
import { fileURLToPath } from 'node:url'
import { type ArrowSealApi, loadApi } from './api.js'
import { freshCases, MERGED_ROWS, makeParties, type Parties, sealOpenCases, streamCases } from './arrowseal-cases.js'
import { baselineCases, type Fixture } from './baselines.js'
import { mixedTable, oneRowTable } from './fixtures.js'
import { freshBreakdown, printBreakdown, type Step } from './fresh-breakdown.js'
import { type FreshRuntimeRow, freshAcrossRuntimes, printFreshRuntimes } from './fresh-runtimes.js'
import { type Case, type CaseResult, runInterleaved } from './harness.js'
import { ageCases, awsCases } from './peers.js'
import { machine, printTable, type RunReport, writeReport } from './report.js'
import { evaluateTargets, formatTarget } from './targets.js'

interface Args {
  quick: boolean
  filters: string[]
  rounds: number | undefined
  dist: boolean
  breakdown: boolean
}

function parseArgs(argv: readonly string[]): Args {
  // `npm run bench` builds first, so under it the suite measures the built package (dist/), as shipped.
  const dist = process.env['npm_lifecycle_event'] === 'bench'
  const args: Args = { quick: false, filters: [], rounds: undefined, dist, breakdown: true }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    if (a === '--quick') args.quick = true
    else if (a === '--dist') args.dist = true
    else if (a === '--src') args.dist = false
    else if (a === '--no-breakdown') args.breakdown = false
    else if (a === '--filter') args.filters.push(argv[++i] ?? '')
    else if (a === '--rounds') args.rounds = Number(argv[++i])
    else if (a === '--') continue
    else throw new Error(`unknown argument ${a}; usage: bench/run.ts [--quick] [--filter x] [--rounds N] [--dist]`)
  }
  if (args.rounds !== undefined && !(Number.isInteger(args.rounds) && args.rounds > 0)) {
    throw new Error('--rounds needs a positive integer')
  }
  return args
}

const BIG = '64k'
const SMALL = '1k'

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2))
  const startedAt = performance.now()
  const mode = args.quick ? 'quick' : 'full'
  // Quick: one 64k-row batch's worth of rows (64 batches in the 1k fixture), and a per-case time budget, so the
  // whole run stays under a minute on 2 cores even when the code under test is slow.
  const rows = args.quick ? 65_536 : 1_000_000
  const rounds = args.rounds ?? (args.quick ? 3 : 5)
  const slowRounds = 3
  const budgetMs = args.quick ? 500 : 60_000
  const info = machine()
  console.log(
    `arrowseal bench (${mode}): ${info.cpu}, ${info.nproc} cores, node ${info.node}, load ${info.loadAverage}`,
  )

  // Whether a family of cases (named by prefix) may match a filter, to skip its setup; `keep` filters exactly.
  // A filter that does not start with a layer name (`64k`, `age`) may match anything.
  const wanted = (prefix: string) =>
    args.filters.length === 0 ||
    args.filters.some((f) => !/^(baseline|peer|arrowseal)\//.test(f) || prefix.includes(f) || f.startsWith(prefix))
  const keep = (cases: Case[]) =>
    args.filters.length === 0 ? cases : cases.filter((c) => args.filters.some((f) => c.name.includes(f)))
  const notes: string[] = []

  const api = await loadApi(args.dist)
  let arrowseal: ArrowSealApi | null = null
  let parties: Parties | null = null
  if (typeof api === 'string') {
    notes.push(`arrowseal cases skipped: ${api}`)
    console.log(`  arrowseal cases skipped: ${api}`)
  } else {
    arrowseal = api
    parties = await makeParties(api)
  }

  const fixtures: RunReport['fixtures'] = {}
  const pools: Array<{ close(): unknown }> = []
  const results: CaseResult[] = []
  const progress = (line: string) => process.stdout.write(`${line}\r`)

  for (const [label, batchRows] of [
    [BIG, 65_536],
    [SMALL, 1_024],
  ] as const) {
    if (!wanted(`baseline/`) && !wanted(`peer/`) && !wanted(`arrowseal/`)) continue
    // A filter that names a fixture (`…/1k`) does not need the other one built.
    const named = args.filters.filter((f) => /(^|\/)(64k|1k)(\/|$)/.test(f))
    if (named.length && named.length === args.filters.length && !named.some((f) => f.split('/').includes(label)))
      continue
    const table = mixedTable(rows, batchRows)
    const { tableToIPC } = await import('apache-arrow')
    const fx: Fixture = { label, table, ipc: tableToIPC(table, 'stream') }
    fixtures[label] = { rows, batchRows, batches: table.batches.length, ipcBytes: fx.ipc.length }
    console.log(`fixture ${label}: ${rows} rows in ${table.batches.length} batches, ${fx.ipc.length} IPC bytes`)
    const cases: Case[] = [...(await baselineCases(fx))]
    if (arrowseal && parties) {
      const node = arrowseal.backends.node?.()
      if (!node) notes.push('nodeBackend() not found: arrowseal/seal and /open ran on the default backend')
      if (wanted(`arrowseal/`)) cases.push(...(await sealOpenCases(arrowseal, parties, fx, null, node)))
      // Small batches merged by the writer (`minBatchRows`), through the streams, where merging one batch at a
      // time reuses memory; compared with the 64k streams by the targets.
      if (label === SMALL && wanted('arrowseal/stream'))
        cases.push(...(await streamCases(arrowseal, parties, fx, node, undefined, undefined, MERGED_ROWS)))
      if (label === BIG) {
        if (wanted('arrowseal/stream')) cases.push(...(await streamCases(arrowseal, parties, fx, node)))
        if (arrowseal.WorkerPool && wanted('arrowseal/stream')) {
          const size = 2
          const handle = await arrowseal.WorkerPool.start(size)
          pools.push(handle)
          cases.push(...(await streamCases(arrowseal, parties, fx, node, { size, handle })))
          cases.push(...(await streamCases(arrowseal, parties, fx, node, undefined, 'deflate')))
          cases.push(...(await streamCases(arrowseal, parties, fx, node, { size, handle }, 'deflate')))
        }
        const web = arrowseal.backends.webcrypto?.()
        if (web && wanted(`arrowseal/webcrypto/${label}`)) {
          cases.push(...(await sealOpenCases(arrowseal, parties, fx, 'webcrypto', web)))
        }
        const noble = arrowseal.backends.noble?.()
        if (noble && wanted(`arrowseal/noble/${label}`)) {
          cases.push(...(await sealOpenCases(arrowseal, parties, fx, 'noble', noble, slowRounds)))
        }
      }
    }
    if (label === BIG) {
      if (wanted(`peer/age/${label}`)) cases.push(...(await ageCases(fx, slowRounds)))
      if (wanted(`peer/aws-esdk/${label}`)) cases.push(...(await awsCases(fx, slowRounds)))
    }
    const selected = keep(cases)
    if (selected.length === 0) continue
    console.log(`running ${selected.length} cases on ${label}, ${rounds} interleaved rounds`)
    results.push(...(await runInterleaved(selected, rounds, progress, budgetMs)))
  }

  if (arrowseal && parties && wanted('arrowseal/fresh-1row')) {
    const cases = keep(await freshCases(arrowseal, parties, oneRowTable(), arrowseal.backends.node?.()))
    if (cases.length) {
      console.log(`running ${cases.length} fresh-stream cases`)
      results.push(...(await runInterleaved(cases, args.quick ? 10 : 40, progress, budgetMs)))
    }
  }

  for (const pool of pools) await pool.close()
  printTable(results, [BIG, SMALL])
  const pq = arrowseal?.pqBackend?.() ?? 'noble'
  const targets = evaluateTargets(results, BIG, SMALL, pq)
  console.log(`\nTargets (issues 3 and 12; post-quantum backend ${pq}); a MISS is reported, not failed:`)
  for (const t of targets) console.log(formatTarget(t))

  let breakdown: Step[] = []
  if (args.breakdown && wanted('fresh-breakdown')) {
    breakdown = await freshBreakdown(args.quick)
    printBreakdown(breakdown)
  }
  // Per runtime and backend (Node 20 noble against Node 24 native), each runtime in a child process.
  let freshRuntimes: FreshRuntimeRow[] = []
  if (args.breakdown && wanted('fresh-runtimes')) {
    const { rows: found, errors } = freshAcrossRuntimes(args.quick)
    freshRuntimes = found
    printFreshRuntimes(found)
    for (const e of errors) notes.push(`fresh-runtimes: ${e}`)
  }

  const date = new Date().toISOString().slice(0, 10)
  const report: RunReport = {
    date: new Date().toISOString(),
    mode,
    source: arrowseal?.source ?? 'none',
    machine: info,
    fixtures,
    rounds,
    results,
    targets,
    freshBreakdown: breakdown,
    freshRuntimes,
    pqBackend: pq,
    notes,
  }
  if (args.filters.length) notes.push(`filtered: ${args.filters.join(', ')}`)
  const suffix = args.filters.length ? '-filtered' : ''
  const out = fileURLToPath(new URL(`./results/${date}-${mode}${suffix}.json`, import.meta.url))
  writeReport(out, report)
  console.log(`\nwrote ${out} (${((performance.now() - startedAt) / 1000).toFixed(1)} s)`)
}

main().catch((err: unknown) => {
  console.error(err)
  process.exit(1)
})
