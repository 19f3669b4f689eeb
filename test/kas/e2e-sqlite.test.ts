// The key-access gateway end to end on SQLite, with real processes (see e2e.ts): the main flow, a kill -9 under
// load (no grant returned without its durable audit entry), revocation under load (nothing started after the
// acknowledgement is granted), and `audit verify --url` over the whole history after the restart.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sqliteSkip } from '../store/backends.js'
import {
  adminLoaders,
  auditVerify,
  expectGrantsDurable,
  load,
  mainFlow,
  makeWorld,
  type Replica,
  serve,
  until,
  type World,
} from './e2e.js'

const skip = sqliteSkip()
const PORT = 19000 + (process.pid % 500)

describe.skipIf(skip !== null)('key-access gateway end to end (SQLite, real processes)', () => {
  let w: World
  let r: Replica | undefined
  beforeAll(async () => {
    w = await makeWorld(PORT)
  })
  afterAll(async () => {
    await r?.stop('SIGKILL')
    w?.cleanup()
  })

  it('seal → serve → grant → open → revoke → refused; hostile requests; audit verify over the whole history', async () => {
    r = await serve(w, w.at('kas.db'), PORT)
    await mainFlow(w, r)
    const report = await auditVerify(w, r.url)
    expect(report).toMatch(/\d+ grant/)
    expect(report).toMatch(/\d+ deny/)
    expect(report).toMatch(/\d+ admin/)
  })

  it('kill -9 under load: every grant a client saw is durable in the log after the restart', async () => {
    await adminLoaders(w, r!.url, 'grant')
    const l = load(w, () => r!.url)
    await until(() => l.grants.length >= 20)
    r!.child.kill('SIGKILL')
    await r!.stop()
    await l.stop()
    r = await serve(w, w.at('kas.db'), PORT)
    expect(l.grants.length).toBeGreaterThanOrEqual(20)
    await expectGrantsDurable(r.url, l.grants)
    await auditVerify(w, r.url)
  })

  it('revocation under load: no request started after the acknowledgement is granted', async () => {
    const l = load(w, () => r!.url)
    await until(() => l.grants.length >= 10)
    await adminLoaders(w, r!.url, 'revoke')
    const acked = Date.now()
    await until(() => l.refusals.filter((x) => x.started > acked && x.code === 'KAS_DENIED').length >= 10)
    await l.stop()
    expect(l.grants.filter((g) => g.started > acked)).toEqual([])
    expect(
      l.refusals.filter((x) => x.started > acked).every((x) => ['KAS_DENIED', 'KAS_RATE_LIMITED'].includes(x.code)),
    ).toBe(true)
  })
  it('SIGTERM stops the gateway cleanly: it closes its server, store and log and exits 0; it restarts on the file', async () => {
    const old = r!
    await old.stop('SIGTERM')
    // 143 would be the CLI's generic handler exiting before the gateway closed anything.
    expect([old.child.exitCode, old.child.signalCode]).toEqual([0, null])
    r = await serve(w, w.at('kas.db'), PORT)
    await auditVerify(w, r.url)
  })
})
