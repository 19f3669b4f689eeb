// The anomaly monitor on synthetic decision streams with their own clock: a normal principal raises nothing, and
// each anomaly raises exactly its own alert, once.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ANOMALY_DEFAULTS, createAnomalyMonitor, THROTTLED_REASON } from '../../src/kas/anomaly.js'
import type { AnomalyMonitor, DecisionObservation, KasAlert } from '../../src/kas/types.js'

const T0 = 1_800_000_000_000
const S = 1000
const H = 3600 * S

function obs(time: number, over: Partial<DecisionObservation> = {}): DecisionObservation {
  return {
    time,
    principal: 'key:alice',
    source: '192.0.2.1',
    stream: 'stream-0',
    dataset: 'sales',
    roles: ['analysts'],
    decision: 'grant',
    reason: 'granted',
    ...over,
  }
}

/** A normal reader: one request every 2 s over a few streams, a denial every 10 minutes. Returns the end time. */
function normalLife(
  m: AnomalyMonitor,
  alerts: KasAlert[],
  from: number,
  hours: number,
  principal = 'key:alice',
): number {
  let t = from
  const end = from + hours * H
  for (let i = 0; t < end; i++, t += 2 * S) {
    const deny = i % 300 === 299
    alerts.push(
      ...m.observe(
        obs(t, {
          principal,
          stream: `stream-${i % 5}`,
          decision: deny ? 'deny' : 'grant',
          reason: deny ? 'DENIED' : 'granted',
        }),
      ),
    )
  }
  return t
}

const kinds = (alerts: readonly KasAlert[]) => alerts.map((a) => a.kind)

