/**
 * Renders results files as Markdown tables and writes them into `docs/benchmarks.md` between marker comments, so
 * the figures in the docs are always the figures of a real run and never retyped by hand.
 *
 *   npx tsx bench/markdown.ts [--full file.json] [--quick file.json] [--memory file.json] [--batch-sizes file.json]
 *                             [--write]
 *
 * Without paths it takes the newest `*-full.json`, `*-quick.json`, `*-memory-full.json` (else quick) and
 * `*-batch-sizes.json` in `bench/results/`. Without `--write` it prints the blocks.
 *
 * Markers in the page: `<!-- bench:NAME -->` … `<!-- /bench:NAME -->` with NAME one of machine, results, targets,
 * quick-targets, breakdown, fresh-runtimes, memory, batch-sizes.
 *
 * @module
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { BatchSizeReport } from './batch-sizes.js'
import type { RunReport } from './report.js'
import { relativeToPlain } from './report.js'
import type { Target } from './targets.js'

interface MemoryRun {
  mode: string
  inputBytes: number
  batches: number
  rssBeforeMB: number
  peakRssMB: number
  peakHeapUsedMB: number
  peakArrayBuffersMB?: number
  mbps: number
}
type MemoryReport = RunReport & { memory: MemoryRun[] }

const resultsDir = fileURLToPath(new URL('./results', import.meta.url))
const docsPage = fileURLToPath(new URL('../docs/benchmarks.md', import.meta.url))

function newest(pattern: RegExp): string | undefined {
  if (!existsSync(resultsDir)) return undefined
  const file = readdirSync(resultsDir)
    .filter((f) => pattern.test(f))
    .sort()
    .at(-1)
  return file ? `${resultsDir}/${file}` : undefined
}

function load<T>(path: string | undefined): T | undefined {
  return path ? (JSON.parse(readFileSync(path, 'utf8')) as T) : undefined
}

function fmt(x: number, digits = 2): string {
  return x.toFixed(digits)
}

/**
 * The machine block.
 *
 * @example
 * ```ts
 * console.log(machineBlock(report))
 * ```
 */
export function machineBlock(r: RunReport): string {
  const m = r.machine
  return [
    '| | |',
    '|---|---|',
    `| CPU | ${m.cpu} |`,
    `| Cores (\`nproc\`) | ${m.nproc} |`,
    `| Memory | ${m.memoryGiB} GiB |`,
    `| Node | ${m.node} (${m.platform}) |`,
    `| Load average at start (1/5/15 min) | ${m.loadAverage.join(' / ')} |`,
    `| Code measured | ${r.source}${m.commit ? ` at commit \`${m.commit}\`` : ''} |`,
    `| Run | ${r.mode}, ${r.date} |`,
  ].join('\n')
}

/**
 * The results table.
 *
 * @example
 * ```ts
 * console.log(resultsBlock(report))
 * ```
 */
export function resultsBlock(r: RunReport): string {
  const labels = Object.keys(r.fixtures)
  const rel = relativeToPlain(r.results, labels)
  const relCpu = relativeToPlain(r.results, labels, 'cpuMs')
  const fixtures = Object.entries(r.fixtures)
    .map(
      ([k, f]) =>
        `\`${k}\`: ${f.rows.toLocaleString('en-US')} rows in ${f.batches} batches of ${f.batchRows.toLocaleString('en-US')}, ${fmt(f.ipcBytes / 1e6, 1)} MB of IPC`,
    )
    .join('; ')
  const lines = [
    `Fixtures: ${fixtures}. Median of up to ${r.rounds} interleaved rounds.`,
    '',
    '| case | MB/s | ms (median) | × plain | CPU ms | × plain (CPU) | rounds |',
    '|---|---:|---:|---:|---:|---:|---:|',
  ]
  for (const c of r.results) {
    const ratio = rel.get(c.name)
    const ratioCpu = relCpu.get(c.name)
    const cpu = c.cpuMs === undefined ? '' : fmt(c.cpuMs)
    lines.push(
      `| \`${c.name}\` | ${c.bytes ? fmt(c.mbps, 0) : '–'} | ${fmt(c.ms)} | ${ratio === undefined ? '' : fmt(ratio)} | ${cpu} | ${ratioCpu === undefined ? '' : fmt(ratioCpu)} | ${c.samples.length} |`,
    )
  }
  return lines.join('\n')
}

