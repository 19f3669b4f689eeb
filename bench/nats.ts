/**
 * Sealed pipeline throughput through NATS JetStream (issue 15), not a timed test:
 *
 *   npx tsx bench/nats.ts [--batches N] [--rows N] [--server HOST:PORT] [--workers N] [--cpu-prof DIR]
 *
 * Each run is two processes, as in a deployment: a writer process and a reader process (bench/nats-peer.ts,
 * forked with an IPC channel), both connected to the server, both prepared before the clock starts.
 *
 * - `nats/plain`: the writer encodes each 64k-row batch as Arrow IPC stream bytes and publishes it, cut into parts
 *   below max_payload, on the pipeline's frames subject with the same envelope headers and the same acks in flight
 *   as the sealed writer; the reader consumes with a durable pull consumer (same pull size), ack-all after each
 *   batch decoded, and decodes with apache-arrow.
 * - `nats/sealed`: the writer runs `publishSealed`, the reader a `NatsStreamReader` (claim, header verification,
 *   per-stream position, every frame verified and decrypted, acknowledged after hand-over).
 *
 * Runs side by side: plain, sealed, sealed, plain, after a small warm-up run of each. A run's time is from `go`
 * (sent to both processes at once) to the later of their `done`; the ratio is sealed over plain rows/s. Then, in
 * this process, the same batches are encoded, decoded, sealed and opened in memory: the CPU floor of each side.
 * `--workers N` seals and opens on N worker threads in each sealed process (the `workers` option of
 * `publishSealed` and `NatsStreamReader.join`); default 0, everything on the process's main thread.
 * `--cpu-prof DIR` writes a V8 CPU profile of each writer and reader process, from `go` to `done`, to DIR.
 * Target (issue 15): ≥ 0.8.
 * @module
 */
import { fork } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { jetstreamManager } from '@nats-io/jetstream'
import { connect } from '@nats-io/transport-node'
import { type RecordBatch, Table, tableFromIPC, tableToIPC } from 'apache-arrow'
import { OpenStream, SealStream } from '../src/index.node.js'
import { pipelineSubjects } from '../src/nats/envelope.js'
import { ensurePipeline } from '../src/nats/setup.js'
import { drain, makeBatches, openOptions, sealOptions, streamOf } from './nats-data.js'
import type { PeerArgs, PeerReport } from './nats-peer.js'

const args = process.argv.slice(2)
const opt = (name: string) => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 ? args[i + 1] : undefined
}
const BATCHES = Number(opt('batches') ?? 24)
const ROWS = Number(opt('rows') ?? 65_536)
const server = opt('server') ?? '127.0.0.1:4222'
const profDir = opt('cpu-prof')
const WORKERS = Number(opt('workers') ?? 0)
const peerFile = fileURLToPath(new URL('./nats-peer.ts', import.meta.url))

interface Side {
  ms: number
  cpuMs: number
}
interface Run {
  ms: number
  writer: Side
  reader: Side
  /** CPU ms the local nats-server used during the run (other users of the server included), or NaN. */
  serverCpuMs: number
}

/** The local nats-server's process, found by name, to read its CPU time (Linux /proc; NaN elsewhere). */
const serverPid = (() => {
  try {
    return readdirSync('/proc').find(
      (p) => /^\d+$/.test(p) && readFileSync(`/proc/${p}/comm`, 'utf8').trim() === 'nats-server',
    )
  } catch {
    return undefined
  }
})()

