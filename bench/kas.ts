// Key-access gateway throughput: rewraps/s and latency percentiles at 64 concurrent clients on loopback.
//
//   npm run build && npx tsx bench/kas.ts [--seconds 10] [--clients 64] [--pg postgres://…/db]
//
// The gateway runs as its own process (`node dist/cli/main.js kas serve`, native crypto where the runtime has it)
// over a fresh SQLite file (or a fresh PostgreSQL schema with --pg); this process only sends pre-signed
// session-authenticated requests (signing is done before the clock starts) and times the answers, so the figure
// is the gateway's. Every request is a full grant: checks, nonce insert, entitlement read, HPKE seal, durable
// audit append, receipt (inclusion proof + shared checkpoint). Prints one JSON line with the load average.
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
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
const port = 18600 + (process.pid % 300)
const dir = mkdtempSync(join(tmpdir(), 'aseal-kas-bench-'))

const writer = identityFromSeed(new Uint8Array(32).fill(1))
const gateway = identityFromSeed(new Uint8Array(32).fill(2))
const admin = identityFromSeed(new Uint8Array(32).fill(3))
const readers = Array.from({ length: 16 }, (_, i) => identityFromSeed(new Uint8Array(32).fill(10 + i)))
writeFileSync(join(dir, 'gateway.key'), `${exportIdentity(gateway)}\n`, { mode: 0o600 })
writeFileSync(join(dir, 'writer.pub'), `${writer.publicKey}\n`)
writeFileSync(join(dir, 'admin.pub'), `${admin.publicKey}\n`)

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
const eph = ephemeralKey()
const total = Math.max(2000, Math.ceil(seconds * 1500))
const bodies: string[] = []
const signStart = Date.now()
for (let i = 0; i < total; i++) {
  const bytes = encodeRequest({
    version: 1,
    nonce: crypto.getRandomValues(new Uint8Array(16)),
    time: signStart + seconds * 500, // mid-run: within the 120 s skew for runs up to ~4 minutes
    audience: gateway.fingerprint,
    streamId,
    headerDigest,
    roles: ['analysts'],
    ephemeralKey: eph.publicKey,
    header,
  })
  bodies.push(
    JSON.stringify({ request: b64u(bytes), auth: signRequest(bytes, sessions[i % sessions.length]!, nodeEd25519) }),
  )
}

// Warm-up (header unwrap cache, JIT, connections), not timed.
let next = 0
const latencies: number[] = []
let errors = 0
async function loop(until: number, record: boolean): Promise<void> {
  while (Date.now() < until && next < bodies.length) {
    const body = bodies[next++]!
    const t0 = performance.now()
    try {
      const res = await fetch(`${url}/v1/rewrap`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      })
      await res.arrayBuffer()
      if (res.status !== 200) errors++
      else if (record) latencies.push(performance.now() - t0)
    } catch {
      errors++
    }
  }
}
await Promise.all(Array.from({ length: clients }, () => loop(Date.now() + 1500, false)))
const start = performance.now()
await Promise.all(Array.from({ length: clients }, () => loop(Date.now() + seconds * 1000, true)))
const elapsed = (performance.now() - start) / 1000
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
latencies.sort((a, b) => a - b)
const pct = (p: number) =>
  Math.round(latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]! * 100) / 100
console.log(
  JSON.stringify({
    bench: 'kas rewrap',
    store: pg ? 'postgres' : 'sqlite',
    node: process.versions.node,
    clients,
    seconds: Math.round(elapsed * 10) / 10,
    rewrapsPerSecond: Math.round(latencies.length / elapsed),
    p50ms: pct(0.5),
    p99ms: pct(0.99),
    errors,
    exhausted: next >= bodies.length,
    loadAverage: loadavg().map((x) => Math.round(x * 100) / 100),
  }),
)