describe('createAnomalyMonitor', () => {
  it('a normal principal raises nothing, over hours', () => {
    const m = createAnomalyMonitor()
    const alerts: KasAlert[] = []
    normalLife(m, alerts, T0, 5)
    normalLife(m, alerts, T0, 5, 'oidc:https://idp.example#bob')
    expect(alerts).toEqual([])
  })

  it('a burst of denials raises exactly one denial-burst alert per window', () => {
    const m = createAnomalyMonitor()
    const alerts: KasAlert[] = []
    let t = normalLife(m, alerts, T0, 2)
    expect(alerts).toEqual([])
    for (let i = 0; i < 15; i++, t += 2 * S) alerts.push(...m.observe(obs(t, { decision: 'deny', reason: 'DENIED' })))
    expect(kinds(alerts)).toEqual(['denial-burst'])
    const [a] = alerts
    expect(a).toMatchObject({ principal: 'key:alice', value: 10, threshold: 10, suspend: false })
    expect(a!.why).toMatch(/denied 10 times within 60 s \(threshold 10\)/)
    // After the window, a second burst alerts again.
    t += 60 * S
    for (let i = 0; i < 10; i++, t += S) alerts.push(...m.observe(obs(t, { decision: 'deny', reason: 'DENIED' })))
    expect(kinds(alerts)).toEqual(['denial-burst', 'denial-burst'])
  })

  it('denials spread wider than the window raise nothing', () => {
    const m = createAnomalyMonitor()
    const alerts: KasAlert[] = []
    for (let i = 0; i < 50; i++) alerts.push(...m.observe(obs(T0 + i * 7 * S, { decision: 'deny', reason: 'DENIED' })))
    expect(alerts).toEqual([])
  })

  it('touching many more streams than its baseline raises exactly one fan-out alert', () => {
    const m = createAnomalyMonitor()
    const alerts: KasAlert[] = []
    let t = normalLife(m, alerts, T0, 6)
    for (let i = 0; i < 200; i++, t += 10 * S) alerts.push(...m.observe(obs(t, { stream: `other-${i}` })))
    expect(kinds(alerts)).toEqual(['fan-out'])
    const a = alerts[0]!
    // Baseline ≈ 5 streams an hour: the threshold is max(20, 4 × 5) = 20; the 21st distinct stream alerts.
    expect(a.threshold).toBeCloseTo(20, 0)
    expect(a.value).toBe(Math.floor(a.threshold) + 1)
    expect(a.why).toMatch(/distinct streams within 3600 s/)
  })

  it('touching many more roles than its baseline raises a fan-out alert about roles', () => {
    const m = createAnomalyMonitor()
    const alerts: KasAlert[] = []
    let t = normalLife(m, alerts, T0, 3)
    for (let i = 0; i < 30; i++, t += 30 * S) alerts.push(...m.observe(obs(t, { roles: [`role-${i}`] })))
    expect(kinds(alerts)).toEqual(['fan-out'])
    expect(alerts[0]!.why).toMatch(/distinct roles/)
  })

  it('learns a busy habit within a few windows, from capped counts', () => {
    const m = createAnomalyMonitor()
    const alerts: KasAlert[] = []
    let t = T0
    for (let w = 0; w < 12; w++) {
      for (let i = 0; i < 60; i++, t += 60 * S) alerts.push(...m.observe(obs(t, { stream: `s-${w}-${i}` })))
    }
    const perWindow = alerts.length
    expect(kinds(alerts).every((k) => k === 'fan-out')).toBe(true)
    expect(perWindow).toBeGreaterThan(0)
    expect(perWindow).toBeLessThanOrEqual(4)
    // Now at its habit of 60 distinct streams an hour: nothing more.
    const after: KasAlert[] = []
    for (let i = 0; i < 60 * 4; i++, t += 60 * S) after.push(...m.observe(obs(t, { stream: `later-${i}` })))
    expect(after).toEqual([])
  })

  it('a request rate far above its baseline raises exactly one rate alert per episode', () => {
    const m = createAnomalyMonitor()
    const alerts: KasAlert[] = []
    let t = normalLife(m, alerts, T0, 2)
    // 1,000 requests in one minute, all on one stream and granted: only the rate is unusual.
    for (let i = 0; i < 1000; i++, t += 60) alerts.push(...m.observe(obs(t, { stream: 'stream-1' })))
    expect(kinds(alerts)).toEqual(['rate'])
    const a = alerts[0]!
    expect(a.threshold).toBe(ANOMALY_DEFAULTS.rate.minRate)
    expect(a.value).toBeGreaterThan(a.threshold)
    expect(a.why).toMatch(/requests\/s over the last 60 s, more than 5 /)
    // The rate falls back, then a second episode alerts again.
    t += 5 * 60 * S
    alerts.push(...m.observe(obs(t)))
    for (let i = 0; i < 1000; i++, t += 60) alerts.push(...m.observe(obs(t, { stream: 'stream-1' })))
    expect(kinds(alerts)).toEqual(['rate', 'rate'])
  })

  it('a principal whose baseline is high may run above minRate without alerts', () => {
    const m = createAnomalyMonitor({ rate: { factor: 3, halfLifeSeconds: 600, minRate: 1 } })
    const alerts: KasAlert[] = []
    let t = T0
    // A steady 2.5 requests/s; the first minutes are above the floor and alert once, then the baseline learns it.
    for (let i = 0; i < 2.5 * 4 * 3600; i++, t += 400) alerts.push(...m.observe(obs(t)))
    expect(kinds(alerts)).toEqual(['rate'])
    // After a pause (the episode ends), the habitual rate raises nothing: it is judged against the baseline.
    t += 10 * 60 * S
    const later: KasAlert[] = []
    for (let i = 0; i < 2.5 * 3600; i++, t += 400) later.push(...m.observe(obs(t)))
    expect(later).toEqual([])
    // Four times the habit is over factor 3 × baseline: it alerts.
    for (let i = 0; i < 10 * 120; i++, t += 100) later.push(...m.observe(obs(t)))
    expect(kinds(later)).toEqual(['rate'])
  })

  it('one flood does not teach the rate baseline: a second flood alerts again', () => {
    const m = createAnomalyMonitor()
    const alerts: KasAlert[] = []
    let t = normalLife(m, alerts, T0, 1)
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 50 * 600; i++, t += 20) alerts.push(...m.observe(obs(t)))
      t += 10 * 60 * S
      alerts.push(...m.observe(obs(t)))
    }
    expect(kinds(alerts)).toEqual(['rate', 'rate'])
  })

  it('one huge window does not teach the fan-out baseline: the next window alerts again', () => {
    const m = createAnomalyMonitor()
    const alerts: KasAlert[] = []
    let t = normalLife(m, alerts, T0, 3)
    for (let i = 0; i < 1000; i++, t += 3 * S) alerts.push(...m.observe(obs(t, { stream: `a-${i}` })))
    t += H
    for (let i = 0; i < 100; i++, t += 30 * S) alerts.push(...m.observe(obs(t, { stream: `b-${i}` })))
    expect(kinds(alerts)).toEqual(['fan-out', 'fan-out'])
  })

  it('throttled requests raise one throttled alert, not a denial burst', () => {
    const m = createAnomalyMonitor()
    const alerts: KasAlert[] = []
    let t = normalLife(m, alerts, T0, 1)
    for (let i = 0; i < 40; i++, t += S) {
      alerts.push(...m.observe(obs(t, { decision: 'deny', reason: THROTTLED_REASON, stream: undefined })))
    }
    expect(kinds(alerts)).toEqual(['throttled'])
    expect(alerts[0]!.why).toMatch(/throttled/)
  })

  it('sets suspend only for the kinds in suspendOn', () => {
    const m = createAnomalyMonitor({ suspendOn: ['denial-burst'], denialBurst: { count: 2 } })
    const a = [
      ...m.observe(obs(T0, { decision: 'deny', reason: 'DENIED' })),
      ...m.observe(obs(T0 + 1, { decision: 'deny', reason: 'DENIED' })),
      ...m.observe(obs(T0 + 2, { decision: 'deny', reason: THROTTLED_REASON })),
    ]
    expect(a.map((x) => [x.kind, x.suspend])).toEqual([
      ['denial-burst', true],
      ['throttled', false],
    ])
  })

  it('keeps principals apart, and survives observations out of order', () => {
    const m = createAnomalyMonitor({ denialBurst: { count: 3 } })
    const deny = (t: number, principal: string) => m.observe(obs(t, { principal, decision: 'deny', reason: 'DENIED' }))
    expect([...deny(T0, 'a'), ...deny(T0, 'b'), ...deny(T0 - 50 * S, 'a'), ...deny(T0, 'b')]).toEqual([])
    expect(kinds(deny(T0 - 90 * S, 'a'))).toEqual(['denial-burst'])
  })

  it('bounds its memory: past maxPrincipals the least recently seen principal is forgotten', () => {
    const m = createAnomalyMonitor({ denialBurst: { count: 3 }, maxPrincipals: 2 })
    const deny = (t: number, principal: string) => m.observe(obs(t, { principal, decision: 'deny', reason: 'DENIED' }))
    deny(T0, 'a')
    deny(T0, 'a')
    deny(T0, 'b')
    deny(T0, 'c') // forgets a
    expect(deny(T0, 'a')).toEqual([])
    // Many distinct streams never grow a principal's state past the cap, and raise one alert.
    const big = createAnomalyMonitor()
    const alerts: KasAlert[] = []
    for (let i = 0; i < 5000; i++) alerts.push(...big.observe(obs(T0 + i * 500, { stream: `s${i}`, roles: [] })))
    expect(kinds(alerts).filter((k) => k === 'fan-out')).toEqual(['fan-out'])
  })

  it('refuses bad configuration and malformed observations', () => {
    expect(() => createAnomalyMonitor({ denialBurst: { count: 0 } })).toThrow(RangeError)
    expect(() => createAnomalyMonitor({ denialBurst: { windowSeconds: -1 } })).toThrow(RangeError)
    expect(() => createAnomalyMonitor({ fanOut: { factor: 0.5 } })).toThrow(RangeError)
    expect(() => createAnomalyMonitor({ fanOut: { minDistinct: 5000 } })).toThrow(RangeError)
    expect(() => createAnomalyMonitor({ rate: { minRate: 0 } })).toThrow(RangeError)
    expect(() => createAnomalyMonitor({ rate: { halfLifeSeconds: Number.POSITIVE_INFINITY } })).toThrow(RangeError)
    expect(() => createAnomalyMonitor({ suspendOn: ['nonsense' as never] })).toThrow(RangeError)
    expect(() => createAnomalyMonitor({ maxPrincipals: 0 })).toThrow(RangeError)
    const m = createAnomalyMonitor()
    expect(() => m.observe(obs(Number.NaN))).toThrow(TypeError)
    expect(() => m.observe(obs(T0, { principal: '' }))).toThrow(TypeError)
    expect(() => m.observe(obs(T0, { decision: 'maybe' as never }))).toThrow(TypeError)
    expect(() => m.observe(obs(T0, { roles: 'analysts' as never }))).toThrow(TypeError)
    expect(() => m.observe(null as never)).toThrow(TypeError)
  })

  it('normal principals with random habits raise nothing; every alert states a crossed threshold (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1500, max: 20_000 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 0, max: 2 ** 31 }),
        (gapMs, streams, roles, seed) => {
          const m = createAnomalyMonitor()
          let x = seed
          const next = () => {
            x = (x * 1103515245 + 12345) % 2 ** 31
            return x
          }
          for (let i = 0, t = T0; i < 1000; i++, t += gapMs + (next() % 1000)) {
            const deny = next() % 200 === 0
            const out = m.observe(
              obs(t, {
                stream: `s${next() % streams}`,
                roles: [`r${next() % roles}`],
                decision: deny ? 'deny' : 'grant',
                reason: deny ? 'DENIED' : 'granted',
              }),
            )
            if (out.length > 0) throw new Error(`unexpected alert: ${out[0]!.why}`)
          }
        },
      ),
      { numRuns: 12 },
    )
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            dt: fc.integer({ min: 0, max: 5000 }),
            p: fc.constantFrom('a', 'b'),
            s: fc.integer({ min: 0, max: 40 }),
            deny: fc.boolean(),
            throttled: fc.boolean(),
          }),
          { maxLength: 400 },
        ),
        (steps) => {
          const m = createAnomalyMonitor({
            denialBurst: { count: 3 },
            fanOut: { minDistinct: 5 },
            rate: { minRate: 0.5 },
          })
          let t = T0
          for (const st of steps) {
            t += st.dt
            const reason = st.deny ? (st.throttled ? THROTTLED_REASON : 'DENIED') : 'granted'
            for (const a of m.observe(
              obs(t, { principal: st.p, stream: `s${st.s}`, decision: st.deny ? 'deny' : 'grant', reason }),
            )) {
              expect(a.principal).toBe(st.p)
              expect(a.time).toBe(t)
              if (a.kind === 'denial-burst' || a.kind === 'throttled')
                expect(a.value).toBeGreaterThanOrEqual(a.threshold)
              else expect(a.value).toBeGreaterThan(a.threshold)
              expect(a.why.length).toBeGreaterThan(10)
            }
          }
        },
      ),
    )
  })
})
