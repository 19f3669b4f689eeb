/**
 * Worker-thread pools for the crypto phase of one stream (`workers` option of the Node entry's SealStream and
 * OpenStream). Jobs go round-robin to the workers; the stream awaits results in submission order, so output
 * order and bytes are those of the single-threaded path.
 * @module
 */
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import type { CryptoPool, PoolInit } from '../seal/crypto-pool.js'
import type { InflateBudget, OpenedFrame } from '../seal/frame-opener.js'
import type { EncodedBatch } from '../seal/frame-sealer.js'
import { clock, type JobTrace, traceSink, tracing } from './pool-trace.js'
import { fromWire, owned, type Reply, type Request, transferables } from './worker-protocol.js'

/**
 * The worker script next to this module: `worker.js` in the built package (`dist/node/worker.js` when this
 * code is bundled into `dist/index.node.js`), or `worker.ts` when running from source under tsx or vitest,
 * where a small bootstrap registers tsx in the worker first (a worker does not inherit the loader hooks).
 */
function startWorker(): Worker {
  const here = import.meta.url
  if (here.endsWith('.ts')) {
    const url = new URL('./worker.ts', here).href
    const bootstrap = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(url)}) })`
    return new Worker(bootstrap, { eval: true })
  }
  for (const c of ['./worker.js', './node/worker.js']) {
    const url = new URL(c, here)
    if (existsSync(fileURLToPath(url))) return new Worker(url)
  }
  throw new Error('arrowseal: the worker script (node/worker.js) is missing from this installation')
}

interface Pending {
  resolve(reply: Reply): void
  reject(err: Error): void
  /** Bench-only (pool-trace.ts): the job's timeline so far, with the worker's index. */
  trace?: Omit<JobTrace, 'back' | 'times'>
}

let nextStream = 0

/** Buffers given back by the workers after sealing, one per batch in flight at most; they held plaintext. */
class Spares {
  readonly #free: ArrayBuffer[] = []

  /** A view of `size` bytes over a spare buffer that fits, else over a fresh one with an eighth of headroom. */
  take(size: number): Uint8Array<ArrayBuffer> {
    const at = this.#free.findIndex((b) => b.byteLength >= size)
    if (at >= 0) return new Uint8Array(this.#free.splice(at, 1)[0]!, 0, size)
    return new Uint8Array(new ArrayBuffer(Math.max(1, size + Math.min(size >>> 3, 1 << 23))), 0, size)
  }

  keep(buffer: ArrayBuffer): void {
    if (this.#free.length < SPARES) this.#free.push(buffer)
    else new Uint8Array(buffer).fill(0)
  }

  /** The stream is over: no plaintext stays in memory this pool holds. */
  wipe(): void {
    for (const b of this.#free.splice(0)) new Uint8Array(b).fill(0)
  }
}

/** Spare buffers kept per stream: one per batch in flight (workers + 1) on the machines we measured. */
const SPARES = 8

/** Joins each unit's parts into one buffer (units one after the other), for the worker to receive by transfer. */
function joinUnits(batch: EncodedBatch, spares: Spares): { units: EncodedBatch['units']; buffer: ArrayBuffer } {
  let total = 0
  for (const u of batch.units) total += u.length
  const joined = spares.take(total)
  let at = 0
  const units = batch.units.map((u) => {
    const start = at
    for (const p of u.parts) {
      joined.set(p, at)
      at += p.byteLength
    }
    return { ...u, parts: [joined.subarray(start, at)] }
  })
  return { units, buffer: joined.buffer }
}

/**
 * A pool of worker threads that run the crypto phase of streams: AES-GCM, frame hashes and MACs when sealing;
 * MAC and AEAD checks and decryption when opening. Start one and pass it as `workers` to as many `SealStream`
 * and `OpenStream` instances as you like (at once or one after another), so thread start-up is paid once;
 * `workers: n` starts a private pool for one stream instead. Workers use `node:crypto` whatever `backend` the
 * stream names (the bytes are the same). Threads do not keep the process alive; `close()` stops them.
 *
 * @example
 * ```ts
 * import { SealStream } from 'arrowseal'
 * import { WorkerPool } from 'arrowseal/node'
 * const pool = await WorkerPool.start(2)
 * const sealed = batches.pipeThrough(new SealStream({ ...options, workers: pool }))
 * // … later
 * pool.close()
 * ```
 */
export class WorkerPool {
  /** Number of worker threads. */
  readonly size: number
  readonly #workers: Worker[]
  readonly #pending = new Map<number, Pending>()
  #nextId = 0
  #turn = 0
  #closed = false

  private constructor(size: number) {
    this.size = size
    this.#workers = Array.from({ length: size }, () => {
      const w = startWorker()
      // Never keep the process alive for an idle pool: a stream dropped unfinished must not hang exit.
      w.unref()
      w.on('message', (reply: Reply) => {
        const p = this.#pending.get(reply.id)
        if (!p) return
        this.#pending.delete(reply.id)
        if (p.trace)
          traceSink().push({ ...p.trace, back: clock(), times: 'times' in reply ? (reply.times ?? null) : null })
        if (reply.type === 'error') p.reject(fromWire(reply.error))
        else p.resolve(reply)
      })
      w.on('error', () => this.#failAll(new Error('arrowseal: a worker thread failed')))
      w.on('exit', () => {
        if (!this.#closed) this.#failAll(new Error('arrowseal: a worker thread exited'))
      })
      return w
    })
  }

  /**
   * Starts `size` worker threads (1 to 64).
   *
   * @example
   * ```ts
   * const pool = await WorkerPool.start(os.availableParallelism())
   * ```
   */
  static async start(size: number): Promise<WorkerPool> {
    if (!Number.isSafeInteger(size) || size < 1 || size > 64)
      throw new RangeError('WorkerPool size must be an integer from 1 to 64')
    return new WorkerPool(size)
  }

  /**
   * Gives one stream's crypto-phase keys to every worker and returns that stream's view of the pool. Used by
   * the streams; closing the view drops the stream's keys in the workers, not the threads.
   * @internal
   */
  async attach(init: PoolInit): Promise<CryptoPool> {
    const stream = nextStream++
    await Promise.all(
      this.#workers.map((w) =>
        this.#request(w, (id) =>
          'seal' in init
            ? { type: 'seal-init', id, stream, keys: init.seal }
            : { type: 'open-init', id, stream, keys: init.open },
        ),
      ),
    )
    let released = false
    const spares = new Spares()
    const release = () => {
      if (released) return
      released = true
      spares.wipe()
      if (!this.#closed) for (const w of this.#workers) w.postMessage({ type: 'release', stream } satisfies Request)
    }
    return {
      seal: async (batch: EncodedBatch): Promise<Uint8Array> => {
        const entered = tracing ? clock() : 0
        // Parts are views, some into the caller's columns: give the worker a joined copy that it owns and can
        // receive by transfer (transferring a part itself could detach the caller's buffer). All units go in one
        // buffer, which the worker gives back for a later batch: a fresh one per batch is first-touched memory.
        const { units, buffer } = joinUnits(batch, spares)
        const reply = await this.#request(
          this.#next(),
          (id) => ({ type: 'seal', id, stream, batch: { ...batch, units }, trace: tracing }),
          [buffer],
          tracing ? { kind: 'seal', bytes: buffer.byteLength, entered } : undefined,
        )
        if (reply.type !== 'sealed') throw new Error('arrowseal: unexpected worker reply')
        if (reply.units) spares.keep(reply.units)
        return reply.frame
      },
      open: async (
        frame: Uint8Array,
        expected: number,
        budget: InflateBudget,
        lend?: (buffer: ArrayBuffer) => void,
      ): Promise<OpenedFrame> => {
        const entered = tracing ? clock() : 0
        // A lent frame goes by transfer, view and all, and comes back with the reply. Otherwise a frame is
        // usually a view into the caller's chunk: copy it (a clone would copy the whole chunk).
        const lent = lend !== undefined && frame.buffer instanceof ArrayBuffer
        const mine = lent ? frame : owned(frame)
        const transfer = lent ? [frame.buffer as ArrayBuffer] : mine === frame ? [] : transferables([mine])
        const reply = await this.#request(
          this.#next(),
          (id) => ({ type: 'open', id, stream, frame: mine, expected, budget, lent, trace: tracing }),
          transfer,
          tracing ? { kind: 'open', bytes: frame.byteLength, entered } : undefined,
        )
        if (reply.type !== 'opened') throw new Error('arrowseal: unexpected worker reply')
        if (lend && reply.frame) lend(reply.frame)
        return reply.opened
      },
      close: release,
    }
  }

  /** Stops every thread; pending jobs fail. */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    this.#failAll(new Error('arrowseal: the worker pool is closed'))
    for (const w of this.#workers) void w.terminate()
  }

  #next(): Worker {
    return this.#workers[this.#turn++ % this.size]!
  }

  #request(
    worker: Worker,
    message: (id: number) => Request,
    transfer: ArrayBuffer[] = [],
    traced?: Pick<JobTrace, 'kind' | 'bytes' | 'entered'>,
  ): Promise<Reply> {
    if (this.#closed) return Promise.reject(new Error('arrowseal: the worker pool is closed'))
    const id = this.#nextId++
    return new Promise<Reply>((resolve, reject) => {
      const pending: Pending = { resolve, reject }
      this.#pending.set(id, pending)
      const dispatch = traced ? clock() : 0
      worker.postMessage(message(id), transfer)
      if (traced) pending.trace = { ...traced, worker: this.#workers.indexOf(worker), dispatch, posted: clock() }
    })
  }

  #failAll(err: Error): void {
    for (const p of this.#pending.values()) p.reject(err)
    this.#pending.clear()
  }
}

/**
 * A private pool for one stream (`workers: n`): its threads stop when the stream's view is closed.
 *
 * @example
 * ```ts
 * const pool = await startWorkerPool(2, { seal: keys })
 * ```
 * @internal
 */
export async function startWorkerPool(size: number, init: PoolInit): Promise<CryptoPool> {
  const pool = await WorkerPool.start(size)
  try {
    const view = await pool.attach(init)
    return {
      ...view,
      close: () => {
        view.close()
        pool.close()
      },
    }
  } catch (err) {
    pool.close()
    throw err
  }
}
