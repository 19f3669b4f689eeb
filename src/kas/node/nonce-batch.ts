/**
 * Group commit for request nonces. Recording each nonce in its own transaction cost one fsync (SQLite, blocking
 * the event loop) or one WAL flush round trip (PostgreSQL) per request, and was the gateway's bottleneck: the
 * nonces that arrive in one turn of the event loop, and while a flush is running, are recorded in one
 * transaction instead. A nonce still counts as fresh only once that transaction is durable, and the database's
 * primary key still decides between replicas, so a nonce is never accepted twice.
 * @module
 */

/** One nonce to record, in the order requests arrived. */
export interface NonceClaim {
  readonly nonce: Uint8Array
  readonly expires: number
  readonly now: number
}

interface Waiting extends NonceClaim {
  readonly key: string
  readonly resolve: (fresh: boolean) => void
  readonly reject: (err: unknown) => void
}

/** Most nonces one transaction records. */
const MAX_BATCH = 4096

/**
 * Returns `useNonce` over `flush`, which records a batch of distinct nonces in one durable transaction and returns,
 * for each, whether it was new. A nonce repeated inside one batch is a replay of the first without a database trip.
 */
export function batchedNonces(
  flush: (claims: readonly NonceClaim[]) => Promise<boolean[]>,
): (nonce: Uint8Array, expires: number, now: number) => Promise<boolean> {
  let pending: Waiting[] = []
  let running = false
  async function drain(): Promise<void> {
    while (pending.length > 0) {
      const batch = pending.slice(0, MAX_BATCH)
      pending = pending.slice(MAX_BATCH)
      const first = new Map<string, Waiting>()
      const dupes: Waiting[] = []
      for (const w of batch) {
        if (first.has(w.key)) dupes.push(w)
        else first.set(w.key, w)
      }
      const distinct = [...first.values()]
      try {
        const fresh = await flush(distinct)
        for (const [i, w] of distinct.entries()) w.resolve(fresh[i] === true)
        for (const w of dupes) w.resolve(false)
      } catch (err) {
        for (const w of batch) w.reject(err)
      }
    }
    running = false
  }
  return (nonce, expires, now) =>
    new Promise<boolean>((resolve, reject) => {
      pending.push({ nonce, expires, now, key: Buffer.from(nonce).toString('hex'), resolve, reject })
      if (!running) {
        running = true
        setImmediate(() => void drain())
      }
    })
}
