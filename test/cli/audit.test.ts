// `arrowseal audit verify` and `audit show`, run in-process, on SQLite and (with ARROWSEAL_TEST_PG_URL) PostgreSQL.
// Includes the tampering acceptance test: an entry edited, deleted or reordered directly in the database makes
// `audit verify` fail against a checkpoint taken before.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { encodeAuditEvent } from '../../src/audit/event.js'
import { leafHash } from '../../src/audit/merkle.js'
import { run } from '../../src/cli/run.js'
import { identityFromSeed } from '../../src/keys/identity.js'
import { openAuditLog, type StoreLocation } from '../../src/store/log.js'
import { loadBetterSqlite3 } from '../../src/store/sqlite.js'
import { GOLDEN_EVENTS } from '../golden/build-audit.js'
import { BACKENDS } from '../store/backends.js'

const identity = identityFromSeed(new Uint8Array(32).fill(3))
const origin = 'example.com/cli-audit'
const enc = (s: string) => new TextEncoder().encode(s)
const dir = mkdtempSync(join(tmpdir(), 'aseal-audit-cli-'))

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((c: unknown, cb?: unknown) => {
    out += typeof c === 'string' ? c : new TextDecoder().decode(c as Uint8Array)
    if (typeof cb === 'function') cb()
    return true
  })
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((c: unknown) => {
    err += String(c)
    return true
  })
  try {
    const code = await run(args)
    process.exitCode = undefined
    // Each in-process run() adds a stdout 'error' listener (the CLI is one run per process): drop Node's warning.
    err = err
      .split('\n')
      .filter((l) => !l.startsWith('(node:') && !l.startsWith('(Use `node'))
      .join('\n')
    return { code, out, err }
  } finally {
    o.mockRestore()
    e.mockRestore()
  }
}

function storeArg(loc: StoreLocation): string {
  if ('sqlite' in loc) return loc.sqlite
  const u = new URL(loc.postgres)
  if (loc.schema) u.searchParams.set('schema', loc.schema)
  return u.toString()
}

/** Runs raw SQL against the store, as a database administrator would. */
async function sql(loc: StoreLocation, statements: string[]): Promise<void> {
  if ('sqlite' in loc) {
    const D = loadBetterSqlite3()
    const db = new D(loc.sqlite)
    for (const s of statements) db.exec(s)
    db.close()
    return
  }
  const pg = (await import('pg')).default
  const c = new pg.Client({ connectionString: loc.postgres })
  await c.connect()
  await c.query(`SET search_path TO ${loc.schema}`)
  for (const s of statements) await c.query(s)
  await c.end()
}

async function makeLog(loc: StoreLocation, n: number): Promise<string> {
  const log = await openAuditLog(loc, { origin, identity })
  await Promise.all(Array.from({ length: n }, (_, i) => log.append(enc(`event-${i}`))))
  const note = await log.checkpoint()
  await log.close()
  const path = join(dir, `cp-${Math.random().toString(36).slice(2)}.note`)
  writeFileSync(path, note)
  return path
}

const key = identity.publicKey

