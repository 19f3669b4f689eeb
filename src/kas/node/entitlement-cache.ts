/**
 * The optional entitlement cache (`kas serve --entitlement-cache-ttl MS`, default 0 = off). Off, every request
 * reads the principal's suspension and roles from the store, so a revocation or suspension committed by any
 * replica holds at the next request. On, a replica answers from what it read at most `ttlMs` ago: a change made
 * through another replica (or straight in the database), including an entitlement's window ending, bites within
 * `ttlMs` on this one. Changes made through this replica's own admin endpoint clear its cache at once. The cache
 * holds no secret (principal names and role names) and is bounded.
 * @module
 */
import { BoundedMap } from '../../util/bounded-map.js'
import type { PrincipalName } from '../types.js'
import type { KasStore, Suspension } from './store.js'

/** Principals (and principal × dataset pairs) remembered at most. */
const MAX_ENTRIES = 10_000

interface Held<T> {
  readonly at: number
  readonly value: T
}

/**
 * Returns `store` itself when `ttlMs` is 0, else a store whose `rolesOf` and `suspension` answers are reused for
 * `ttlMs` by the clock `now`, and whose writes clear every cached answer.
 *
 * @example
 * ```ts
 * const decisions = withEntitlementCache(store, 5_000, Date.now)
 * ```
 */
export function withEntitlementCache(store: KasStore, ttlMs: number, now: () => number): KasStore {
  if (!Number.isSafeInteger(ttlMs) || ttlMs < 0) throw new RangeError('the entitlement cache TTL must be ms ≥ 0')
  if (ttlMs === 0) return store
  let roles = new BoundedMap<string, Held<Set<string>>>(MAX_ENTRIES)
  let suspended = new BoundedMap<PrincipalName, Held<Suspension | null>>(MAX_ENTRIES)
  const clear = () => {
    roles = new BoundedMap(MAX_ENTRIES)
    suspended = new BoundedMap(MAX_ENTRIES)
  }
  const fresh = <T>(h: Held<T> | undefined): h is Held<T> => h !== undefined && now() - h.at < ttlMs
  const after =
    <A extends unknown[], R>(fn: (...a: A) => Promise<R>) =>
    async (...a: A): Promise<R> => {
      try {
        return await fn(...a)
      } finally {
        clear()
      }
    }
  return {
    kind: store.kind,
    useNonce: (n, e, t) => store.useNonce(n, e, t),
    async rolesOf(principal, dataset, t) {
      // JSON keeps the pair unambiguous whatever characters the names hold.
      const key = JSON.stringify([principal, dataset])
      const hit = roles.get(key)
      if (fresh(hit)) return new Set(hit.value)
      const value = await store.rolesOf(principal, dataset, t)
      roles.set(key, { at: now(), value: new Set(value) })
      return value
    },
    async suspension(principal) {
      const hit = suspended.get(principal)
      if (fresh(hit)) return hit.value
      const value = await store.suspension(principal)
      suspended.set(principal, { at: now(), value })
      return value
    },
    grant: after((e) => store.grant(e)),
    revoke: after((p, r, d) => store.revoke(p, r, d)),
    suspend: after((p, r, t) => store.suspend(p, r, t)),
    unsuspend: after((p) => store.unsuspend(p)),
    list: (p) => store.list(p),
    suspensions: () => store.suspensions(),
    ping: () => store.ping(),
    close: () => store.close(),
  }
}
