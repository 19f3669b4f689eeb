// The real throttle and anomaly monitor inside the real gateway over HTTP on loopback: a burst over the rate limit
// is refused with 429 and an honest Retry-After, and raises one `throttled` alert, audited and counted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeAuditEvent } from '../../src/audit/event.js'
import { createAnomalyMonitor } from '../../src/kas/anomaly.js'
import { keyPrincipal } from '../../src/kas/protocol.js'
import { createThrottle } from '../../src/kas/throttle.js'
import type { KasAlert } from '../../src/kas/types.js'
import { BACKENDS } from '../store/backends.js'
import { admin, post, type Running, rawRequest, readerId, startGateway } from './gateway-helpers.js'

const sqlite = BACKENDS.find((b) => b.name === 'sqlite')!

describe.skipIf(sqlite.skip !== null)('throttle and monitor in the gateway (HTTP)', () => {
  let g: Running
  const alerts: KasAlert[] = []

  beforeAll(async () => {
    g = await startGateway(sqlite.fresh(), {
      hooks: {
        // A slow refill (one request every 100 s), so no token comes back while the test runs.
        throttle: createThrottle({ perPrincipal: { rate: 0.01, burst: 3 } }),
        monitor: createAnomalyMonitor(),
      },
      onAlert: (a) => alerts.push(a),
    })
    await admin(g.url, {
      action: 'grant',
      principal: keyPrincipal(readerId.publicKeyObject),
      role: 'analysts',
      dataset: 'sales',
    })
  })

  afterAll(async () => {
    await g?.close()
    await sqlite.cleanup()
  })

  it('refuses a burst over the rate limit with 429 and Retry-After, and alerts once', async () => {
    const statuses: number[] = []
    let last: Awaited<ReturnType<typeof post>> | undefined
    for (let i = 0; i < 6; i++) {
      last = await post(g.url, rawRequest().body)
      statuses.push(last.status)
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429, 429])
    expect(last!.json.error.code).toBe('KAS_RATE_LIMITED')
    // One token every 100 s: the wait is at most 100 s (how much of it has passed depends on the machine).
    const retry = Number(last!.headers.get('retry-after'))
    expect(retry).toBeGreaterThan(0)
    expect(retry).toBeLessThanOrEqual(100)
    expect(alerts.map((a) => a.kind)).toEqual(['throttled'])
    expect(alerts[0]!.principal).toBe(keyPrincipal(readerId.publicKeyObject))
    const size = await g.log.size()
    const events = await Promise.all(
      Array.from({ length: size }, async (_, i) => decodeAuditEvent(await g.log.entry(i))),
    )
    expect(events.filter((e) => e.decision === 'alert').map((e) => e.reason)).toEqual(['ALERT_THROTTLED'])
    const metrics = await (await fetch(`${g.url}/metrics`)).text()
    expect(metrics).toMatch(/arrowseal_kas_alerts_total\{kind="throttled"\} 1/)
    expect(metrics).toMatch(/arrowseal_kas_throttled_total\{scope="principal"\} 3/)
  })
})
