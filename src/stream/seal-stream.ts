/**
 * Streaming writer: a WHATWG TransformStream from record batches to sealed bytes, like CompressionStream.
 * @module
 */

import type { RecordBatch, Schema } from 'apache-arrow'
import { trueSchema } from '../arrow/batch.js'
import {
  attachPool,
  type CryptoPool,
  checkWorkers,
  InOrder,
  type PoolInit,
  type SharedPool,
} from '../seal/crypto-pool.js'
import type { SealOptions } from '../seal/options.js'
import { webRandom } from '../seal/random.js'
import { type Runtime, webRuntime } from '../seal/runtime.js'
import { Sealer } from '../seal/sealer.js'

/**
 * Seals a stream of record batches. The first chunk written out is the signed header, then one frame per
 * batch, then (when the writable side closes) the authenticated end frame. If anything fails, or the writable
 * side is aborted, no end frame is ever written, so readers see a truncated stream, never a short valid one.
 * Memory stays at one batch plus a constant (with `minBatchRows`, plus the batches it is gathering: at most that
 * many rows, or about 16 MiB of column data).
 *
 * The stream's schema comes from `schema` or from the first batch; every batch must have that schema.
 *
 * @example
 * ```ts
 * import { tableFromArrays } from 'apache-arrow'
 * import { generateIdentity, SealStream } from 'arrowseal'
 * const writer = await generateIdentity()
 * const alice = await generateIdentity()
 * const table = tableFromArrays({ id: Int32Array.from([1, 2, 3]) })
 * const batches = new ReadableStream({ start(c) { for (const b of table.batches) c.enqueue(b); c.close() } })
 * const sealed = batches.pipeThrough(
 *   new SealStream({ signer: writer, recipients: { analysts: [alice.publicKey] }, policy: { fields: { id: ['analysts'] } } }),
 * )
 * for await (const chunk of sealed) console.log(chunk.length)
 * ```
 */
export class SealStream extends TransformStream<RecordBatch, Uint8Array> {
  /**
   * @param options - seal options; `schema` fixes the stream's schema up front (needed for an empty stream);
   *   `workers` (Node entry only) seals on that many worker threads, see {@link SealStreamInit.workers}.
   * @param runtime - internal: default backend and X25519; the Node entry's subclass passes node:crypto ones.
   */
  constructor(options: SealStreamInit, runtime: Runtime = webRuntime) {
    const threads = checkWorkers(options.workers)
    const workers = threads.size
    if (workers > 0 && !threads.shared && !runtime.startPool) throw new TypeError(NO_THREADS)
    let sealer: Sealer | undefined
    let pool: CryptoPool | undefined
    const inFlight = new InOrder<Uint8Array>()
    const start = async (schema: Schema, controller: TransformStreamDefaultController<Uint8Array>) => {
      let init: PoolInit | undefined
      const s = await Sealer.create(
        schema,
        options,
        webRandom,
        runtime,
        workers > 0 ? (seal) => (init = { seal }) : undefined,
      )
      if (init) pool = await attachPool(threads, runtime.startPool, init)
      sealer = s
      controller.enqueue(s.header)
      return s
    }
    const sealOne = async (
      s: Sealer,
      batch: RecordBatch,
      controller: TransformStreamDefaultController<Uint8Array>,
    ): Promise<void> => {
      if (!pool) {
        controller.enqueue(await s.sealBatch(batch))
        return
      }
      // Encode here (Arrow needs this thread) while the workers seal earlier batches. One job per worker
      // plus one: a deeper queue measured no faster, and every live batch is fresh memory to fault in.
      inFlight.push(s.guard(pool.seal(s.encodeBatch(batch))))
      while (inFlight.size > workers) controller.enqueue(await inFlight.shift())
    }
    const fail = (err: unknown): never => {
      sealer?.abort()
      pool?.close()
      throw err
    }
    super({
      async transform(batch, controller) {
        try {
          const s = sealer ?? (await start(trueSchema(batch.schema, batch), controller))
          for (const ready of s.gather(batch)) await sealOne(s, ready, controller)
        } catch (err) {
          fail(err)
        }
      },
      async flush(controller) {
        try {
          let s = sealer
          if (!s) {
            if (!options.schema)
              throw new TypeError(
                'SealStream: no batch was written and no schema option was given; cannot write an empty stream',
              )
            s = await start(options.schema, controller)
          }
          for (const ready of s.drain()) await sealOne(s, ready, controller)
          while (inFlight.size > 0) controller.enqueue(await inFlight.shift())
          controller.enqueue(await s.finish())
          pool?.close()
        } catch (err) {
          fail(err)
        }
      },
    })
  }
}

/**
 * Options of {@link SealStream}: the seal options, plus the stream's schema and its worker threads.
 *
 * @example
 * ```ts
 * const init: SealStreamInit = { signer: writer, recipients, policy, workers: 2 }
 * ```
 */
export interface SealStreamInit extends SealOptions {
  /** The stream's schema, when it should not come from the first batch (required for an empty stream). */
  readonly schema?: Schema
  /**
   * Node entry only: seal on this many worker threads (default 0: in this thread). Batches are still encoded
   * here, in order; the workers run AES-GCM, the frame hash and the MACs, and frames come out in order, byte
   * for byte what the single-threaded writer makes. Measure before you turn it on: handing a batch to a
   * worker copies its units (into a buffer the worker gives back for a later batch), and on the 2-core VM of
   * docs/benchmarks.md two workers did not seal uncompressed data faster than one thread, even with no other
   * load: V8's garbage-collector helpers already keep the second core busy (docs/guides/performance.md, section 5).
   *
   * Give a `WorkerPool` (Node entry) instead of a count to share threads between streams and pay their
   * start-up once.
   */
  readonly workers?: number | SharedPool
}

/**
 * Message of the TypeError thrown when `workers` is asked of a runtime without threads.
 *
 * @example
 * ```ts
 * expect(() => new SealStream({ ...options, workers: 2 })).toThrow(NO_THREADS)
 * ```
 */
export const NO_THREADS = 'options.workers needs worker threads: import arrowseal on Node (the node export condition)'
