// Key-access gateway throughput: rewraps/s and latency percentiles at 64 concurrent clients on loopback.
//
//   npm run build && npx tsx bench/kas.ts [--seconds 10] [--clients 64] [--rate 1000] [--pg postgres://…/db]
//     [--prof DIR]   (writes a V8 CPU profile of the gateway process into DIR, for `node --cpu-prof` analysis)
//     [--workers N]  (`kas serve --workers N`: N gateway processes on one port; the CPU figure sums them all)
//     [--ephemeral-keys N]  (N distinct response keys in turn, default 1; real readers use a fresh one per
//                    request, and N > 256 defeats the native backend's imported-key cache as they do)
//
// Two phases, both reported: (a) closed loop, `clients` loops back to back: maximum throughput; (b) open loop at
// a fixed offered rate over `clients` connections, latency from each request's scheduled send time (see open()).
// The gateway runs as its own process (`node dist/cli/main.js kas serve`, native crypto where the runtime has it)
// over a fresh SQLite file (or a fresh PostgreSQL schema with --pg); this process only sends pre-signed
// session-authenticated requests (signing is done before the clock starts) and times the answers, so the figure
// is the gateway's. Every request is a full grant: checks, nonce insert, entitlement read, HPKE seal, durable
// audit append, receipt (inclusion proof + shared checkpoint). Prints one JSON line with the load average.
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { sha256 } from '@noble/hashes/sha2.js'
import { tableFromArrays } from 'apache-arrow'
import { inspect } from '../src/inspect.js'
import { signAdminCommand } from '../src/kas/admin-command.js'
import {
  b64u,
  createRequestSession,
  encodeRequest,
  ephemeralKey,
  keyPrincipal,
  signRequest,
} from '../src/kas/protocol.js'
import { exportIdentity, identityFromSeed } from '../src/keys/identity.js'
import { nodeEd25519 } from '../src/node/ed25519.js'
import { sealTable } from '../src/table.js'

const args = process.argv.slice(2)
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 ? args[i + 1]! : dflt
}
const seconds = Number(opt('seconds', '10'))
const clients = Number(opt('clients', '64'))
const pg = opt('pg', '')
const prof = opt('prof', '')
const rate = Number(opt('rate', '1000'))
const workers = Number(opt('workers', '1'))
const ephemeralKeys = Number(opt('ephemeral-keys', '1'))
const port = 18600 + (process.pid % 300)
const dir = mkdtempSync(join(tmpdir(), 'aseal-kas-bench-'))

const writer = identityFromSeed(new Uint8Array(32).fill(1))
const gateway = identityFromSeed(new Uint8Array(32).fill(2))
const admin = identityFromSeed(new Uint8Array(32).fill(3))
const readers = Array.from({ length: 16 }, (_, i) => identityFromSeed(new Uint8Array(32).fill(10 + i)))
writeFileSync(join(dir, 'gateway.key'), `${exportIdentity(gateway)}\n`, { mode: 0o600 })
writeFileSync(join(dir, 'writer.pub'), `${writer.publicKey}\n`)
writeFileSync(join(dir, 'admin.pub'), `${admin.publicKey}\n`)
// A wide clock window: the requests are all signed before the clock starts, which on a loaded machine can take
// minutes; the window changes nothing in the per-request work (only how long a nonce is kept).
writeFileSync(join(dir, 'kas.json'), JSON.stringify({ skewSeconds: 1800 }))

const sealed = await sealTable(tableFromArrays({ id: Int32Array.from([1, 2]), amount: Float64Array.from([3, 4]) }), {
  signer: writer,
  recipients: { analysts: [{ service: `http://127.0.0.1:${port}`, key: gateway.publicKey }] },
  policy: { fields: { id: 'public', amount: ['analysts'] } },
  dataset: 'bench',
})
const info = inspect(sealed)
const header = sealed.subarray(0, info.headerBytes)
const headerDigest = sha256(header)
const streamId = Uint8Array.from(Buffer.from(info.streamId, 'hex'))

