/**
 * The crypto phase as a service: something that seals encoded batches into frames and verifies frames, with
 * results awaited in order. Streams run it in-thread by default; the Node entry can run it on worker threads
 * (`workers` option). Either way the bytes are the same.
 * @module
 */
import type { FrameOpenerKeys, InflateBudget, OpenedFrame } from './frame-opener.js'
import type { EncodedBatch, FrameSealerKeys } from './frame-sealer.js'

/**
 * A pool of crypto-phase executors for one stream.
 *
 * @example
 * ```ts
 * const pool = await runtime.startPool!(2, { seal: keys })
 * const frame = await pool.seal(sealer.encodeBatch(batch))
 * ```
 * @internal
 */
export interface CryptoPool {
  seal(batch: EncodedBatch): Promise<Uint8Array>
  /**
   * Verifies and decrypts one frame; its compressed units inflate only within `budget`. With `lend`, the frame's
   * whole ArrayBuffer is the caller's to give: it may be transferred (detached here) and comes back through
   * `lend` once the frame is opened, for the caller to reuse.
   */
  open(
    frame: Uint8Array,
    expected: number,
    budget: InflateBudget,
    lend?: (buffer: ArrayBuffer) => void,
  ): Promise<OpenedFrame>
  /** Stops the executors; pending jobs fail. */
  close(): void
}

/**
 * What a pool is started with: the raw keys of one stream's crypto phase.
 *
 * @example
 * ```ts
 * const init: PoolInit = { seal: keys }
 * ```
 */
export type PoolInit = { readonly seal: FrameSealerKeys } | { readonly open: FrameOpenerKeys }

/**
 * Results in submission order: `push` a job's promise, `shift` awaits the oldest. A failed job is observed
 * (no unhandled rejection) but its error surfaces only when it is shifted, so earlier results come out first.
 *
 * @example
 * ```ts
 * const q = new InOrder<Uint8Array>()
 * q.push(pool.seal(encoded))
 * controller.enqueue(await q.shift())
 * ```
 * @internal
 */
export class InOrder<T> {
  readonly #queue: Promise<T>[] = []

  get size(): number {
    return this.#queue.length
  }

  push(job: Promise<T>): void {
    job.catch(() => {})
    this.#queue.push(job)
  }

  async shift(): Promise<T> {
    const job = this.#queue.shift()
    if (!job) throw new Error('InOrder: empty')
    return job
  }
}

/**
 * A pool shared by several streams (the Node entry's `WorkerPool`): each stream attaches its keys.
 *
 * @example
 * ```ts
 * const view = await shared.attach({ seal: keys })
 * ```
 */
export interface SharedPool {
  /** Number of worker threads. */
  readonly size: number
  /** @internal Attaches one stream's keys to the pool. */
  attach(init: PoolInit): Promise<CryptoPool>
}

/**
 * Checks a `workers` option: a thread count (0 = in-thread) or a shared pool.
 *
 * @example
 * ```ts
 * const { size, shared } = checkWorkers(options.workers)
 * ```
 * @internal
 */
export function checkWorkers(workers: unknown): { size: number; shared: SharedPool | null } {
  if (workers === undefined) return { size: 0, shared: null }
  if (typeof workers === 'object' && workers !== null && typeof (workers as SharedPool).attach === 'function') {
    const shared = workers as SharedPool
    return { size: shared.size, shared }
  }
  if (typeof workers !== 'number' || !Number.isSafeInteger(workers) || workers < 0 || workers > 64) {
    throw new RangeError('options.workers must be an integer from 0 to 64, or a WorkerPool')
  }
  return { size: workers, shared: null }
}

/**
 * Starts the crypto phase of one stream on its workers: the shared pool, else a private one from the runtime.
 *
 * @example
 * ```ts
 * pool = await attachPool(checkWorkers(options.workers), runtime.startPool, init)
 * ```
 * @internal
 */
export async function attachPool(
  workers: { size: number; shared: SharedPool | null },
  start: ((size: number, init: PoolInit) => Promise<CryptoPool>) | undefined,
  init: PoolInit,
): Promise<CryptoPool> {
  try {
    if (workers.shared) return await workers.shared.attach(init)
    if (!start) throw new TypeError('no worker threads in this runtime')
    return await start(workers.size, init)
  } finally {
    wipePoolInit(init)
  }
}

/**
 * Wipes a pool's init keys once the pool holds its own copies.
 *
 * @example
 * ```ts
 * wipePoolInit({ open: keys })
 * ```
 */
export function wipePoolInit(init: PoolInit): void {
  if ('seal' in init) {
    for (const k of init.seal.macKeys) k.fill(0)
    for (const k of init.seal.encKeys) k?.fill(0)
    init.seal.frameSeed?.fill(0)
  } else {
    init.open.macKey?.fill(0)
    for (const g of init.open.groups) g.encKey?.fill(0)
  }
}
