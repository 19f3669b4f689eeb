/**
 * Audit-log store benchmark (issue 11), not a timed test:
 *
 *   npx tsx bench/audit.ts [--seconds N] [--pg URL] [--proof-size N]
 *
 * - `store/<backend>/append64`: durable appends per second with 64 concurrent appenders (each awaits its append,
 *   then issues the next), and the p50/p99 latency of one append. The PostgreSQL case runs when `--pg` or
 *   ARROWSEAL_TEST_PG_URL gives a server, in a schema of its own that is dropped afterwards.
 * - `store/sqlite/inclusion@N`: inclusion proof generation from the store at N entries (default 1,000,000).
 *
 * Targets (issue 11, 2 cores): ≥ 5,000 appends/s on SQLite with p99 ≤ 20 ms; an inclusion proof ≤ 1 ms at 1M.
 * @module
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { identityFromSeed } from '../src/keys/identity.js'
import { openAuditLog, type StoreLocation } from '../src/store/log.js'

const args = process.argv.slice(2)
const opt = (name: string) => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 ? args[i + 1] : undefined
}
const seconds = Number(opt('seconds') ?? 5)
const pgUrl = opt('pg') ?? process.env['ARROWSEAL_TEST_PG_URL']
const proofSize = Number(opt('proof-size') ?? 1_000_000)
const identity = identityFromSeed(new Uint8Array(32).fill(1))
const origin = 'bench.example/audit'
// About the size of a real encoded audit event.
const EVENT = new Uint8Array(220).fill(0x61)

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN
}

async function append64(name: string, loc: StoreLocation): Promise<void> {
  const log = await openAuditLog(loc, { origin, identity })
  const lat: number[] = []
  const end = performance.now() + seconds * 1000
  const t0 = performance.now()
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (performance.now() < end) {
        const s = performance.now()
        await log.append(EVENT)
        lat.push(performance.now() - s)
      }
    }),
  )
  const elapsed = (performance.now() - t0) / 1000
  lat.sort((a, b) => a - b)
  console.log(
    `store/${name}/append64  ${(lat.length / elapsed).toFixed(0)} appends/s  p50 ${pct(lat, 50).toFixed(2)} ms  p99 ${pct(lat, 99).toFixed(2)} ms  (${lat.length} appends in ${elapsed.toFixed(1)} s)`,
  )
  await log.close()
}

async function proofAt(loc: StoreLocation, n: number): Promise<void> {
  const log = await openAuditLog(loc, { origin, identity, maxBatch: 50_000 })
  const t0 = performance.now()
  for (let done = 0; done < n; ) {
    const k = Math.min(50_000, n - done)
    await Promise.all(Array.from({ length: k }, () => log.append(EVENT)))
    done += k
  }
  const fill = (performance.now() - t0) / 1000
  const times: number[] = []
  for (let i = 0; i < 2000; i++) {
    const index = Math.floor(Math.random() * n)
    const s = performance.now()
    await log.inclusionProof(index, n)
    times.push(performance.now() - s)
  }
  times.sort((a, b) => a - b)
  console.log(
    `store/sqlite/inclusion@${n}  mean ${(times.reduce((a, b) => a + b, 0) / times.length).toFixed(3)} ms  p99 ${pct(times, 99).toFixed(3)} ms  (filled in ${fill.toFixed(1)} s)`,
  )
  await log.close()
}

const dir = mkdtempSync(join(tmpdir(), 'aseal-bench-audit-'))
try {
  console.log(`Node ${process.versions.node}, ${seconds} s per append case`)
  await append64('sqlite', { sqlite: join(dir, 'append.db') })
  if (pgUrl) {
    const schema = `aseal_bench_${process.pid}`
    try {
      await append64('postgres', { postgres: pgUrl, schema })
    } finally {
      const pg = (await import('pg')).default
      const c = new pg.Client({ connectionString: pgUrl })
      await c.connect()
      await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
      await c.end()
    }
  } else {
    console.log('store/postgres/append64  skipped: no --pg URL and ARROWSEAL_TEST_PG_URL unset')
  }
  if (proofSize > 0) await proofAt({ sqlite: join(dir, 'proof.db') }, proofSize)
} finally {
  rmSync(dir, { recursive: true, force: true })
}
