/**
 * SHA-256 of frame bodies on a second thread, for the streaming rewrap (issue 14). One SHA-256 pass over every
 * frame is the floor of a one-thread rewrap; hashing every other frame on a worker halves it. The worker reads a
 * frame from a reused SharedArrayBuffer slot (one memcpy, no allocation per frame) and marks it done in shared
 * memory, so the rewrap sees a finished digest without waiting for the event loop to deliver a message.
 * @module
 */
import { Worker } from 'node:worker_threads'
import { ArrowSealError } from '../errors.js'
import type { FrameHasher, HashJob } from '../seal/runtime.js'

/** Slot states, in the slot's first Int32. */
const FREE = 0
const BUSY = 1
const DONE = 2
/** Bytes before a slot's data: the state word, then the 32-byte digest at 8. */
const DIGEST_AT = 8
const DATA_AT = 64

/**
 * Frames hashed off-thread at once. Two keeps the worker fed while the calling thread hashes a frame of its own;
 * a third slot measured no faster on two cores. Memory: at most this many frame copies (≤ 2 × the largest frame).
 */
export const HASH_SLOTS = 2

/** The worker: plain CommonJS evaluated from this string, so it needs no script file next to the bundle. */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads')
const { createHash } = require('node:crypto')
parentPort.on('message', (m) => {
  const d = createHash('sha256').update(new Uint8Array(m.sab, ${DATA_AT}, m.length)).digest()
  new Uint8Array(m.sab, ${DIGEST_AT}, 32).set(d)
  const state = new Int32Array(m.sab, 0, 1)
  Atomics.store(state, 0, ${DONE})
  parentPort.postMessage(m.seq)
})
`

interface Slot {
  sab: SharedArrayBuffer
  state: Int32Array
  /** The slot's job in flight, else null. */
  seq: number | null
}

interface Waiter {
  resolve(): void
  reject(err: Error): void
}

const failure = (what: string) => new ArrowSealError('BACKEND_UNAVAILABLE', `arrowseal: the frame-hashing ${what}`)

/**
 * The hashing thread. One is shared by every stream of the process and started once (a thread's start-up is
 * 10-30 ms, as long as hashing several frames); it is referenced only while a job is in flight, so an idle one
 * never keeps the process alive. A thread that failed is replaced at the next stream.
 */
class HashThread {
  readonly #worker: Worker
  readonly #waiting = new Map<number, Waiter>()
  #seq = 0
  failed: ArrowSealError | null = null

  constructor(source: string) {
    // No loader flags (tsx, --import): the worker is plain JavaScript, and a loader would cost its start-up.
    this.#worker = new Worker(source, { eval: true, execArgv: [] })
    this.#worker.unref()
    // Again once it runs: an unref() before the thread is online did not hold (an idle process was kept alive).
    this.#worker.once('online', () => {
      if (this.#waiting.size === 0) this.#worker.unref()
    })
    this.#worker.on('message', (seq: number) => {
      const w = this.#waiting.get(seq)
      this.#settled(seq)
      w?.resolve()
    })
    this.#worker.on('error', () => this.#fail(failure('worker thread failed')))
    this.#worker.on('exit', () => this.#fail(failure('worker thread exited')))
  }

  /** Posts one job; the promise settles with the worker's reply. */
  post(sab: SharedArrayBuffer, length: number): { seq: number; replied: Promise<void> } {
    if (this.failed) throw this.failed
    const seq = this.#seq++
    const replied = new Promise<void>((resolve, reject) => {
      this.#waiting.set(seq, { resolve, reject })
    })
    // Observed here so that a failure nobody awaits yet is no unhandled rejection; the job's digest() rethrows it.
    replied.catch(() => {})
    if (this.#waiting.size === 1) this.#worker.ref()
    this.#worker.postMessage({ sab, length, seq })
    return { seq, replied }
  }

  /** Forgets a job (answered, or given up by a closed stream). */
  drop(seq: number, err: Error): void {
    const w = this.#waiting.get(seq)
    this.#settled(seq)
    w?.reject(err)
  }

  /** Test-only: stops the thread as a crash would. */
  terminate(): Promise<number> {
    return this.#worker.terminate()
  }

  #settled(seq: number): void {
    if (this.#waiting.delete(seq) && this.#waiting.size === 0) this.#worker.unref()
  }

  #fail(err: ArrowSealError): void {
    this.failed ??= err
    for (const w of this.#waiting.values()) w.reject(this.failed)
    this.#waiting.clear()
    this.#worker.unref()
  }
}

let shared: HashThread | null = null

/**
 * Slots of finished streams, for the next stream: a fresh SharedArrayBuffer is zeroed, first-touched memory, which
 * costs about as much as hashing it. At most {@link HASH_SLOTS} × 2 are kept (a few frame sizes, held idle).
 */
const spareSlots: Slot[] = []

class NodeFrameHasher implements FrameHasher {
  readonly #thread: HashThread
  readonly #slots: Slot[] = []
  #closed = false

  constructor(slots: number, thread: HashThread) {
    this.#thread = thread
    for (let i = 0; i < slots; i++) this.#slots.push(spareSlots.pop() ?? newSlot(0))
  }

  start(parts: readonly Uint8Array[]): HashJob | null {
    if (this.#thread.failed) throw this.#thread.failed
    if (this.#closed) throw failure('hasher is closed')
    const at = this.#slots.findIndex((s) => s.seq === null)
    if (at < 0) return null
    let length = 0
    for (const p of parts) length += p.byteLength
    let slot = this.#slots[at]!
    if (slot.sab.byteLength - DATA_AT < length) {
      // Grown to the largest frame seen, with an eighth of headroom, then reused: no allocation per frame.
      slot = newSlot(length + (length >>> 3))
      this.#slots[at] = slot
    }
    const data = new Uint8Array(slot.sab, DATA_AT, length)
    let o = 0
    for (const p of parts) {
      data.set(p, o)
      o += p.byteLength
    }
    Atomics.store(slot.state, 0, BUSY)
    const { seq, replied } = this.#thread.post(slot.sab, length)
    slot.seq = seq
    return new Job(slot, replied, () => {
      slot.seq = null
      Atomics.store(slot.state, 0, FREE)
    })
  }

  close(): void {
    if (this.#closed) return
    this.#closed = true
    for (const s of this.#slots) {
      if (s.seq !== null) this.#thread.drop(s.seq, failure('hasher is closed'))
      // Only an idle slot goes back: the thread may still be reading a busy one.
      else if (s.sab.byteLength > DATA_AT && spareSlots.length < HASH_SLOTS * 2) spareSlots.push(s)
    }
  }
}

class Job implements HashJob {
  readonly #slot: Slot
  readonly #replied: Promise<void>
  readonly #release: () => void
  #taken = false

  constructor(slot: Slot, replied: Promise<void>, release: () => void) {
    this.#slot = slot
    this.#replied = replied
    this.#release = release
  }

  get ready(): boolean {
    return Atomics.load(this.#slot.state, 0) === DONE
  }

  async digest(): Promise<Uint8Array> {
    if (this.#taken) throw new Error('HashJob.digest() called twice')
    this.#taken = true
    try {
      // Done in shared memory already: no need to wait for the reply message.
      if (!this.ready) await this.#replied
      return new Uint8Array(this.#slot.sab, DIGEST_AT, 32).slice()
    } finally {
      this.#release()
    }
  }
}

function newSlot(capacity: number): Slot {
  const sab = new SharedArrayBuffer(DATA_AT + capacity)
  return { sab, state: new Int32Array(sab, 0, 1), seq: null }
}

/**
 * Starts the frame hasher of one streaming rewrap: one worker thread, {@link HASH_SLOTS} slots.
 *
 * @example
 * ```ts
 * const hasher = startFrameHasher()
 * const job = hasher.start([frameBody]) // null when both slots are busy
 * const digest = await job?.digest()
 * hasher.close()
 * ```
 * @internal
 */
export function startFrameHasher(slots = HASH_SLOTS): FrameHasher {
  if (shared === null || shared.failed !== null) shared = new HashThread(WORKER_SOURCE)
  return new NodeFrameHasher(slots, shared)
}

/**
 * Test-only: a hasher on a private thread running `source` instead of the hashing code, and a way to stop
 * that thread as a crash would.
 * @internal
 */
export function startTestFrameHasher(source: string): { hasher: FrameHasher; terminate(): Promise<number> } {
  const thread = new HashThread(source)
  return { hasher: new NodeFrameHasher(HASH_SLOTS, thread), terminate: () => thread.terminate() }
}
