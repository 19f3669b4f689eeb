/**
 * Receipts need a signed checkpoint that covers the grant's entry. Signing one per request would cost a hybrid
 * signature each (ML-DSA-65 dominates), so concurrent requests share one: a request waits for the next checkpoint
 * whose size passes its index, and at most one signing is in flight per process.
 * @module
 */
import type { AuditLog } from '../../store/log.js'

/** A signed checkpoint and the tree size it states. */
export interface SignedCheckpoint {
  readonly size: number
  readonly note: string
}

/** Coalesces checkpoint signing across concurrent requests. */
export class Checkpointer {
  private current: SignedCheckpoint | null = null
  private inflight: Promise<SignedCheckpoint> | null = null

  constructor(private readonly log: AuditLog) {}

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
      const note = await this.log.checkpoint()
      // The note's second line is the decimal tree size (C2SP tlog-checkpoint); the log just signed it.
      const size = Number(note.split('\n')[1])
      const cp = { size, note }
      if (!this.current || size > this.current.size) this.current = cp
      return cp
    } finally {
      this.inflight = null
    }
  }
}
