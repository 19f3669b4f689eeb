/**
 * Token-bucket throttling for the key-access gateway, per principal and per source address.
 *
 * Each bucket holds up to `burst` tokens and refills at `rate` tokens per second; a request takes one token from
 * its source's bucket and one from its principal's, or neither when either is empty (so a refused request costs
 * the other bucket nothing). The per-source bucket also covers requests whose principal is not known yet, and caps
 * what a flood of fresh principal names from one address can do. Time is passed in, never read, so the buckets are
 * tested without waiting. Memory is bounded: at most `maxKeys` buckets per kind, the least recently used forgotten
 * first (a forgotten bucket comes back full, which only helps a key that had been idle longest).
 *
 * @module
 */
import { BoundedMap } from '../util/bounded-map.js'
import { orDefault } from './or-default.js'
import type { PrincipalName, Throttle, ThrottleConfig } from './types.js'

/**
 * The throttle's defaults: 20 requests/s per principal with bursts of 40, 100/s per source address with bursts of
 * 200 (many readers may share an address behind a NAT), and 100,000 remembered buckets per kind.
 *
 * @example
 * ```ts
 * import { THROTTLE_DEFAULTS } from 'arrowseal/kas'
 * console.log(THROTTLE_DEFAULTS.perPrincipal.rate) // 20
 * ```
 */
export const THROTTLE_DEFAULTS = {
  perPrincipal: { rate: 20, burst: 40 },
  perSource: { rate: 100, burst: 200 },
  maxKeys: 100_000,
} as const

// Tokens are counted in thousandths, so that with whole rates and millisecond clocks all arithmetic is on integers
// and a wait computed as enough is enough (no 0.9999… tokens after exactly the advertised wait).
const UNIT = 1000

interface Bucket {
  /** Thousandths of a token. */
  milli: number
  at: number
}

interface Limit {
  readonly rate: number
  readonly burst: number
}

/**
 * Creates the gateway's token-bucket {@link Throttle}. `take(principal, source, now)` answers `{ ok: true }` or
 * `{ ok: false, retryAfterMs, scope }`, where `retryAfterMs` is how long until the empty bucket holds a token again
 * (the server sends it as `Retry-After`, rounded up to seconds). `principal` is `null` before authentication.
 *
 * @example
 * ```ts
 * import { createThrottle } from 'arrowseal/kas'
 * const throttle = createThrottle({ perPrincipal: { rate: 1, burst: 2 } })
 * const t = 1_000_000
 * console.log(throttle.take('key:ab', '10.0.0.1', t).ok, throttle.take('key:ab', '10.0.0.1', t).ok) // true true
 * console.log(throttle.take('key:ab', '10.0.0.1', t)) // { ok: false, retryAfterMs: 1000, scope: 'principal' }
 * ```
 */
export function createThrottle(config: ThrottleConfig = {}): Throttle {
  section(config, 'the configuration')
  section(config.perPrincipal, 'perPrincipal')
  section(config.perSource, 'perSource')
  const principalLimit = limitOf(config.perPrincipal, THROTTLE_DEFAULTS.perPrincipal, 'perPrincipal')
  const sourceLimit = limitOf(config.perSource, THROTTLE_DEFAULTS.perSource, 'perSource')
  const maxKeys = orDefault(config.maxKeys, THROTTLE_DEFAULTS.maxKeys)
  if (!Number.isSafeInteger(maxKeys) || maxKeys < 1)
    throw new RangeError('throttle: maxKeys must be a positive integer')
  const principals = new BoundedMap<PrincipalName, Bucket>(maxKeys)
  const sources = new BoundedMap<string, Bucket>(maxKeys)

  return {
    take(principal, source, now) {
      if (!Number.isFinite(now)) throw new TypeError('throttle: now must be a finite number of milliseconds')
      if (typeof source !== 'string') throw new TypeError('throttle: source must be a string')
      if (principal !== null && typeof principal !== 'string') {
        throw new TypeError('throttle: principal must be a string or null')
      }
      const s = refill(sources, source, sourceLimit, now)
      const p = principal === null ? null : refill(principals, principal, principalLimit, now)
      const sWait = waitMs(s, sourceLimit)
      const pWait = p === null ? 0 : waitMs(p, principalLimit)
      if (sWait > 0 || pWait > 0) {
        // Name the bucket that keeps the caller waiting longest: retrying earlier would be refused again.
        return pWait > sWait
          ? { ok: false, retryAfterMs: pWait, scope: 'principal' }
          : { ok: false, retryAfterMs: sWait, scope: 'source' }
      }
      s.milli -= UNIT
      if (p !== null) p.milli -= UNIT
      return { ok: true }
    },
  }
}

function section(v: unknown, name: string): void {
  if (v !== undefined && (typeof v !== 'object' || v === null || Array.isArray(v))) {
    throw new TypeError(`throttle: ${name} must be an object`)
  }
}

function limitOf(given: ThrottleConfig['perPrincipal'], defaults: Limit, name: string): Limit {
  const rate = orDefault(given?.rate, defaults.rate)
  const burst = orDefault(given?.burst, defaults.burst)
  if (!Number.isFinite(rate) || rate <= 0) throw new RangeError(`throttle: ${name}.rate must be a positive number`)
  if (!Number.isFinite(burst) || burst < 1) throw new RangeError(`throttle: ${name}.burst must be at least 1`)
  return { rate, burst }
}

function refill(table: BoundedMap<string, Bucket>, key: string, limit: Limit, now: number): Bucket {
  let b = table.get(key)
  if (b === undefined) {
    b = { milli: limit.burst * UNIT, at: now }
    table.set(key, b)
    return b
  }
  // A clock that steps back (NTP, another replica's time) refills nothing rather than draining or overflowing.
  const elapsed = Math.max(0, now - b.at)
  // elapsed ms × rate tokens/s = elapsed × rate thousandths of a token.
  b.milli = Math.min(limit.burst * UNIT, b.milli + elapsed * limit.rate)
  b.at = Math.max(b.at, now)
  return b
}

function waitMs(b: Bucket, limit: Limit): number {
  if (b.milli >= UNIT) return 0
  return Math.max(1, Math.ceil((UNIT - b.milli) / limit.rate))
}
