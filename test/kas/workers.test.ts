// `kas serve --workers N` (src/kas/node/cluster.ts), real processes over SQLite (and PostgreSQL when
// ARROWSEAL_TEST_PG_URL is set): two workers behind one port serve grants appended to one tree, a revocation holds
// at the next request whichever worker takes it, every grant a client saw is durable, and the gateway stops as a
// whole (a dead worker stops the primary and the other worker; a killed primary takes its workers with it).
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from '../cli/helpers.js'
import { PG_URL, sqliteSkip } from '../store/backends.js'
import {
  adminLoaders,
  auditVerify,
  expectGrantsDurable,
  grant,
  load,
  makeWorld,
  openCli,
  type Replica,
  revoke,
  serve,
  until,
  type World,
} from './e2e.js'

/** The pids of `pid`'s children (Linux /proc). */
function children(pid: number): number[] {
  const text = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim()
  return text === '' ? [] : text.split(/\s+/).map(Number)
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

const schema = `aseal_kas_workers_${process.pid}_${randomBytes(3).toString('hex')}`
const backends = [
  { name: 'SQLite', skip: sqliteSkip(), store: (w: World) => w.at('kas.db') },
  {
    name: 'PostgreSQL',
    skip: PG_URL ? null : 'ARROWSEAL_TEST_PG_URL is not set',
    store: () => `${PG_URL}${PG_URL?.includes('?') ? '&' : '?'}schema=${schema}`,
  },
]

describe.each(backends)('kas serve --workers 2 ($name)', ({ skip, store }) => {
  const port = 19950 + (process.pid % 40) + (store === backends[0]!.store ? 0 : 40)
  let w: World
  let r: Replica | undefined
  beforeAll(async () => {
    if (skip !== null) return
    w = await makeWorld(port)
  })
  afterAll(async () => {
    await r?.stop('SIGKILL')
    w?.cleanup()
    if (PG_URL && store !== backends[0]!.store) {
      const pg = (await import('pg')).default
      const c = new pg.Client({ connectionString: PG_URL })
      await c.connect()
      await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
      await c.end()
    }
  })

  it.skipIf(skip !== null)(
    'two workers, one port, one tree; revocation holds at the next request on either',
    async () => {
      r = await serve(w, store(w), port, ['--workers', '2'])
      let more = ''
      r.child.stdout!.on('data', (d: Buffer) => {
        more += d.toString()
      })
      await until(() => children(r!.child.pid!).length === 2)
      await grant(w, r.url)
      // Several opens: new connections, handed to the workers in turn.
      for (let i = 0; i < 4; i++) {
        const ok = await openCli(w, r.url)
        expect([ok.code, ok.stderr]).toEqual([0, ''])
      }
      await revoke(w, r.url)
      for (let i = 0; i < 4; i++) {
        const refused = await openCli(w, r.url)
        expect(refused.code).toBe(7)
        expect(refused.stderr).toContain('KAS_DENIED')
      }
      // Loaders on both workers at once: every grant durable at its index of the one tree, which rehashes whole.
      await adminLoaders(w, r.url, 'grant')
      const l = load(w, () => r!.url)
      await until(() => l.grants.length >= 40)
      await l.stop()
      await expectGrantsDurable(r.url, l.grants)
      expect(new Set(l.grants.map((g) => g.index)).size).toBe(l.grants.length)
      await auditVerify(w, r.url)
      expect(more).not.toContain('listening')
    },
  )

  it.skipIf(skip !== null)('a worker that dies stops the gateway (exit 1, the other worker too)', async () => {
    const workers = children(r!.child.pid!)
    expect(workers).toHaveLength(2)
    const exited = new Promise<number | null>((resolve) => r!.child.once('exit', (code) => resolve(code)))
    process.kill(workers[0]!, 'SIGKILL')
    expect(await exited).not.toBe(0)
    await until(() => !alive(workers[1]!))
  })

  it.skipIf(skip !== null)('a killed primary takes its workers with it', async () => {
    r = await serve(w, store(w), port, ['--workers', '2'])
    await until(() => children(r!.child.pid!).length === 2)
    const workers = children(r.child.pid!)
    await r.stop('SIGKILL')
    await until(() => workers.every((pid) => !alive(pid)))
    r = undefined
  })
})

describe('kas serve --workers: option checks', () => {
  it('refuses 0, 65 and non-numbers with a usage error', async () => {
    const { buildCli } = await import('../cli/helpers.js')
    const cli = await buildCli()
    for (const n of ['0', '65', 'two', '1.5']) {
      const r = await runCli(cli, ['kas', 'serve', '--store', 'x.db', '--identity', 'x.key', '--workers', n])
      expect(r.code, n).toBe(2)
      expect(r.stderr, n).toContain('--workers')
    }
  })
})
