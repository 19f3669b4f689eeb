/**
 * Streaming reader: a WHATWG TransformStream from sealed bytes to verified record batches.
 * @module
 */

import { bytesToHex } from '@noble/hashes/utils.js'
import type { RecordBatch, Schema } from 'apache-arrow'
import { FormatError } from '../errors.js'
import { FRAME_KIND_END } from '../format/constants.js'
import { FrameSplitter } from '../format/reader.js'
import type { SessionCredential } from '../format/session.js'
import type { PublicKey } from '../keys/public-key.js'
import {
  attachPool,
  type CryptoPool,
  checkWorkers,
  InOrder,
  type PoolInit,
  type SharedPool,
} from '../seal/crypto-pool.js'
import type { OpenedFrame } from '../seal/frame-opener.js'
import type { KeyAccessInfo } from '../seal/key-access.js'
import { Opener } from '../seal/opener.js'
import { checkOpenOptions, type OpenOptions } from '../seal/options.js'
import { type Runtime, webRuntime } from '../seal/runtime.js'
import { type SealedInput, toByteStream } from '../table-input.js'
import { NO_THREADS } from './seal-stream.js'

/**
 * Opens a sealed byte stream, cut at any byte boundaries. Each batch is released only after its frame has
 * been authenticated (position, MAC and every AEAD tag); the stream errors if the input ends before the
 * authenticated end frame (`TRUNCATED`) or continues after it (`TRAILING_DATA`). Treat an errored stream as a
 * failed read of the whole: batches already released were authentic, but the stream was cut short.
 * Memory stays at one frame plus a constant.
 *
 * @example
 * ```ts
 * import { tableFromArrays } from 'apache-arrow'
 * import { generateIdentity, sealTable, OpenStream } from 'arrowseal'
 * const writer = await generateIdentity()
 * const alice = await generateIdentity()
 * const sealed = await sealTable(tableFromArrays({ id: Int32Array.from([1, 2]) }), {
 *   signer: writer, recipients: { analysts: [alice.publicKey] }, policy: { fields: { id: ['analysts'] } },
 * })
 * const bytes = new ReadableStream<Uint8Array>({ start(c) { c.enqueue(sealed); c.close() } })
 * const reader = new OpenStream({ identity: alice, trustedSigners: [writer.publicKey] })
 * for await (const batch of bytes.pipeThrough(reader)) console.log(batch.numRows)
 * ```
 */
export class OpenStream extends TransformStream<Uint8Array, RecordBatch> {
  /** Resolves with the reader's schema once the header has been verified; rejects if it never is. */
  readonly schema: Promise<Schema>
  /** Resolves with the verified signer's public key once the header has been verified. */
  readonly signer: Promise<PublicKey>
  /** Resolves with who rewrapped the stream, in order (empty if it never was), once the header has been verified. */
  readonly rewrappers: Promise<readonly PublicKey[]>
  /** Resolves with the writer session that signed the header (suite 2), or null (hybrid signature), once verified. */
  readonly session: Promise<SessionCredential | null>
  /** Resolves with the verified stream id (32 lower-case hex digits, as `inspect` shows it). */
  readonly streamId: Promise<string>
  /** Resolves with how the keys came from a key-access gateway (`keyAccess` option), or null for a direct recipient. */
  readonly keyAccess: Promise<KeyAccessInfo | null>

  /**
   * An `OpenStream` already reading from `input`: sealed bytes, a `Response`, a `ReadableStream<Uint8Array>`, or
   * any `AsyncIterable<Uint8Array>` (a Node `Readable` is one), the sources apache-arrow's own readers accept.
   * The source is read as the batches are, so memory stays at one frame, as with `pipeThrough`. Read the batches
   * from `readable`; a source that fails or yields something other than bytes errors it.
   *
   * @example
   * ```ts
   * import { OpenStream } from 'arrowseal'
   * declare const me: import('arrowseal').Identity, writerPublicKey: string
   * const stream = OpenStream.from(await fetch('/data.aseal'), { identity: me, trustedSigners: [writerPublicKey] })
   * console.log((await stream.schema).fields.length)
   * for await (const batch of stream.readable) console.log(batch.numRows)
   * ```
   */
  static from<S extends OpenStream>(
    this: new (
      options: OpenStreamInit,
    ) => S,
    input: SealedInput,
    options: OpenStreamInit,
  ): S {
    const source = toByteStream(input)
    if (source.locked) throw new TypeError('OpenStream.from: the ReadableStream is locked (already being read)')
    const stream = new this(options)
    // pipeTo aborts the writable when the source fails, which errors `readable` with the source's error; the
    // catch only keeps that rejection from being reported as unhandled.
    source.pipeTo(stream.writable).catch(() => {})
    return stream
  }