/**
 * The targets table.
 *
 * @example
 * ```ts
 * console.log(targetsBlock(report.targets))
 * ```
 */
export function targetsBlock(targets: readonly Target[]): string {
  const lines = [
    '| target | limit | measured (wall) | status | measured (CPU time) | inputs (wall) |',
    '|---|---:|---:|---|---:|---|',
  ]
  for (const t of targets) {
    const measured = t.measured === null ? 'n/a' : fmt(t.measured)
    const cpu = t.measuredCpu === null || t.measuredCpu === undefined ? 'n/a' : fmt(t.measuredCpu)
    lines.push(`| ${t.target} | ${t.sense} ${t.limit} | ${measured} | **${t.status}** | ${cpu} | ${t.detail} |`)
  }
  return lines.join('\n')
}

/**
 * The fresh-stream breakdown table.
 *
 * @example
 * ```ts
 * console.log(breakdownBlock(report))
 * ```
 */
export function breakdownBlock(r: RunReport): string {
  const lines = ['| step | CPU ms (median) | wall ms (median) | paid |', '|---|---:|---:|---|']
  for (const s of r.freshBreakdown) {
    const cpu = s.cpuMs === undefined ? '' : fmt(s.cpuMs, 3)
    lines.push(`| ${s.step.trim()} | ${cpu} | ${fmt(s.ms, 3)} | ${s.note} |`)
  }
  const fresh = [
    'arrowseal/fresh-1row',
    'arrowseal/fresh-1row/seal',
    'arrowseal/fresh-1row/open',
    'arrowseal/fresh-1row-session',
    'arrowseal/fresh-1row-session/seal',
    'arrowseal/fresh-1row-session/open',
  ]
    .map((n) => r.results.find((c) => c.name === n))
    .filter((c) => c !== undefined)
  if (fresh.length) {
    lines.push('', 'Measured end to end in the same run:', '')
    for (const c of fresh) {
      const cpu = c.cpuMs === undefined ? '' : `, ${fmt(c.cpuMs)} ms of CPU time`
      lines.push(`- \`${c.name}\`: ${fmt(c.ms)} ms wall${cpu} (median of ${c.samples.length})`)
    }
  }
  return lines.join('\n')
}

/**
 * The fresh-stream latency per runtime and post-quantum backend (bench/fresh-runtimes.ts), empty for older runs.
 *
 * @example
 * ```ts
 * console.log(freshRuntimesBlock(report))
 * ```
 */
export function freshRuntimesBlock(r: RunReport): string {
  const rows = r.freshRuntimes ?? []
  if (!rows.length) return '_Not measured in this run._'
  const lines = [
    '| runtime | post-quantum backend | hybrid-signed header (ms) | CPU ms | writer session (ms) | CPU ms | load (1 min) |',
    '|---|---|---:|---:|---:|---:|---:|',
  ]
  for (const x of rows) {
    lines.push(
      `| Node ${x.node.slice(1)} | ${x.pq}${x.isDefault ? ' (default)' : ''} | ${fmt(x.hybridMs)} | ${fmt(x.hybridCpuMs)} | ${fmt(x.sessionMs)} | ${fmt(x.sessionCpuMs)} | ${fmt(x.load)} |`,
    )
  }
  return lines.join('\n')
}

/**
 * The memory table.
 *
 * @example
 * ```ts
 * console.log(memoryBlock(report))
 * ```
 */
