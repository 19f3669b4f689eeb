/**
 * Rewrap vs sealing afresh (issue 14): the time to rewrap a sealed stream (new header, new MACs, every unit copied
 * unchanged) against the time to seal the same batches, side by side in one process, and the peak RSS of a
 * streaming rewrap as the input grows (one child process per size, input generated on the fly and sealed into
 * the rewrap, output discarded, so no size is ever held whole).
 *
 *   npx tsx bench/rewrap.ts [--mb 100] [--rss 100,1024] [--rounds 3]
 *
 * Targets: rewrap ≤ 40 % of the seal time of the same stream; peak RSS flat (not proportional to size) up to
 * 1 GB. A MISS is reported, not failed.
 *
 * @module
 */
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { type RecordBatch, Table, tableToIPC } from 'apache-arrow'
import { generateIdentity, rewrap, rewrapStream, SealStream, sealTable } from '../src/index.node.js'
import { mixedBatch, POLICY, ROLES } from './fixtures.js'

const BATCH_ROWS = 65_536
const MB = 1e6
const argv = process.argv.slice(2)
const arg = (name: string, fallback: string) => {
  const i = argv.indexOf(name)
  return i >= 0 ? argv[i + 1]! : fallback
}

async function parties() {
  const writer = await generateIdentity()
  const readers = Object.fromEntries(await Promise.all(ROLES.map(async (r) => [r, await generateIdentity()] as const)))
  const newcomer = await generateIdentity()
  const recipients: Record<string, string[]> = {}
  for (const role of ROLES) recipients[role] = [readers[role]!.publicKey]
  const change = {
    identity: readers['auditors']!,
    signer: readers['auditors']!,
    trustedSigners: [writer.publicKey],
    policy: POLICY,
    add: { analysts: [newcomer.publicKey] },
    remove: [readers['analysts']!.publicKey],
  }
  return { writer, recipients, change }
}

const batchBytes = () => tableToIPC(new Table([mixedBatch(0, BATCH_ROWS)]), 'stream').length

function batches(n: number): ReadableStream<RecordBatch> {
  let i = 0
  return new ReadableStream<RecordBatch>(
    {
      pull(c) {
        if (i === n) return c.close()
        c.enqueue(mixedBatch(i * BATCH_ROWS, BATCH_ROWS))
        i++
      },
    },
    { highWaterMark: 1 },
  )
}

async function timing(): Promise<void> {
  const mb = Number(arg('--mb', '100'))
  const rounds = Number(arg('--rounds', '3'))
  const n = Math.max(1, Math.round((mb * MB) / batchBytes()))
  const p = await parties()
  const table = new Table(Array.from({ length: n }, (_, i) => mixedBatch(i * BATCH_ROWS, BATCH_ROWS)))
  const options = { signer: p.writer, recipients: p.recipients, policy: POLICY }
  let sealed = await sealTable(table, options)
  await rewrap(sealed, p.change) // warm-up of both paths
  const seal: number[] = []
  const re: number[] = []
  for (let r = 0; r < rounds; r++) {
    let t = performance.now()
    sealed = await sealTable(table, options)
    seal.push(performance.now() - t)
    t = performance.now()
    await rewrap(sealed, p.change)
    re.push(performance.now() - t)
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
  const s = median(seal)
  const w = median(re)
  const ratio = w / s
  console.log(`rewrap/whole-${mb}MB: ${n} batches, ${(sealed.length / MB).toFixed(1)} MB sealed`)
  console.log(
    `  seal afresh ${s.toFixed(0)} ms, rewrap ${w.toFixed(0)} ms: ${(ratio * 100).toFixed(1)} % of seal (target ≤ 40 %: ${ratio <= 0.4 ? 'MET' : 'MISS'})`,
  )
}

/** Child: seals `n` batches on the fly into rewrapStream and discards the output; prints peak RSS as JSON. */
async function child(n: number, mode: 'seal' | 'seal+rewrap'): Promise<void> {
  const p = await parties()
  let peak = 0
  const sample = () => {
    peak = Math.max(peak, process.memoryUsage.rss())
  }
  const timer = setInterval(sample, 10)
  let sealedBytes: ReadableStream<Uint8Array> = batches(n).pipeThrough(
    new SealStream({ signer: p.writer, recipients: p.recipients, policy: POLICY }),
  )
  if (mode === 'seal+rewrap') sealedBytes = rewrapStream(sealedBytes, p.change)
  let out = 0
  await sealedBytes.pipeTo(
    new WritableStream({
      write(chunk) {
        out += chunk.length
        sample()
      },
    }),
  )
  clearInterval(timer)
  console.log(JSON.stringify({ mode, inputMB: (n * batchBytes()) / MB, outMB: out / MB, peakRssMB: peak / MB }))
}

function runChild(n: number, mode: string): { mode: string; inputMB: number; peakRssMB: number } {
  const script = fileURLToPath(import.meta.url)
  const res = spawnSync(process.execPath, [...process.execArgv, script, '--child', String(n), mode], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  })
  if (res.status !== 0) throw new Error(`child failed: ${res.stderr}`)
  return JSON.parse(res.stdout.trim().split('\n').pop()!)
}

async function main(): Promise<void> {
  if (argv[0] === '--child') return child(Number(argv[1]), argv[2] as 'seal' | 'seal+rewrap')
  await timing()
  const sizes = arg('--rss', '100,1024').split(',').map(Number)
  console.log(
    'rewrap/stream-rss: peak RSS of SealStream → rewrapStream → discard (and SealStream alone), per input size',
  )
  for (const mb of sizes) {
    const n = Math.max(1, Math.round((mb * MB) / batchBytes()))
    const base = runChild(n, 'seal')
    const both = runChild(n, 'seal+rewrap')
    console.log(
      `  ${String(mb).padStart(5)} MB: seal alone ${base.peakRssMB.toFixed(0)} MB, seal+rewrap ${both.peakRssMB.toFixed(0)} MB peak RSS`,
    )
  }
}

await main()
