// The backends the storage suites run on. SQLite always (on Node 20 a failing addon fails the suite; on other
// majors, where the addon built for Node 20 may not load, it is skipped with a printed reason). PostgreSQL when
// ARROWSEAL_TEST_PG_URL is set (.ci/run sets it), each run in its own schema.
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { StoreLocation } from '../../src/store/log.js'
import { loadBetterSqlite3 } from '../../src/store/sqlite.js'

export interface TestBackend {
  readonly name: 'sqlite' | 'postgres'
  readonly skip: string | null
  /** A fresh, empty location. */
  fresh(): StoreLocation
  cleanup(): Promise<void>
}

export function sqliteSkip(): string | null {
  try {
    const D = loadBetterSqlite3()
    new D(':memory:').close()
    return null
  } catch (err) {
    if (process.versions.node.startsWith('20.')) throw err
    return `better-sqlite3 does not load on Node ${process.versions.node} (addon built for another version)`
  }
}

const dirs: string[] = []
const schemas: string[] = []
export const PG_URL = process.env['ARROWSEAL_TEST_PG_URL']

export const BACKENDS: TestBackend[] = [
  {
    name: 'sqlite',
    skip: sqliteSkip(),
    fresh() {
      const dir = mkdtempSync(join(tmpdir(), 'aseal-store-'))
      dirs.push(dir)
      return { sqlite: join(dir, 'audit.db') }
    },
    async cleanup() {
      for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
    },
  },
  {
    name: 'postgres',
    skip: PG_URL ? null : 'ARROWSEAL_TEST_PG_URL is not set (.ci/run sets it); PostgreSQL store tests skipped',
    fresh() {
      const schema = `aseal_t_${process.pid}_${randomBytes(4).toString('hex')}`
      schemas.push(schema)
      return { postgres: PG_URL!, schema }
    },
    async cleanup() {
      if (!PG_URL || schemas.length === 0) return
      const pg = (await import('pg')).default
      const client = new pg.Client({ connectionString: PG_URL })
      await client.connect()
      for (const s of schemas.splice(0)) await client.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`)
      await client.end()
    },
  },
]

for (const b of BACKENDS) if (b.skip) console.log(`[store tests] ${b.name} skipped: ${b.skip}`)