export function memoryBlock(r: MemoryReport): string {
  const lines = [
    `Run: ${r.mode}, ${r.date}, ${r.source}.`,
    '',
    '| run | input | 64k-row batches | RSS before | peak RSS | peak heap used | peak ArrayBuffers | MB/s |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  ]
  for (const m of r.memory) {
    lines.push(
      `| ${m.mode} | ${fmt(m.inputBytes / 1e6, 0)} MB | ${m.batches} | ${fmt(m.rssBeforeMB, 0)} MB | **${fmt(m.peakRssMB, 0)} MB** | ${fmt(m.peakHeapUsedMB, 0)} MB | ${m.peakArrayBuffersMB === undefined ? '' : `${fmt(m.peakArrayBuffersMB, 0)} MB`} | ${fmt(m.mbps, 0)} |`,
    )
  }
  lines.push('', targetsBlock(r.targets))
  return lines.join('\n')
}

/**
 * The batch-size table: MB/s of plain Arrow IPC and of the streaming seal and open per rows-per-batch, and
 * arrowseal's throughput relative to its own at 65,536 rows (the 64k fixture's batch size).
 *
 * @example
 * ```ts
 * console.log(batchSizesBlock(report))
 * ```
 */
export function batchSizesBlock(r: BatchSizeReport): string {
  // Case names carry `-merged` for the run that merged its batches; compare by the operation alone.
  const mbps = (run: BatchSizeReport['runs'][number], name: string) =>
    run.results.find((c) => c.name.split('/')[1]!.replace('-merged', '') === name)?.mbps ?? Number.NaN
  const ref = r.runs.find((run) => run.batchRows === 65_536 && !run.minBatchRows)
  const lines = [
    `Run: ${r.date}, ${r.source}, ${r.rows.toLocaleString('en-US')} rows, median of ${r.rounds} interleaved rounds, load ${r.machine.loadAverage.join(' / ')}.`,
    '',
    '| rows per batch | batches | Arrow IPC write MB/s | Arrow IPC read MB/s | `SealStream` MB/s | `OpenStream` MB/s | seal vs 65,536 | open vs 65,536 |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|',
  ]
  for (const run of r.runs) {
    const seal = mbps(run, 'stream-seal')
    const open = mbps(run, 'stream-open')
    const rel = (x: number, name: string) => (ref ? fmt(x / mbps(ref, name)) : '')
    lines.push(
      `| ${run.batchRows.toLocaleString('en-US')}${run.minBatchRows ? `, merged to ≥ ${run.minBatchRows.toLocaleString('en-US')}` : ''} | ${run.batches} | ${fmt(mbps(run, 'arrow-ipc-write'), 0)} | ${fmt(mbps(run, 'arrow-ipc-read'), 0)} | ${fmt(seal, 0)} | ${fmt(open, 0)} | ${rel(seal, 'stream-seal')} | ${rel(open, 'stream-open')} |`,
    )
  }
  return lines.join('\n')
}

function replaceBlock(page: string, name: string, body: string): string {
  const open = `<!-- bench:${name} -->`
  const close = `<!-- /bench:${name} -->`
  const start = page.indexOf(open)
  const end = page.indexOf(close)
  if (start < 0 || end < start) return page
  return `${page.slice(0, start + open.length)}\n${body}\n${page.slice(end)}`
}

function main(): void {
  const argv = process.argv.slice(2)
  const arg = (name: string) => {
    const at = argv.indexOf(name)
    return at >= 0 ? argv[at + 1] : undefined
  }
  const full = load<RunReport>(arg('--full') ?? newest(/^\d{4}-\d{2}-\d{2}-full\.json$/))
  const quick = load<RunReport>(arg('--quick') ?? newest(/^\d{4}-\d{2}-\d{2}-quick\.json$/))
  const memory = load<MemoryReport>(arg('--memory') ?? newest(/-memory-full\.json$/) ?? newest(/-memory-quick\.json$/))
  const sizes = load<BatchSizeReport>(arg('--batch-sizes') ?? newest(/-batch-sizes\.json$/))
  const main = full ?? quick
  const blocks: Record<string, string> = {}
  if (main) {
    blocks['machine'] = machineBlock(main)
    blocks['results'] = resultsBlock(main)
    blocks['targets'] = targetsBlock(main.targets)
    blocks['breakdown'] = breakdownBlock(main)
    if (main.freshRuntimes) blocks['fresh-runtimes'] = freshRuntimesBlock(main)
  }
  if (quick) blocks['quick-targets'] = `${resultsBlock(quick)}\n\n${targetsBlock(quick.targets)}`
  if (memory) blocks['memory'] = memoryBlock(memory)
  if (sizes) blocks['batch-sizes'] = batchSizesBlock(sizes)
  if (!argv.includes('--write')) {
    for (const [name, body] of Object.entries(blocks)) console.log(`\n<!-- bench:${name} -->\n${body}`)
    return
  }
  let page = readFileSync(docsPage, 'utf8')
  for (const [name, body] of Object.entries(blocks)) page = replaceBlock(page, name, body)
  writeFileSync(docsPage, page)
  console.log(`updated ${docsPage}: ${Object.keys(blocks).join(', ')}`)
}

main()
