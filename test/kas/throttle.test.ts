// Token buckets per principal and per source, on an injected clock (no waiting, no timing).
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createThrottle, THROTTLE_DEFAULTS } from '../../src/kas/throttle.js'
import { BoundedMap } from '../../src/util/bounded-map.js'

const T0 = 1_800_000_000_000

describe('createThrottle', () => {
  it('lets a principal burst up to its limit, then says how long to wait', () => {
    const th = createThrottle()
    const burst = THROTTLE_DEFAULTS.perPrincipal.burst
    for (let i = 0; i < burst; i++) expect(th.take('key:a', 's1', T0)).toEqual({ ok: true })
    expect(th.take('key:a', 's1', T0)).toEqual({ ok: false, retryAfterMs: 50, scope: 'principal' })
    // Another principal on the same source is not affected.
    expect(th.take('key:b', 's1', T0).ok).toBe(true)
  })

  it('refills at its rate, and no faster', () => {
    const th = createThrottle({ perPrincipal: { rate: 2, burst: 1 } })
    expect(th.take('p', 's', T0).ok).toBe(true)
    expect(th.take('p', 's', T0 + 499)).toMatchObject({ ok: false, retryAfterMs: 1, scope: 'principal' })
    expect(th.take('p', 's', T0 + 500).ok).toBe(true)
    expect(th.take('p', 's', T0 + 500).ok).toBe(false)
    // A long idle time refills to the burst only.
    expect(th.take('p', 's', T0 + 3_600_000).ok).toBe(true)
    expect(th.take('p', 's', T0 + 3_600_000).ok).toBe(false)
  })

  it('limits a source across principals, including requests with no principal yet', () => {
    const th = createThrottle({ perSource: { rate: 1, burst: 3 } })
    expect(th.take('p1', '192.0.2.7', T0).ok).toBe(true)
    expect(th.take('p2', '192.0.2.7', T0).ok).toBe(true)
    expect(th.take(null, '192.0.2.7', T0).ok).toBe(true)
    expect(th.take('p3', '192.0.2.7', T0)).toEqual({ ok: false, retryAfterMs: 1000, scope: 'source' })
    expect(th.take(null, '192.0.2.7', T0)).toMatchObject({ ok: false, scope: 'source' })
    expect(th.take('p3', '192.0.2.8', T0).ok).toBe(true)
  })

  it('takes nothing from one bucket when the other refuses', () => {
    const th = createThrottle({ perPrincipal: { rate: 1, burst: 1 }, perSource: { rate: 1, burst: 2 } })
    expect(th.take('p', 's', T0).ok).toBe(true)
    // The principal is empty: these refusals must not drain the source's last token.
    for (let i = 0; i < 5; i++) expect(th.take('p', 's', T0).ok).toBe(false)
    expect(th.take('q', 's', T0).ok).toBe(true)
  })

  it('names the bucket that keeps the caller waiting longest', () => {
    const th = createThrottle({ perPrincipal: { rate: 1, burst: 1 }, perSource: { rate: 10, burst: 1 } })
    expect(th.take('p', 's', T0).ok).toBe(true)
    expect(th.take('p', 's', T0)).toEqual({ ok: false, retryAfterMs: 1000, scope: 'principal' })
  })

  it('survives a clock that steps back: no refill, no negative tokens', () => {
    const th = createThrottle({ perPrincipal: { rate: 1, burst: 1 } })
    expect(th.take('p', 's', T0).ok).toBe(true)
    expect(th.take('p', 's', T0 - 60_000).ok).toBe(false)
    expect(th.take('p', 's', T0 + 1000).ok).toBe(true)
  })

  it('bounds its memory: with maxKeys 2 the least recently used bucket is forgotten', () => {
    const th = createThrottle({ perPrincipal: { rate: 1, burst: 1 }, maxKeys: 2 })
    expect(th.take('a', 's', T0).ok).toBe(true)
    expect(th.take('b', 's', T0).ok).toBe(true)
    expect(th.take('a', 's', T0).ok).toBe(false) // a is now the most recent
    expect(th.take('c', 's', T0).ok).toBe(true) // evicts b
    expect(th.take('a', 's', T0).ok).toBe(false) // a was kept
    expect(th.take('b', 's', T0).ok).toBe(true) // b came back full
  })

  it('BoundedMap never holds more than its bound', () => {
    const m = new BoundedMap<number, number>(100)
    for (let i = 0; i < 10_000; i++) m.set(i, i)
    expect(m.size).toBe(100)
    expect(m.get(9_999)).toBe(9_999)
    expect(m.get(0)).toBeUndefined()
  })

  it('refuses bad configuration and bad input', () => {
    expect(() => createThrottle({ perPrincipal: { rate: 0 } })).toThrow(RangeError)
    expect(() => createThrottle({ perSource: { rate: Number.NaN } })).toThrow(RangeError)
    expect(() => createThrottle({ perPrincipal: { burst: 0.5 } })).toThrow(RangeError)
    expect(() => createThrottle({ maxKeys: 0 })).toThrow(RangeError)
    expect(() => createThrottle({ maxKeys: 1.5 })).toThrow(RangeError)
    const th = createThrottle()
    expect(() => th.take('p', 's', Number.NaN)).toThrow(TypeError)
    expect(() => th.take('p', 1 as never, T0)).toThrow(TypeError)
    expect(() => th.take(7 as never, 's', T0)).toThrow(TypeError)
  })

  it('never grants a principal more than burst + rate × elapsed (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 1, max: 20 }),
        fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.integer({ min: 0, max: 400 })), { maxLength: 300 }),
        (rate, burst, steps) => {
          const th = createThrottle({ perPrincipal: { rate, burst }, perSource: { rate: 1e6, burst: 1e6 } })
          const granted = new Map<string, number>()
          let now = T0
          for (const [p, dt] of steps) {
            now += dt
            if (th.take(p, 's', now).ok) granted.set(p, (granted.get(p) ?? 0) + 1)
          }
          const bound = burst + (rate * (now - T0)) / 1000
          for (const n of granted.values()) expect(n).toBeLessThanOrEqual(bound + 1e-9)
        },
      ),
    )
  })

  it('a refusal’s retryAfterMs is honest: waiting that long is enough, one millisecond less is not (fast-check)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1, max: 10 }), (rate, burst) => {
        const th = createThrottle({ perPrincipal: { rate, burst }, perSource: { rate: 1e6, burst: 1e6 } })
        for (let i = 0; i < burst; i++) th.take('p', 's', T0)
        const r = th.take('p', 's', T0)
        expect(r.ok).toBe(false)
        if (r.ok) return
        if (r.retryAfterMs > 1) expect(th.take('p', 's', T0 + r.retryAfterMs - 1).ok).toBe(false)
        expect(th.take('p', 's', T0 + r.retryAfterMs).ok).toBe(true)
      }),
    )
  })
})