const schema = `aseal_kas_bench_${process.pid}`
const store = pg ? `${pg}${pg.includes('?') ? '&' : '?'}schema=${schema}` : join(dir, 'kas.db')
const child = spawn(
  process.execPath,
  [
    ...(prof ? ['--cpu-prof', '--cpu-prof-dir', prof] : []),
    'dist/cli/main.js',
    'kas',
    'serve',
    '--store',
    store,
    '--identity',
    join(dir, 'gateway.key'),
    '--listen',
    `127.0.0.1:${port}`,
    '--admin',
    join(dir, 'admin.pub'),
    '--trust',
    join(dir, 'writer.pub'),
    '--config',
    join(dir, 'kas.json'),
    ...(workers > 1 ? ['--workers', String(workers)] : []),
  ],
  { stdio: ['ignore', 'pipe', 'inherit'] },
)
await new Promise<void>((resolve, reject) => {
  child.stdout!.on('data', (d: Buffer) => d.toString().includes('listening') && resolve())
  child.once('exit', (c) => reject(new Error(`kas serve exited ${c}`)))
})
const url = `http://127.0.0.1:${port}`
for (const r of readers) {
  const body = signAdminCommand(
    { action: 'grant', principal: keyPrincipal(r.publicKeyObject), role: 'analysts', dataset: 'bench' },
    admin,
    gateway.fingerprint,
  )
  const res = await fetch(`${url}/v1/admin`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  if (res.status !== 200) throw new Error(`grant failed: ${res.status}`)
}

// Pre-signed requests: enough for the run at a generous rate, each with its own nonce.
const sessions = readers.map((r) => createRequestSession(r, 3600, nodeEd25519))
const ephs = Array.from({ length: ephemeralKeys }, () => ephemeralKey().publicKey)
// Closed loop at up to ~2,500/s, then the open loop at `rate`, plus the warm-up.
const total = Math.ceil(seconds * (2500 + rate) + 4000)
const bodies: string[] = []
const signStart = Date.now()
for (let i = 0; i < total; i++) {
  const bytes = encodeRequest({
    version: 1,
    nonce: crypto.getRandomValues(new Uint8Array(16)),
    time: signStart, // within the gateway's 30-minute window (kas.json above) however long the signing takes
    audience: gateway.fingerprint,
    streamId,
    headerDigest,
    roles: ['analysts'],
    ephemeralKey: ephs[i % ephs.length]!,
    header,
  })
  bodies.push(
    JSON.stringify({ request: b64u(bytes), auth: signRequest(bytes, sessions[i % sessions.length]!, nodeEd25519) }),
  )
}

// Warm-up (header unwrap cache, JIT, connections), not timed.
let next = 0
let errors = 0
const errorCodes: Record<string, number> = {}
async function send(): Promise<boolean> {
  const body = bodies[next++]!
  try {
    const res = await fetch(`${url}/v1/rewrap`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    })
    const text = await res.text()
    if (res.status === 200) return true
    const code = (JSON.parse(text) as { error?: { code?: string } }).error?.code ?? String(res.status)
    errorCodes[code] = (errorCodes[code] ?? 0) + 1
  } catch {
    errorCodes.network = (errorCodes.network ?? 0) + 1
  }
  errors++
  return false
}

/** CPU seconds of process `pid` so far (user + system, from /proc: Linux only). */
function cpuOf(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return (Number(f[11]) + Number(f[12])) / 100 // utime, stime in clock ticks (USER_HZ = 100 on Linux)
}

/** The gateway's CPU seconds so far: the `kas serve` process and, with --workers, its worker processes. */
function serverCpu(): number | null {
  try {
    const kids = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/)
    return [child.pid!, ...kids.filter(Boolean).map(Number)].reduce((sum, pid) => sum + cpuOf(pid), 0)
  } catch {
    return null
  }
}

interface Phase {
  rewrapsPerSecond: number
  p50ms: number
  p99ms: number
  /** CPU of this (client) process, in cores: it must stay well below 1 or the client is the bottleneck. */
  clientCpu: number
  /** Gateway CPU per answered request, ms: a figure that the machine's load disturbs less than latency. */
  serverCpuMsPerRequest: number | null
  /** p99 / max of this client's own event-loop delay, ms: a stalled client (descheduled on a loaded machine)
   * inflates the latencies it measures, so a p99 near this figure is partly the client's. */
  clientLoopDelayMs: { p99: number; max: number }
  /** p99 / max of the gateway's event-loop delay over the phase, ms (prom-client's monitor, read from /metrics,
   * which resets it at each read; with --workers, one worker's): the gateway's own stalls. */
  serverLoopDelayMs: { p99: number; max: number } | null
}

