/**
 * Rewrap vs sealing afresh (issue 14): the time to rewrap a sealed stream (new header, new MACs, every unit copied
 * unchanged) against the time to seal the same batches, side by side in one process, and the peak RSS of a
 * streaming rewrap as the input grows (one child process per size, input generated on the fly and sealed into
 * the rewrap, output discarded, so no size is ever held whole).
 *
 *   npx tsx --expose-gc bench/rewrap.ts [--mb 100] [--rss 100,1024] [--rounds 5]
 *
 * `rewrap/stream` is the Node entry's default (frames hashed on a second thread as well); `stream-…-one-thread` is
 * the same with `hashThread: false`.
 *
 * Targets: rewrap ≤ 40 % of the seal time of the same stream, by wall and by CPU time (process.cpuUsage, every
 * thread), by median of the rounds; peak RSS flat (not proportional to size) up to 1 GB. A MISS is reported, not
 * failed. `--rss ''` skips the memory runs.
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

/** Drains a byte stream, counting bytes. */
async function drain(stream: ReadableStream<Uint8Array>): Promise<number> {
  let n = 0
  await stream.pipeTo(
    new WritableStream({
      write(chunk) {
        n += chunk.length
      },
    }),
  )
  return n
}

/** The sealed bytes as a stream of 1 MiB views, as a file or socket would deliver them. */
function chunks(bytes: Uint8Array): ReadableStream<Uint8Array> {
  let o = 0
  return new ReadableStream<Uint8Array>({
    pull(c) {
      if (o >= bytes.length) return c.close()
      c.enqueue(bytes.subarray(o, o + 2 ** 20))
      o += 2 ** 20
    },
  })
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

/** Wall and CPU milliseconds of each run of one case. */
interface Runs {
  readonly wall: number[]
  readonly cpu: number[]
}

/** CPU time of the whole process (every thread: user + system), in milliseconds. */
function cpuMs(): number {
  const c = process.cpuUsage()
  return (c.user + c.system) / 1000
}

/** Runs `f` once, adding its wall and CPU time to `into`. */
async function timed(f: () => Promise<unknown>, into: Runs): Promise<void> {
  const c = cpuMs()
  const t = performance.now()
  await f()
  into.wall.push(performance.now() - t)
  into.cpu.push(cpuMs() - c)
}

/**
 * Times `a` and `b` alternately, collecting garbage before each when allowed (`--expose-gc`). CPU time is taken
 * too: on a loaded machine other processes stretch the wall time, not the CPU time this process spends.
 */
async function sideBySide(rounds: number, a: () => Promise<unknown>, b: () => Promise<unknown>): Promise<[Runs, Runs]> {
  const gc = (globalThis as { gc?: () => void }).gc ?? (() => {})
  const ra: Runs = { wall: [], cpu: [] }
  const rb: Runs = { wall: [], cpu: [] }
  await a()
  await b()
  for (let r = 0; r < rounds; r++) {
    gc()
    await timed(a, ra)
    gc()
    await timed(b, rb)
  }
  return [ra, rb]
}

/**
 * Prints both runs and their ratio, by wall and by CPU time, by median and by minimum: on a shared, loaded machine
 * the minimum is the run least disturbed by other work, the median what a busy machine gives.
 */
function report(name: string, seal: Runs, re: Runs): void {
  const verdict = (r: number) => `${(r * 100).toFixed(1)} % (${r <= 0.4 ? 'MET' : 'MISS'})`
  const list = (xs: number[]) => xs.map((x) => x.toFixed(0)).join(' ')
  console.log(`${name}: seal ${list(seal.wall)} ms; rewrap ${list(re.wall)} ms (wall)`)
  console.log(`  CPU: seal ${list(seal.cpu)} ms; rewrap ${list(re.cpu)} ms`)
  for (const kind of ['wall', 'cpu'] as const) {
    const byMedian = median(re[kind]) / median(seal[kind])
    const byMin = Math.min(...re[kind]) / Math.min(...seal[kind])
    console.log(`  rewrap / seal by ${kind}, target ≤ 40 %: median ${verdict(byMedian)}, minimum ${verdict(byMin)}`)
  }
}

async function timing(): Promise<void> {
  const mb = Number(arg('--mb', '100'))
  const rounds = Number(arg('--rounds', '5'))
  const n = Math.max(1, Math.round((mb * MB) / batchBytes()))
  const p = await parties()
  const table = new Table(Array.from({ length: n }, (_, i) => mixedBatch(i * BATCH_ROWS, BATCH_ROWS)))
  const options = { signer: p.writer, recipients: p.recipients, policy: POLICY }
  const sealed = await sealTable(table, options)
  console.log(`rewrap: ${n} batches of ${BATCH_ROWS} rows, ${(sealed.length / MB).toFixed(1)} MB sealed`)
  const sealStream = () =>
    drain(
      new ReadableStream({
        start(c) {
          for (const b of table.batches) c.enqueue(b)
          c.close()
        },
      }).pipeThrough(new SealStream(options)),
    )
  // Streams: SealStream of the batches vs rewrapStream of the sealed bytes, both drained.
  const [ss, rs] = await sideBySide(rounds, sealStream, () => drain(rewrapStream(chunks(sealed), p.change)))
  report(`rewrap/stream-${mb}MB`, ss, rs)
  // The same on the calling thread only (`hashThread: false`): what the frame-hashing thread saves.
  const [ss1, rs1] = await sideBySide(rounds, sealStream, () =>
    drain(rewrapStream(chunks(sealed), { ...p.change, hashThread: false })),
  )
  report(`rewrap/stream-${mb}MB-one-thread`, ss1, rs1)
  // Whole buffers: sealTable vs rewrap (both allocate and fill one output buffer).
  const [sw, rw] = await sideBySide(
    rounds,
    () => sealTable(table, options),
    () => rewrap(sealed, p.change),
  )
  report(`rewrap/whole-${mb}MB`, sw, rw)
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
  const sizes = arg('--rss', '100,1024').split(',').filter(Boolean).map(Number)
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