for (const b of BACKENDS) {
  describe.skipIf(b.skip !== null)(`arrowseal audit on ${b.name}`, () => {
    afterAll(() => b.cleanup())

    it('verifies a checkpoint, an entry and consistency, from the store and from proof files', async () => {
      const loc = b.fresh()
      const old = await makeLog(loc, 10)
      const log = await openAuditLog(loc, { origin, identity })
      for (let i = 10; i < 25; i++) await log.append(enc(`event-${i}`))
      const cur = join(dir, `cur-${b.name}.note`)
      writeFileSync(cur, await log.checkpoint())
      await log.close()
      const entry = join(dir, 'entry-7')
      writeFileSync(entry, enc('event-7'))
      const store = storeArg(loc)
      const base = ['audit', 'verify', '--key', key, '--origin', origin, '--checkpoint', cur]
      const r = await cli([...base, '--old', old, '--entry', entry, '--index', '7', '--store', store])
      expect(r.err).toBe('')
      expect(r.code).toBe(0)
      expect(r.out).toMatch(/ok consistency 10 -> 25/)
      expect(r.out).toMatch(/ok inclusion of entry 7 in 25/)
      expect(r.out).toMatch(/ok store: 25 entries rehashed/)
      // Offline: proofs from files written by `audit show`.
      const inc = await cli(['audit', 'show', '--key', key, store, '--inclusion', '7', '--size', '25'])
      const con = await cli(['audit', 'show', '--key', key, store, '--consistency', '10', '--size', '25'])
      const incPath = join(dir, 'inc.json')
      const conPath = join(dir, 'con.json')
      writeFileSync(incPath, inc.out)
      writeFileSync(conPath, con.out)
      const off = await cli([
        ...base,
        '--old',
        old,
        '--entry',
        entry,
        '--index',
        '7',
        '--proof',
        incPath,
        '--proof',
        conPath,
      ])
      expect(off.code).toBe(0)
      // A wrong entry under the same proof fails.
      writeFileSync(entry, enc('event-8'))
      const bad = await cli([...base, '--entry', entry, '--index', '7', '--proof', incPath])
      expect(bad.code).toBe(4)
      expect(bad.err).toMatch(/^arrowseal: error PROOF_INVALID: /)
      const show = await cli(['audit', 'show', '--key', key, store])
      expect(show.out).toMatch(/size +25/)
      const ev = await cli(['audit', 'show', '--key', key, store, '--entry', '3'])
      expect(ev.out).toContain(Buffer.from('event-3').toString('base64'))
    })

    it('shows and lists audit events, with the target of an admin act (OIDC issuer and subject)', async () => {
      const loc = b.fresh()
      const log = await openAuditLog(loc, { origin, identity })
      for (const v of GOLDEN_EVENTS) await log.append(encodeAuditEvent(v.event))
      await log.append(enc('not an event'))
      await log.close()
      const store = storeArg(loc)
      const grant = GOLDEN_EVENTS.findIndex((v) => v.file === 'v2-grant-oidc.asae')
      const one = await cli(['audit', 'show', '--key', key, store, '--entry', String(grant)])
      expect(one.code).toBe(0)
      expect(JSON.parse(one.out).target).toEqual({
        principal: { oidc: { issuer: 'https://idp.example', subject: 'u-123' } },
        role: 'analysts',
        dataset: 'sales',
        notBefore: 0,
        notAfter: 1764680000000 + 86_400_000,
      })
      const list = await cli(['audit', 'show', '--key', key, store, '--entries', '2', '--count', '10000'])
      expect(list.code).toBe(0)
      const lines = list.out
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l))
      expect(lines.map((l) => l.index)).toEqual(Array.from({ length: GOLDEN_EVENTS.length - 1 }, (_, i) => i + 2))
      expect(lines.at(-1)).toEqual({
        index: GOLDEN_EVENTS.length,
        bytes: Buffer.from('not an event').toString('base64'),
      })
      const suspend = lines.find((l) => l.reason === 'PRINCIPAL_SUSPENDED' && l.version === 2)
      expect(suspend.who).toEqual({ keyFingerprint: 'ad'.repeat(32) })
      expect(suspend.target).toEqual({ principal: { oidc: { issuer: 'https://idp.example', subject: 'team#42' } } })
      const past = await cli(['audit', 'show', '--key', key, store, '--entries', '100'])
      expect([past.code, past.out]).toEqual([0, ''])
      const bad = await cli(['audit', 'show', '--key', key, store, '--entries', '0', '--count', '0'])
      expect(bad.code).not.toBe(0)
      expect(bad.err).toMatch(/--count must be 1 to 10000/)
    })

    const tamperings: [string, (loc: StoreLocation) => Promise<void>][] = [
      [
        'an entry edited (bytes only)',
        (loc) =>
          sql(loc, [
            `UPDATE entries SET bytes = X'00' WHERE idx = 4`.replace(
              "X'00'",
              b.name === 'sqlite' ? "X'00'" : "'\\x00'::bytea",
            ),
          ]),
      ],
      [
        'an entry edited with its leaf hash and all subtrees recomputed',
        async (loc) => {
          const forged = enc('event-forged')
          const hex = Buffer.from(forged).toString('hex')
          const lh = Buffer.from(leafHash(forged)).toString('hex')
          const lit = (h: string) => (b.name === 'sqlite' ? `X'${h}'` : `'\\x${h}'::bytea`)
          await sql(loc, [`UPDATE entries SET bytes = ${lit(hex)}, leaf_hash = ${lit(lh)} WHERE idx = 4`])
          await rebuildSubtrees(loc)
        },
      ],
      ['an entry deleted', (loc) => sql(loc, ['DELETE FROM entries WHERE idx = 5'])],
      [
        'two entries reordered',
        (loc) =>
          sql(loc, [
            'UPDATE entries SET idx = 1000 WHERE idx = 2',
            'UPDATE entries SET idx = 2 WHERE idx = 3',
            'UPDATE entries SET idx = 3 WHERE idx = 1000',
          ]),
      ],
      [
        'the last entry deleted and the size wound back',
        (loc) => sql(loc, ['DELETE FROM entries WHERE idx = 11', 'UPDATE log_state SET size = 11']),
      ],
    ]
    for (const [what, tamper] of tamperings) {
      it(`audit verify fails against an earlier checkpoint after ${what}`, async () => {
        const loc = b.fresh()
        const cp = await makeLog(loc, 12)
        const base = ['audit', 'verify', '--key', key, '--origin', origin, '--checkpoint', cp, '--store', storeArg(loc)]
        expect((await cli(base)).code).toBe(0)
        await tamper(loc)
        // The tamperer also removes the log's own checkpoints, so only the one the verifier kept can catch it.
        await sql(loc, ['DELETE FROM checkpoints'])
        const r = await cli(base)
        expect(r.code).not.toBe(0)
        expect(r.err).toMatch(/^arrowseal: error (PROOF_INVALID|STORE_CORRUPT|CHECKPOINT_INVALID): /)
      })
    }

    // Recomputes the subtrees table from the (tampered) entries, as a careful tamperer would.
    async function rebuildSubtrees(loc: StoreLocation): Promise<void> {
      const { Frontier } = await import('../../src/store/backend.js')
      const log = await openAuditLog(loc, { publicKey: key })
      const n = await log.size()
      const rows: string[] = []
      const f = new Frontier()
      const lit = (h: Uint8Array) => {
        const x = Buffer.from(h).toString('hex')
        return b.name === 'sqlite' ? `X'${x}'` : `'\\x${x}'::bytea`
      }
      for (let i = 0; i < n; i++) {
        const bytes = i === 4 ? enc('event-forged') : enc(`event-${i}`)
        for (const s of f.push(leafHash(bytes))) {
          rows.push(`UPDATE subtrees SET hash = ${lit(s.hash)} WHERE level = ${s.level} AND idx = ${s.index}`)
        }
      }
      await log.close()
      await sql(loc, rows)
    }
  })
}

