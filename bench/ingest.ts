/**
 * Text ingest at scale (issue 16): a CSV and an NDJSON file of about 2 GB each, generated in a temporary
 * directory (deleted afterwards), sealed and opened by the built CLI, with the peak RSS of each command and its
 * throughput next to the parser alone on the same file (csv-parse for CSV; line splitting + JSON.parse for
 * NDJSON) and the CLI's reader alone (parsing plus Arrow columns, no sealing), run in this one process side by side.
 *
 *   npm run build && npx tsx bench/ingest.ts [--gb 2] [--formats csv,ndjson] [--cli path/to/cli/main.js]
 *
 * Not part of CI (it writes 4 GB and takes minutes). Peak RSS comes from GNU time (`%M`), so it is the whole
 * child process, Node and WebAssembly included. The target is under 400 MB for every command; a MISS is
 * reported, not failed. Throughput is given per wall-clock second and per CPU second (user + system): on a
 * shared machine the CPU figure is the one that compares the commands with the parser alone.
 *
 * @module
 */
import { spawn } from 'node:child_process'
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { fileURLToPath } from 'node:url'
import { parse } from 'csv-parse'
import { readCsv } from '../src/cli/convert/csv-read.js'
import { readNdjson } from '../src/cli/convert/ndjson-read.js'
import { generateIdentity } from '../src/index.js'
import { writeIdentityFile } from '../src/node/files.js'
import { machine, writeReport } from './report.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const MB = 1e6
const TARGET_MB = 400

function arg(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`)
  return at >= 0 ? (process.argv[at + 1] ?? fallback) : fallback
}

// --cli: a copy of the built CLI, so that a long run is not disturbed by a rebuild of dist/ meanwhile.
const CLI = arg('cli', join(ROOT, 'dist', 'cli', 'main.js'))

// Deterministic rows of a pipeline-like export: ids, names with quotes and commas, amounts, timestamps, flags.
function row(i: number): [number, string, string, string, string, boolean] {
  const names = ['Ada Lovelace', 'Alan "the" Turing', 'Grace Hopper, RADM', 'Edsger Dijkstra', 'Barbara Liskov']
  const amount = ((i * 7919) % 1_000_000) / 100
  const at = new Date(Date.UTC(2024, 0, 1) + i * 1000).toISOString()
  return [i, names[i % names.length]!, `user${i}@example.org`, amount.toFixed(2), at, i % 3 === 0]
}

async function generate(path: string, format: 'csv' | 'ndjson', bytes: number): Promise<number> {
  const out = createWriteStream(path)
  const write = (text: string) =>
    out.write(text) ? Promise.resolve() : new Promise<void>((resolve) => out.once('drain', () => resolve()))
  let written = 0
  let rows = 0
  if (format === 'csv') {
    const header = 'id,name,email,amount,at,flag\n'
    await write(header)
    written += header.length
  }
  while (written < bytes) {
    let chunk = ''
    for (let k = 0; k < 4096; k++, rows++) {
      const [id, name, email, amount, at, flag] = row(rows)
      chunk +=
        format === 'csv'
          ? `${id},"${name.replaceAll('"', '""')}",${email},${amount},${at},${flag}\n`
          : `${JSON.stringify({ id, name, email, amount: Number(amount), at, flag })}\n`
    }
    await write(chunk)
    written += Buffer.byteLength(chunk)
  }
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())))
  return rows
}

async function parserAlone(
  path: string,
  format: 'csv' | 'ndjson',
): Promise<{ seconds: number; cpuSeconds: number; rows: number }> {
  const start = performance.now()
  const cpu = process.cpuUsage()
  let rows = 0
  if (format === 'csv') {
    const parser = parse({ skip_empty_lines: true })
    const done = pipeline(createReadStream(path, { highWaterMark: 1 << 20 }), parser)
    for await (const _ of parser) rows++
    await done
    rows--
  } else {
    const decoder = new TextDecoder()
    let tail = ''
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
      const text = tail + decoder.decode(chunk as Uint8Array, { stream: true })
      const lines = text.split('\n')
      tail = lines.pop() ?? ''
      for (const line of lines) {
        if (line === '') continue
        JSON.parse(line)
        rows++
      }
    }
  }
  const used = process.cpuUsage(cpu)
  return { seconds: (performance.now() - start) / 1000, cpuSeconds: (used.user + used.system) / 1e6, rows }
}

// The CLI's own reader in this process: parsing plus typing values into Arrow columns, without sealing. Sealing
// is then the difference between this and `seal`.
async function readerAlone(path: string, format: 'csv' | 'ndjson'): Promise<{ seconds: number; cpuSeconds: number }> {
  const start = performance.now()
  const cpu = process.cpuUsage()
  const read = format === 'csv' ? readCsv : readNdjson
  const chunks = createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Uint8Array>
  const { batches } = await read(chunks, { batchRows: 65_536 })
  for await (const _ of batches);
  const used = process.cpuUsage(cpu)
  return { seconds: (performance.now() - start) / 1000, cpuSeconds: (used.user + used.system) / 1e6 }
}

interface Measured {
  seconds: number
  cpuSeconds: number
  peakRssMB: number
  code: number | null
}