/** The gateway's event-loop delay since the last read of /metrics (null if it cannot be read). */
async function serverLoopDelay(): Promise<{ p99: number; max: number } | null> {
  try {
    const text = await (await fetch(`${url}/metrics`)).text()
    const gauge = (name: string) => Number(new RegExp(`^${name} ([0-9.e+-]+)$`, 'm').exec(text)?.[1] ?? Number.NaN)
    const ms = (v: number) => Math.round(v * 1e5) / 100
    return { p99: ms(gauge('nodejs_eventloop_lag_p99_seconds')), max: ms(gauge('nodejs_eventloop_lag_max_seconds')) }
  } catch {
    return null
  }
}

async function measure(run: (latencies: number[]) => Promise<void>): Promise<Phase> {
  const latencies: number[] = []
  const delay = monitorEventLoopDelay({ resolution: 5 })
  delay.enable()
  await serverLoopDelay() // resets the gateway's monitor
  const cpu0 = process.cpuUsage()
  const s0 = serverCpu()
  const start = performance.now()
  await run(latencies)
  const elapsed = (performance.now() - start) / 1000
  const cpu = process.cpuUsage(cpu0)
  const s1 = serverCpu()
  delay.disable()
  const serverLoopDelayMs = await serverLoopDelay()
  latencies.sort((a, b) => a - b)
  const pct = (p: number) =>
    Math.round((latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? Number.NaN) * 100) / 100
  return {
    rewrapsPerSecond: Math.round(latencies.length / elapsed),
    p50ms: pct(0.5),
    p99ms: pct(0.99),
    clientCpu: Math.round(((cpu.user + cpu.system) / 1e6 / elapsed) * 100) / 100,
    serverCpuMsPerRequest:
      s0 === null || s1 === null || latencies.length === 0
        ? null
        : Math.round(((s1 - s0) * 1000 * 100) / latencies.length) / 100,
    clientLoopDelayMs: {
      p99: Math.round(delay.percentile(99) / 1e4) / 100,
      max: Math.round(delay.max / 1e4) / 100,
    },
    serverLoopDelayMs,
  }
}

// (a) Closed loop: `clients` loops, each sends its next request when the previous one is answered. The rate is
// the maximum throughput; the latency is not a service level (Little's law: mean = clients / rate).
async function closed(until: number, latencies: number[] | null): Promise<void> {
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < until && next < bodies.length) {
        const t0 = performance.now()
        if ((await send()) && latencies) latencies.push(performance.now() - t0)
      }
    }),
  )
}

// (b) Open loop at `rate` req/s over `clients` connections (wrk2's model): request k of connection c is due at
// start + (k·clients + c) / rate; it is sent at its due time, or at once if the connection is still busy, and its
// latency counts from the due time. A slow answer thus delays the requests behind it and they pay for the wait
// (no coordinated omission): the percentiles are those of users arriving at the rate, queueing included.
async function open(durationMs: number, latencies: number[]): Promise<void> {
  const start = performance.now()
  const interval = 1000 / rate
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      for (let k = 0; ; k++) {
        const due = start + (k * clients + c) * interval
        // Past the window, or hopelessly behind (overload): stop; the answered rate then shows the shortfall.
        if (due - start >= durationMs || performance.now() - start > 1.5 * durationMs || next >= bodies.length) return
        const wait = due - performance.now()
        if (wait > 0) await new Promise((r) => setTimeout(r, wait))
        if (await send()) latencies.push(performance.now() - due)
      }
    }),
  )
}

await closed(performance.now() + 1500, null)
// --open-only: skip phase (a), e.g. to profile the gateway at the offered rate alone.
const closedLoop = args.includes('--open-only')
  ? null
  : await measure((l) => closed(performance.now() + seconds * 1000, l))
const openLoop = await measure((l) => open(seconds * 1000, l))
child.kill('SIGTERM')
await new Promise((r) => child.once('exit', r))
rmSync(dir, { recursive: true, force: true })
if (pg) {
  const pgm = (await import('pg')).default
  const c = new pgm.Client({ connectionString: pg })
  await c.connect()
  await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
  await c.end()
}
console.log(
  JSON.stringify({
    bench: 'kas rewrap',
    store: pg ? 'postgres' : 'sqlite',
    node: process.versions.node,
    clients,
    workers,
    ephemeralKeys,
    seconds,
    closedLoop,
    openLoop: { offeredPerSecond: rate, ...openLoop },
    errors,
    errorCodes,
    exhausted: next >= bodies.length,
    loadAverage: loadavg().map((x) => Math.round(x * 100) / 100),
  }),
)
