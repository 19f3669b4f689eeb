/**
 * Receipts need a signed checkpoint that covers the grant's entry. Signing one per request would cost a hybrid
 * signature each (ML-DSA-65 dominates), so concurrent requests share one: a request waits for the next checkpoint
 * whose size passes its index, and at most one signing is in flight per process.
 *
 * Under steady load a new signing was wanted as soon as the last one ended, so signing ran back to back and took
 * the event loop (ML-DSA is 7 ms in JavaScript, ~0.7 ms native, plus storing the note). A pause of twice the last
 * signing's duration now separates two signings: signing takes at most a third of the process, each checkpoint
 * covers more grants, and a grant waits at most about three signing times for its receipt.
 * @module
 */
import type { AuditLog } from '../../store/log.js'

/** Longest pause between two signings, ms, whatever the last one cost (a slow disk must not stall receipts). */
const MAX_PAUSE_MS = 20
/**
 * Shortest pause, ms. With native ML-DSA (~0.7 ms) and a note stored without an fsync, twice the cost alone let
 * the gateway sign ~400 notes a second under load, a third of a core; 5 ms bounds that to ~180/s (~0.1 ms of CPU
 * per grant at 1,000/s) for ~3 ms more receipt latency on average.
 */
const MIN_PAUSE_MS = 5

/** A signed checkpoint and the tree size it states. */
export interface SignedCheckpoint {
  readonly size: number
  readonly note: string
}

/** Coalesces checkpoint signing across concurrent requests. */
export class Checkpointer {
  private current: SignedCheckpoint | null = null
  private inflight: Promise<SignedCheckpoint> | null = null
  private lastEnd = 0
  private lastCost = 0

  constructor(
    private readonly log: AuditLog,
    /** Test seam: a monotonic clock in ms. */
    private readonly clock: () => number = () => performance.now(),
  ) {}

  /** A checkpoint whose tree contains entry `index` (size > index). */
  async covering(index: number): Promise<SignedCheckpoint> {
    for (;;) {
      const cur = this.current
      if (cur && cur.size > index) return cur
      // A signing started before this entry was durable may not cover it: wait for it, then start another.
      this.inflight ??= this.sign()
      await this.inflight
    }
  }

  private async sign(): Promise<SignedCheckpoint> {
    try {
      const gap = this.lastEnd + Math.max(2 * this.lastCost, MIN_PAUSE_MS) - this.clock()
      if (gap > 0) await new Promise((r) => setTimeout(r, Math.min(gap, MAX_PAUSE_MS)))
      const t0 = this.clock()
      // Signed at the size this process knows durable (no size read) and stored in the background: a receipt
      // needs its entry durable, not the note stored (see AuditLog.issueCheckpoint). A failed store is not fatal:
      // the next checkpoint is stored too, and /v1/log/checkpoint falls back to signing one.
      const { size, note, stored } = await this.log.issueCheckpoint()
      stored.catch(() => {})
      const cp = { size, note }
      if (!this.current || size > this.current.size) this.current = cp
      this.lastEnd = this.clock()
      this.lastCost = this.lastEnd - t0
      return cp
    } finally {
      this.inflight = null
    }
  }
}