// Runs the CLI under GNU time; stdout goes to `stdoutTo` (a file path) or is discarded.
function timed(args: string[], stdoutTo?: string): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/time', ['-f', '%M %e %U %S', process.execPath, CLI, ...args], {
      stdio: ['ignore', stdoutTo ? 'pipe' : 'ignore', 'pipe'],
    })
    if (stdoutTo && child.stdout) child.stdout.pipe(createWriteStream(stdoutTo))
    let stderr = ''
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString()
    })
    child.on('error', reject)
    child.on('close', (code) => {
      const last = stderr.trimEnd().split('\n').at(-1) ?? ''
      const [kb, secs, user, sys] = last.split(' ').map(Number)
      if (code !== 0) process.stderr.write(stderr)
      resolve({
        seconds: secs ?? Number.NaN,
        cpuSeconds: (user ?? Number.NaN) + (sys ?? Number.NaN),
        peakRssMB: ((kb ?? 0) * 1024) / MB,
        code,
      })
    })
  })
}

async function main(): Promise<void> {
  const gb = Number(arg('gb', '2'))
  const formats = arg('formats', 'csv,ndjson').split(',') as ('csv' | 'ndjson')[]
  const dir = mkdtempSync(join(tmpdir(), 'arrowseal-ingest-'))
  const at = (name: string) => join(dir, name)
  const results: Record<string, unknown>[] = []
  try {
    const [writer, reader] = await Promise.all([generateIdentity(), generateIdentity()])
    await writeIdentityFile(at('writer.key'), writer)
    await writeIdentityFile(at('reader.key'), reader)
    writeFileSync(at('recipients.json'), JSON.stringify({ analysts: [reader.publicKey] }))
    writeFileSync(
      at('policy.json'),
      JSON.stringify({ fields: { id: 'public', email: ['analysts'] }, default: ['analysts'] }),
    )
    const seal = ['seal', '--policy', at('policy.json'), '--recipients', at('recipients.json')]
    const open = ['open', '--identity', at('reader.key'), '--trust', writer.publicKey]
    for (const format of formats) {
      const input = at(`data.${format}`)
      const rows = await generate(input, format, gb * 1e9)
      const size = statSync(input).size
      const alone = await parserAlone(input, format)
      const reader = await readerAlone(input, format)
      const sealed = await timed([...seal, '--signer', at('writer.key'), '-o', at('data.aseal'), input])
      const sealedSize = statSync(at('data.aseal')).size
      rmSync(input)
      const toFile = await timed([...open, '--format', format, '-o', at(`back.${format}`), at('data.aseal')])
      const backSize = statSync(at(`back.${format}`)).size
      rmSync(at(`back.${format}`))
      // To stdout, streamed: the pipe is drained by this process and thrown away.
      const toStdout = await timed([...open, '--format', 'arrow', at('data.aseal')])
      rmSync(at('data.aseal'))
      const mbps = (seconds: number) => Math.round((size / MB / seconds) * 10) / 10
      const rates = (m: { seconds: number; cpuSeconds: number }) => ({
        mbps: mbps(m.seconds),
        mbPerCpuSecond: mbps(m.cpuSeconds),
        cpuRatioToParser: Math.round((alone.cpuSeconds / m.cpuSeconds) * 100) / 100,
      })
      const result = {
        format,
        inputMB: Math.round(size / MB),
        rows,
        parserAlone: { ...alone, mbps: mbps(alone.seconds), mbPerCpuSecond: mbps(alone.cpuSeconds) },
        readerAlone: { ...reader, ...rates(reader) },
        seal: { ...sealed, ...rates(sealed), outMB: sealedSize / MB },
        openToFile: { ...toFile, ...rates(toFile), outMB: backSize / MB },
        openToStdoutArrow: { ...toStdout, ...rates(toStdout) },
      }
      results.push(result)
      const mark = (m: Measured) =>
        `${m.peakRssMB.toFixed(0)} MB${m.peakRssMB < TARGET_MB ? '' : ' MISS'}${m.code === 0 ? '' : ` (exit ${m.code})`}`
      const rate = (r: { mbps: number; mbPerCpuSecond: number }) => `${r.mbps} MB/s wall, ${r.mbPerCpuSecond} MB/CPU-s`
      console.log(
        `${format}: ${result.inputMB} MB, ${rows} rows | parser alone ${rate(result.parserAlone)} | ` +
          `reader alone (parse + Arrow columns) ${rate(result.readerAlone)} | ` +
          `seal ${rate(result.seal)} (${result.seal.cpuRatioToParser}x the parser's CPU rate), peak ${mark(sealed)} | ` +
          `open -> ${format} file ${rate(result.openToFile)}, peak ${mark(toFile)} | ` +
          `open -> stdout (arrow) ${rate(result.openToStdoutArrow)}, peak ${mark(toStdout)}`,
      )
    }
    const day = new Date().toISOString().slice(0, 10)
    writeReport(join(ROOT, 'bench', 'results', `${day}-ingest-${gb}gb-${formats.join('-')}.json`), {
      machine: machine(),
      gb,
      targetPeakRssMB: TARGET_MB,
      results,
    })
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

await main()
