/**
 * Draws the throughput chart for the docs from a results file, as hand-written SVG (no dependencies).
 *
 *   npx tsx bench/chart.ts [bench/results/<file>.json] [--out docs/benchmarks.svg]
 *
 * Without a path it uses the newest `*-full.json` (else the newest `*-quick.json`) in `bench/results/`.
 * Two panels, write side (seal, encrypt, IPC write) and read side (open, decrypt, IPC read); bars are MB/s of
 * the fixture's plain IPC bytes on a log scale, coloured by layer.
 *
 * @module
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { CaseResult } from './harness.js'
import type { RunReport } from './report.js'

const COLORS: Record<string, string> = { baseline: '#8c8c8c', peer: '#e07b39', arrowseal: '#2f6db5' }
const LABEL_W = 300
const BAR_W = 380
const ROW_H = 22
const PAD = 16

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

function isReadSide(name: string): boolean {
  return /(^|\/)(open|decrypt|arrow-ipc-read|stream-open[^/]*)(\/|$)/.test(name)
}

/**
 * Renders the chart.
 *
 * @example
 * ```ts
 * const svg = renderChart(JSON.parse(readFileSync('bench/results/2026-11-29-full.json', 'utf8')))
 * ```
 */
export function renderChart(report: RunReport): string {
  const rows = report.results.filter((r) => r.bytes > 0)
  const panels: Array<[string, CaseResult[]]> = [
    ['Write side: table → protected bytes', rows.filter((r) => !isReadSide(r.name))],
    ['Read side: protected bytes → table', rows.filter((r) => isReadSide(r.name))],
  ]
  // Log scale: throughputs span three orders of magnitude (pure-JS peers to zero-copy IPC reads), and a linear
  // axis would flatten everything but the fastest bar. Decades from 1 MB/s to the next power of ten.
  const decades = Math.max(1, Math.ceil(Math.log10(Math.max(...rows.map((r) => r.mbps)))))
  const scale = (mbps: number) => (Math.log10(Math.max(1, mbps)) / decades) * BAR_W
  const width = PAD * 2 + LABEL_W + BAR_W + 90
  const parts: string[] = []
  let y = PAD
  const m = report.machine
  const title = `Throughput, MB/s of plain Arrow IPC bytes, log scale (higher is better) — ${report.mode} run`
  const subtitle = `${m.cpu}, ${m.nproc} cores, Node ${m.node}; ${Object.entries(report.fixtures)
    .map(([k, f]) => `${k}: ${f.rows.toLocaleString('en-US')} rows in ${f.batches} batches`)
    .join('; ')}`
  parts.push(`<text x="${PAD}" y="${y + 14}" font-size="15" font-weight="bold">${escapeXml(title)}</text>`)
  y += 20
  parts.push(`<text x="${PAD}" y="${y + 12}" font-size="11" fill="#555">${escapeXml(subtitle)}</text>`)
  y += 26
  const gridTop = y
  const grid: string[] = []
  for (const [heading, list] of panels) {
    parts.push(`<text x="${PAD}" y="${y + 13}" font-size="13" font-weight="bold">${escapeXml(heading)}</text>`)
    y += 20
    for (const r of list) {
      const layer = r.name.split('/')[0] ?? 'baseline'
      const w = Math.max(1, scale(r.mbps))
      const color = COLORS[layer] ?? '#444'
      parts.push(
        `<text x="${PAD + LABEL_W - 8}" y="${y + 15}" font-size="12" text-anchor="end">${escapeXml(r.name)}</text>`,
        `<rect x="${PAD + LABEL_W}" y="${y + 4}" width="${w.toFixed(1)}" height="${ROW_H - 8}" fill="${color}"/>`,
        `<text x="${(PAD + LABEL_W + w + 6).toFixed(1)}" y="${y + 15}" font-size="12">${r.mbps.toFixed(0)}</text>`,
      )
      y += ROW_H
    }
    y += 10
  }
  for (let d = 0; d <= decades; d++) {
    const x = (PAD + LABEL_W + (d / decades) * BAR_W).toFixed(1)
    grid.push(
      `<line x1="${x}" y1="${gridTop}" x2="${x}" y2="${y}" stroke="#ddd" stroke-width="1"/>`,
      `<text x="${x}" y="${y + 12}" font-size="10" fill="#777" text-anchor="middle">${10 ** d}</text>`,
    )
  }
  parts.unshift(...grid)
  y += 18
  let lx = PAD + LABEL_W
  for (const [layer, color] of Object.entries(COLORS)) {
    parts.push(
      `<rect x="${lx}" y="${y + 2}" width="12" height="12" fill="${color}"/>`,
      `<text x="${lx + 16}" y="${y + 12}" font-size="12">${layer}</text>`,
    )
    lx += 110
  }
  y += 24
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y}" viewBox="0 0 ${width} ${y}" `,
    `font-family="system-ui, -apple-system, Segoe UI, sans-serif" role="img" aria-label="${escapeXml(title)}">\n`,
    `<rect width="100%" height="100%" fill="#fff"/>\n`,
    parts.join('\n'),
    '\n</svg>\n',
  ].join('')
}

function newestResults(dir: string): string {
  const files = readdirSync(dir).filter((f) => /^\d{4}-\d{2}-\d{2}-(full|quick)\.json$/.test(f))
  const pick = (kind: string) =>
    files
      .filter((f) => f.endsWith(`-${kind}.json`))
      .sort()
      .at(-1)
  const file = pick('full') ?? pick('quick')
  if (!file) throw new Error(`no results in ${dir}; run npx tsx bench/run.ts first`)
  return `${dir}/${file}`
}

function main(): void {
  const argv = process.argv.slice(2)
  const outAt = argv.indexOf('--out')
  const out = outAt >= 0 ? argv[outAt + 1]! : fileURLToPath(new URL('../docs/benchmarks.svg', import.meta.url))
  const input = argv.find((a, i) => !a.startsWith('--') && (outAt < 0 || i !== outAt + 1))
  const path = input ?? newestResults(fileURLToPath(new URL('./results', import.meta.url)))
  const report = JSON.parse(readFileSync(path, 'utf8')) as RunReport
  writeFileSync(out, renderChart(report))
  console.log(`wrote ${out} from ${path}`)
}

main()