  /**
   * @param options - open options.
   * @param runtime - internal: default backend and X25519; the Node entry's subclass passes node:crypto ones.
   */
  constructor(options: OpenStreamInit, runtime: Runtime = webRuntime) {
    const { maxFrameBytes } = checkOpenOptions(options)
    const threads = checkWorkers(options.workers)
    const workers = threads.size
    if (workers > 0 && !threads.shared && !runtime.startPool) throw new TypeError(NO_THREADS)
    const splitter = new FrameSplitter(maxFrameBytes)
    let opener: Opener | undefined
    let pool: CryptoPool | undefined
    const inFlight = new InOrder<OpenedFrame>()
    let dispatched = 0
    let settle: { resolve: (o: Opener) => void; reject: (e: unknown) => void } | undefined
    const ready = new Promise<Opener>((resolve, reject) => {
      settle = { resolve, reject }
    })
    const fail = (err: unknown): never => {
      pool?.close()
      settle!.reject(err)
      throw err
    }
    // Releases the oldest worker result: verified there, checked for position and decoded here.
    const releaseOne = async (controller: TransformStreamDefaultController<RecordBatch>) => {
      const result = opener!.accept(await inFlight.shift())
      if (result.type === 'batch') controller.enqueue(result.batch)
    }
    super({
      async transform(chunk, controller) {
        if (!(chunk instanceof Uint8Array)) fail(new TypeError('OpenStream: chunks must be Uint8Array'))
        try {
          for (const piece of splitter.push(chunk)) {
            if (piece.type === 'header') {
              let init: PoolInit | undefined
              const o = await Opener.create(
                piece.bytes,
                options,
                runtime,
                workers > 0 ? (open) => (init = { open }) : undefined,
              )
              if (init) pool = await attachPool(threads, runtime.startPool, init)
              opener = o
              settle!.resolve(opener)
              continue
            }
            if (!opener) throw new FormatError('FORMAT_INVALID', 'frame before header')
            // The end frame (kind byte 2; a forged kind fails its MAC) is verified here, after every batch
            // before it, so that nothing after it is ever dispatched.
            if (pool && piece.bytes[0] !== FRAME_KIND_END) {
              // Frames in flight may each inflate up to the per-frame limit; near the stream's limit, accept them
              // first, so the next frame gets exactly the budget it would get in order.
              let budget = opener.inflateBudget(inFlight.size)
              while (!budget) {
                await releaseOne(controller)
                budget = opener.inflateBudget(inFlight.size)
              }
              // A frame the splitter assembled goes to the worker by transfer and comes back for the next one.
              const lend = splitter.lendable(piece.bytes) ? (b: ArrayBuffer) => splitter.adopt(b) : undefined
              inFlight.push(pool.open(piece.bytes, dispatched++, budget, lend))
              // One job per worker plus one: deeper queues measured no faster and hold more fresh memory.
              while (inFlight.size > workers) await releaseOne(controller)
              continue
            }
            while (inFlight.size > 0) await releaseOne(controller)
            const result = await opener.openFrame(piece.bytes)
            // Nothing returned refers to the frame's bytes (units are decrypted, inflated or copied out of it).
            splitter.recycle(piece.bytes)
            if (result.type === 'end') {
              splitter.markEnded()
              pool?.close()
            } else controller.enqueue(result.batch)
          }
        } catch (err) {
          fail(err)
        }
      },
      async flush(controller) {
        try {
          while (inFlight.size > 0) await releaseOne(controller)
          pool?.close()
          splitter.close()
        } catch (err) {
          fail(err)
        }
      },
    })
    // Observed here so that a caller who never reads `schema` gets no unhandled rejection.
    ready.catch(() => {})
    this.schema = ready.then((o) => o.schema)
    this.signer = ready.then((o) => o.signer)
    this.rewrappers = ready.then((o) => o.rewrappers)
    this.session = ready.then((o) => o.session)
    this.streamId = ready.then((o) => bytesToHex(o.header.streamId))
    this.keyAccess = ready.then((o) => o.keyAccess)
    this.keyAccess.catch(() => {})
    this.schema.catch(() => {})
    this.signer.catch(() => {})
    this.rewrappers.catch(() => {})
    this.session.catch(() => {})
    this.streamId.catch(() => {})
  }
}

/**
 * Options of {@link OpenStream}: the open options, plus its worker threads.
 *
 * @example
 * ```ts
 * const init: OpenStreamInit = { identity: me, trustedSigners: [writerKey], workers: 2 }
 * ```
 */
export interface OpenStreamInit extends OpenOptions {
  /**
   * Node entry only: verify and decrypt frames on this many worker threads (default 0: in this thread). Each
   * frame's MAC and AEAD tags are checked in a worker before its plaintext comes back; it is then checked for
   * position and decoded here, and batches are released in stream order, as the single-threaded reader does.
   * Inflating deflate-compressed units also happens in the workers: on the 2-core VM of docs/benchmarks.md two
   * workers opened a compressed stream 1.07–1.33× faster, while for uncompressed data they gave at most 1.15×: V8's
   * garbage-collector helpers already keep the second core busy (docs/guides/performance.md, section 5).
   *
   * Give a `WorkerPool` (Node entry) instead of a count to share threads between streams and pay their
   * start-up once.
   */
  readonly workers?: number | SharedPool
}
