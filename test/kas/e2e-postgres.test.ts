// The key-access gateway end to end on PostgreSQL with two replicas (real processes, one database, see e2e.ts):
// the main flow, grant/revoke through one replica holding on the other at the next request, both appending to
// one tree, and a kill -9 of one replica under load (every grant seen is durable; revocation acknowledged by the
// survivor holds for every request started after it). Needs ARROWSEAL_TEST_PG_URL (set in CI); skips otherwise.
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PG_URL } from '../store/backends.js'
import {
  adminLoaders,
  auditVerify,
  expectGrantsDurable,
  grant,
  load,
  mainFlow,
  makeWorld,
  openCli,
  type Replica,
  revoke,
  serve,
  until,
  type World,
} from './e2e.js'

const skip = PG_URL ? null : 'ARROWSEAL_TEST_PG_URL is not set (.ci/run sets it)'
if (skip) {
  if (process.env['CI']) throw new Error('the PostgreSQL gateway e2e must run in CI: ARROWSEAL_TEST_PG_URL is not set')
  console.log(`[kas e2e] postgres skipped: ${skip}`)
}
const PORT_A = 19500 + (process.pid % 400)
const PORT_B = PORT_A + 1
const schema = `aseal_kas_${process.pid}_${randomBytes(3).toString('hex')}`

describe.skipIf(skip !== null)('key-access gateway end to end (PostgreSQL, two replicas)', () => {
  let w: World
  let a: Replica | undefined
  let b: Replica | undefined
  const store = () => `${PG_URL}${PG_URL!.includes('?') ? '&' : '?'}schema=${schema}`
  beforeAll(async () => {
    w = await makeWorld(PORT_A)
    a = await serve(w, store(), PORT_A)
    b = await serve(w, store(), PORT_B)
  })
  afterAll(async () => {
    await a?.stop('SIGKILL')
    await b?.stop('SIGKILL')
    w?.cleanup()
    if (PG_URL) {
      const pg = (await import('pg')).default
      const c = new pg.Client({ connectionString: PG_URL })
      await c.connect()
      await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
      await c.end()
    }
  })

  it('main flow on replica A; audit verify over the whole history', async () => {
    await mainFlow(w, a!)
    await auditVerify(w, a!.url)
  })

  it('grant via A holds on B at the next request; revoke via B holds on A; one tree for both', async () => {
    await grant(w, a!.url)
    const viaB = await openCli(w, b!.url)
    expect([viaB.code, viaB.stdout]).toEqual([0, 'id,amount\n1,9.5\n2,120\n'])
    await revoke(w, b!.url)
    const viaA = await openCli(w, a!.url)
    expect(viaA.code).toBe(7)
    expect(viaA.stderr).toContain('KAS_DENIED')
    // Both replicas serve the same log: the same size and the same history, whichever is asked.
    const ra = await auditVerify(w, a!.url)
    const rb = await auditVerify(w, b!.url)
    const size = (s: string) => /size (\d+)/.exec(s)![1]
    expect(Number(size(rb))).toBeGreaterThanOrEqual(Number(size(ra)))
  })

  it('kill -9 of replica A under load: every grant seen is durable; a revocation acknowledged by B holds', async () => {
    await adminLoaders(w, a!.url, 'grant')
    let n = 0
    // The load alternates between the replicas.
    const l = load(w, () => (n++ % 2 === 0 ? a!.url : b!.url))
    await until(() => l.grants.length >= 20)
    a!.child.kill('SIGKILL')
    await a!.stop()
    await until(() => l.grants.length >= 30)
    await adminLoaders(w, b!.url, 'revoke')
    const acked = Date.now()
    await until(() => l.refusals.filter((x) => x.started > acked && x.code === 'KAS_DENIED').length >= 5)
    await l.stop()
    expect(l.grants.filter((g) => g.started > acked)).toEqual([])
    await expectGrantsDurable(b!.url, l.grants)
    a = await serve(w, store(), PORT_A)
    await auditVerify(w, a.url)
  })
})