/** utime + stime of the server in ms (clock ticks of 10 ms). */
function serverCpu(): number {
  if (!serverPid) return Number.NaN
  const fields = readFileSync(`/proc/${serverPid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 10
}

/** Starts one peer process and resolves once it is prepared. */
function start(a: PeerArgs): Promise<{ go(): Promise<Side & { rows: number }> }> {
  const prof = profDir && a.batches === BATCHES ? { profDir } : {}
  const child = fork(peerFile, [JSON.stringify({ ...a, ...prof })], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const reports: PeerReport[] = []
  let wake: (() => void) | undefined
  child.on('message', (m: PeerReport) => {
    reports.push(m)
    wake?.()
  })
  child.on('exit', (code) => {
    if (code !== 0) reports.push({ type: 'error', message: `${a.role} exited with ${code}` })
    wake?.()
  })
  const nextReport = async (): Promise<PeerReport> => {
    while (reports.length === 0) await new Promise<void>((r) => (wake = r))
    const m = reports.shift()!
    if (m.type === 'error') throw new Error(`${a.role}: ${m.message}`)
    return m
  }
  return nextReport().then(() => ({
    async go() {
      child.send('go')
      const m = await nextReport()
      if (m.type !== 'done') throw new Error(`${a.role}: unexpected ${m.type}`)
      return m
    },
  }))
}

async function run(kind: 'plain' | 'sealed', subject: string, name: string, batches = BATCHES): Promise<Run> {
  const base = { server, subject, run: name, batches, rows: ROWS, workers: WORKERS }
  // The reader first, so that its group or consumer exists before anything is published.
  const r = await start({ ...base, role: `${kind}-read` })
  const w = await start({ ...base, role: `${kind}-write` })
  const c0 = serverCpu()
  const t0 = performance.now()
  const [writer, reader] = await Promise.all([w.go(), r.go()])
  const ms = performance.now() - t0
  const serverCpuMs = serverCpu() - c0
  if (reader.rows !== batches * ROWS || writer.rows !== batches * ROWS) throw new Error(`${kind}: rows lost`)
  return { ms, writer, reader, serverCpuMs }
}

/** Wall ms of `fn` in this process. */
async function time(fn: () => unknown): Promise<number> {
  const t0 = performance.now()
  await fn()
  return performance.now() - t0
}

/** The CPU floor of each side, in this one thread: encode, decode, seal, open the same batches in memory. */
async function inMemory(batches: RecordBatch[]) {
  const seal = () => drain(streamOf(batches).pipeThrough(new SealStream(sealOptions)))
  const open = (sealed: Uint8Array[]) => drain(streamOf(sealed).pipeThrough(new OpenStream(openOptions)))
  const sealed = await seal()
  await open(sealed)
  const ipc = batches.map((b) => tableToIPC(new Table([b]), 'stream'))
  const encodeMs = await time(() => batches.map((b) => tableToIPC(new Table([b]), 'stream')))
  const decodeMs = await time(() => ipc.map((x) => tableFromIPC(x)))
  const sealMs = await time(seal)
  const openMs = await time(() => open(sealed))
  return { encodeMs, decodeMs, sealMs, openMs }
}

const nc = await connect({ servers: server })
const tag = `nats-${Date.now().toString(36)}`
// Two pipelines, one per pair of runs, so that a plain run and a sealed run share one subject; one for warm-up.
const subjects = [`aseal-bench-${tag}-a`, `aseal-bench-${tag}-b`, `aseal-bench-${tag}-w`]
for (const subject of subjects) await ensurePipeline(nc, pipelineSubjects(subject))
try {
  const [a, b, w] = subjects as [string, string, string]
  const batches = makeBatches(BATCHES, ROWS)
  const ipcBytes = batches.reduce((n, x) => n + tableToIPC(new Table([x]), 'stream').length, 0)
  await run('plain', w, 'w0', 2)
  await run('sealed', w, 'w1', 2)
  const load0 = loadavg()[0]!
  const p1 = await run('plain', a, 'p1')
  const s1 = await run('sealed', a, 's1')
  const s2 = await run('sealed', b, 's2')
  const p2 = await run('plain', b, 'p2')
  const load1 = loadavg()[0]!
  const mem = await inMemory(batches)
  const rate = (ms: number) => (BATCHES * ROWS) / (ms / 1000)
  const mb = (ms: number) => ipcBytes / 1e6 / (ms / 1000)
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`
  console.log(`nats: ${BATCHES} batches × ${ROWS} rows, ${(ipcBytes / 1e6).toFixed(1)} MB of Arrow IPC per pass`)
  console.log(`load average (1 min) ${load0.toFixed(2)} → ${load1.toFixed(2)}, Node ${process.version}`)
  console.log(`each run: one writer process, one reader process; sealed workers per process: ${WORKERS}`)
  console.log('case             time    rows/s       MB/s    writer wall/CPU   reader wall/CPU   server CPU')
  for (const [name, r] of [
    ['nats/plain #1', p1],
    ['nats/sealed #1', s1],
    ['nats/sealed #2', s2],
    ['nats/plain #2', p2],
  ] as const)
    console.log(
      `${name.padEnd(16)} ${s(r.ms)}  ${Math.round(rate(r.ms)).toLocaleString('en').padStart(11)}  ${mb(r.ms).toFixed(1).padStart(6)}    ${s(r.writer.ms)} / ${s(r.writer.cpuMs)}     ${s(r.reader.ms)} / ${s(r.reader.cpuMs)}     ${s(r.serverCpuMs)}`,
    )
  const plainMs = (p1.ms + p2.ms) / 2
  const sealedMs = (s1.ms + s2.ms) / 2
  console.log(`ratio sealed/plain: ${(plainMs / sealedMs).toFixed(3)} (target ≥ 0.8)`)
  // What the wall-clock ratio tends to when the machine's cores, not the broker's latency, are the limit.
  const cpu = (r: Run) => r.writer.cpuMs + r.reader.cpuMs + r.serverCpuMs
  const plainCpu = (cpu(p1) + cpu(p2)) / 2
  const sealedCpu = (cpu(s1) + cpu(s2)) / 2
  console.log(
    `CPU per pass (writer + reader + server): plain ${s(plainCpu)}, sealed ${s(sealedCpu)}; ratio ${(plainCpu / sealedCpu).toFixed(3)}`,
  )
  console.log(
    `in memory, one thread: encode ${s(mem.encodeMs)}, decode ${s(mem.decodeMs)}, seal ${s(mem.sealMs)}, open ${s(mem.openMs)}`,
  )
} finally {
  const jsm = await jetstreamManager(nc)
  for (const subject of subjects) await jsm.streams.delete(pipelineSubjects(subject).stream).catch(() => {})
  await nc.close()
}