// The bad-input cases use the SQLite backend; they skip (with its printed reason) only where that addon cannot load.
describe.skipIf(BACKENDS[0]!.skip !== null)('arrowseal audit: bad input', () => {
  it('a corrupt database file, a checkpoint of another log, an index past the size, a 10 MB note', async () => {
    const junk = join(dir, 'junk.db')
    writeFileSync(junk, new Uint8Array(8192).fill(0x5a))
    const show = await cli(['audit', 'show', '--key', key, junk])
    expect(show.code).toBe(3)
    expect(show.err).toMatch(/^arrowseal: error STORE_CORRUPT: .*junk\.db/)

    const loc = BACKENDS[0]!.fresh()
    const cp = await makeLog(loc, 3)
    const other = await cli(['audit', 'verify', '--key', key, '--origin', 'other.example/log', '--checkpoint', cp])
    expect(other.code).toBe(4)
    expect(other.err).toMatch(/^arrowseal: error CHECKPOINT_INVALID: .*another log/)

    const past = await cli(['audit', 'show', '--key', key, storeArg(loc), '--inclusion', '3'])
    expect(past.code).toBe(4)
    expect(past.err).toMatch(/^arrowseal: error PROOF_INVALID: leaf index 3 is not below tree size 3/)

    const big = join(dir, 'big.note')
    writeFileSync(big, 'a'.repeat(10 * 1024 * 1024))
    const r = await cli(['audit', 'verify', '--key', key, '--origin', origin, '--checkpoint', big])
    expect(r.code).toBe(4)
    expect(r.err).toMatch(/^arrowseal: error NOTE_INVALID: .*larger than any checkpoint note/)

    const nostore = await cli(['audit', 'show', '--key', key, join(dir, 'missing.db')])
    expect(nostore.code).toBe(3)
    expect(nostore.err).toMatch(/^arrowseal: error STORE_UNAVAILABLE: /)
    await BACKENDS[0]!.cleanup()
  })
})
