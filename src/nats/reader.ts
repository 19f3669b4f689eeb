/**
 * The reader side: one member of a reader group. Members share a durable pull consumer on the pipeline's header
 * subject (the work queue), so each sealed stream is claimed by one member at a time and its frames are read in
 * order by that member; the header is verified here, by the `Opener`, before a claimed stream is handed out.
 * @module
 */

import { type Consumer, type JetStreamManager, type JsMsg, jetstream } from '@nats-io/jetstream'
import type { NatsConnection } from '@nats-io/nats-core'
import { bytesToHex } from '@noble/hashes/utils.js'
import { decodeGroupSchema } from '../arrow/index.js'
import { ArrowSealError, BrokerError } from '../errors.js'
import { GROUP_KIND_PUBLIC, HARD_LIMITS } from '../format/constants.js'
import { nodeRuntime } from '../node/runtime.js'
import {
  attachPool,
  type CryptoPool,
  checkWorkers,
  type PoolInit,
  type SharedPool,
  wipePoolInit,
} from '../seal/crypto-pool.js'
import type { FrameOpenerKeys } from '../seal/frame-opener.js'
import { Opener } from '../seal/opener.js'
import { checkOpenOptions, type OpenOptions } from '../seal/options.js'
import { checkGroup, type PipelineSubjects, pipelineSubjects, readEnvelope, readRoute } from './envelope.js'
import { type ClaimContext, SealedNatsStream } from './sealed-stream.js'
import { claimPosition, ensureGroup, ensurePipeline, unavailable } from './setup.js'

/**
 * Options of {@link NatsStreamReader.join}: the open options, plus the pipeline and the reader group.
 *
 * @example
 * ```ts
 * const options: NatsReaderOptions = { subject: 'sensors', group: 'analytics', identity: me, trustedSigners: [w] }
 * ```
 */
export interface NatsReaderOptions extends OpenOptions {
  /** The pipeline's subject, as the writers publish it. */
  readonly subject: string
  /** The reader group (durable consumer name): members of one group share the streams between them. */
  readonly group: string
  /** JetStream stream name (default `ASEAL_<subject>`). */
  readonly stream?: string
  /** Create the JetStream stream if it does not exist (default true). */
  readonly ensureStream?: boolean
  /**
   * How long a claim survives without renewal (default 30,000 ms). A member renews its claims every third of it;
   * when a member dies, its streams go to another member this long after.
   */
  readonly ackWaitMs?: number
  /**
   * A claimed stream that sends no message for this long before its end frame is refused as `TRUNCATED` (default
   * 60,000 ms; `Infinity` waits for ever, for live streams with long pauses).
   */
  readonly idleTimeoutMs?: number
  /**
   * Your own durable record of how many batches of a stream you have finished (for exactly-once processing):
   * called once per claimed stream; frames below it are absorbed, a frame above it is a gap. Without it a resumed
   * stream starts where the broker says the last acknowledgement was (at-least-once: the batch in hand at a crash
   * comes again). See docs/guides/pipelines.md.
   */
  readonly checkpoint?: (streamId: string) => number | Promise<number>
  /**
   * Verify and decrypt frames on this many worker threads (or a shared `WorkerPool`), default 0 (in this thread).
   * With workers, this thread keeps receiving and reassembling the next frames from the broker while earlier ones
   * are verified; batches are still released in order, each only after its checks passed, and acknowledged only
   * after the caller came back for the next. Worth it when the reader has a core to spare (docs/benchmarks.md).
   */
  readonly workers?: number | SharedPool
}

/**
 * One member of a reader group on a sealed pipeline. Claim streams with {@link NatsStreamReader.next} (or iterate
 * {@link NatsStreamReader.streams}); each claimed stream's header has been verified (trusted signer, signatures,
 * this reader's stanza) and its routing headers checked against the signed header.
 *
 * @example
 * ```ts
 * import { connect } from '@nats-io/transport-node'
 * import { generateIdentity } from 'arrowseal'
 * import { NatsStreamReader } from 'arrowseal/nats'
 * const me = await generateIdentity()
 * const writer = await generateIdentity()
 * const nc = await connect({ servers: '127.0.0.1:4222' })
 * const reader = await NatsStreamReader.join(nc, {
 *   subject: 'docs-example', group: 'analytics', identity: me, trustedSigners: [writer.publicKey],
 * })
 * const stream = await reader.next(1000) // null: nothing published yet
 * if (stream) for await (const batch of stream) console.log(batch.numRows)
 * await nc.close()
 * ```
 */
export class NatsStreamReader {
  readonly #nc: NatsConnection
  readonly #jsm: JetStreamManager
  readonly #subjects: PipelineSubjects
  readonly #options: NatsReaderOptions
  readonly #work: Consumer
  readonly #ackWaitMs: number
  readonly #idleMs: number
  readonly #maxFrameBytes: number
  #closed = false

  private constructor(
    nc: NatsConnection,
    jsm: JetStreamManager,
    s: PipelineSubjects,
    o: NatsReaderOptions,
    work: Consumer,
  ) {
    this.#nc = nc
    this.#jsm = jsm
    this.#subjects = s
    this.#options = o
    this.#work = work
    this.#ackWaitMs = o.ackWaitMs ?? 30_000
    this.#idleMs = o.idleTimeoutMs ?? 60_000
    this.#maxFrameBytes = checkOpenOptions(o).maxFrameBytes
  }

  /** Joins (creating if needed) reader group `options.group` of the pipeline on `options.subject`. */
  static async join(nc: NatsConnection, options: NatsReaderOptions): Promise<NatsStreamReader> {
    checkOpenOptions(options)
    checkGroup(options.group)
    const ackWaitMs = options.ackWaitMs ?? 30_000
    if (!Number.isSafeInteger(ackWaitMs) || ackWaitMs < 1000) throw new RangeError('ackWaitMs: an integer ≥ 1000')
    const idle = options.idleTimeoutMs ?? 60_000
    if (!(idle === Number.POSITIVE_INFINITY || (Number.isSafeInteger(idle) && idle >= 100)))
      throw new RangeError('idleTimeoutMs: an integer ≥ 100, or Infinity')
    if (options.checkpoint !== undefined && typeof options.checkpoint !== 'function')
      throw new TypeError('checkpoint: a function of the stream id')
    checkWorkers(options.workers)
    const s = pipelineSubjects(options.subject, options.stream)
    const jsm = options.ensureStream === false ? await openManager(nc) : await ensurePipeline(nc, s)
    await ensureGroup(jsm, s, options.group, ackWaitMs)
    let work: Consumer
    try {
      work = await jetstream(nc).consumers.get(s.stream, options.group)
    } catch (err) {
      throw unavailable(`binding reader group ${options.group}`, err)
    }
    return new NatsStreamReader(nc, jsm, s, options, work)
  }

  /**
   * Claims the next sealed stream of the group, waiting up to `waitMs` (default 30,000 ms; at least 1,000) for one
   * to arrive; null if none did. A stream whose header fails verification is terminated for the group (it will
   * not verify on redelivery) and its typed error thrown: catch it and call `next` again to go on.
   */
  async next(waitMs = 30_000): Promise<SealedNatsStream | null> {
    if (this.#closed) throw new ArrowSealError('STREAM_ABORTED', 'the reader was closed')
    let msg: JsMsg | null
    try {
      msg = await this.#work.next({ expires: Math.max(1000, waitMs) })
    } catch (err) {
      throw unavailable('fetching the next stream', err)
    }
    if (!msg) return null
    try {
      const claimed = await this.#claim(msg)
      if (claimed) return claimed
      msg.ack() // a duplicate claim of a stream the group finished
      return await this.next(waitMs)
    } catch (err) {
      if (err instanceof ArrowSealError && err.code !== 'BROKER_UNAVAILABLE') msg.term()
      else msg.nak()
      throw err
    }
  }

  /** Claims streams one after another until {@link NatsStreamReader.close}; finish (or release) each before the next. */
  async *streams(waitMs = 5_000): AsyncGenerator<SealedNatsStream, void, undefined> {
    while (!this.#closed) {
      const s = await this.next(waitMs)
      if (s) yield s
    }
  }

  /** Stops claiming streams (the connection stays open: it is the caller's). */
  close(): void {
    this.#closed = true
  }

  async #claim(msg: JsMsg): Promise<SealedNatsStream | null> {
    const env = readEnvelope(msg.subject, msg.headers, this.#subjects)
    if (env.kind !== 'header')
      throw new BrokerError('BROKER_MISMATCH', 'the work queue holds a message that is not a header')
    const claimedRoute = readRoute(msg.headers)
    const threads = checkWorkers(this.#options.workers)
    let init: PoolInit | undefined
    const exportKeys = threads.size > 0 ? (open: FrameOpenerKeys) => (init = { open }) : undefined
    const opener = await Opener.create(msg.data, this.#options, nodeRuntime, exportKeys)
    let pool: CryptoPool | null = null
    try {
      // What the broker said (subject, headers) is held to what the writer signed.
      if (bytesToHex(opener.header.streamId) !== env.stream)
        throw new BrokerError('BROKER_MISMATCH', 'the header message carries another stream than its subject names')
      checkRoute(opener, claimedRoute)
    } catch (err) {
      if (init) wipePoolInit(init)
      throw err
    }
    const id = env.stream
    let start: number | null
    let resumed: boolean
    try {
      start = this.#options.checkpoint ? await checkpointOf(this.#options.checkpoint, id) : null
      const position = await claimPosition(this.#jsm, this.#subjects, this.#options.group, id, this.#ackWaitMs)
      if (position === 'complete') {
        if (init) wipePoolInit(init)
        return null
      }
      resumed = position === 'resumed'
      // attachPool wipes the exported keys once the workers hold their copies.
      if (init) pool = await attachPool(threads, nodeRuntime.startPool, init)
    } catch (err) {
      if (init) wipePoolInit(init)
      throw err
    }
    const ctx: ClaimContext = {
      js: jetstream(this.#nc),
      jsm: this.#jsm,
      subjects: this.#subjects,
      group: this.#options.group,
      idleTimeoutMs: this.#idleMs,
      maxFrameBytes: this.#maxFrameBytes,
      start,
      resumed,
      pool,
      workers: threads.size,
    }
    return new SealedNatsStream(opener, msg, claimedRoute, ctx, Math.max(300, Math.floor(this.#ackWaitMs / 3)))
  }
}

async function openManager(nc: NatsConnection): Promise<JetStreamManager> {
  const { jetstreamManager } = await import('@nats-io/jetstream')
  try {
    return await jetstreamManager(nc)
  } catch (err) {
    throw unavailable('opening the JetStream API', err)
  }
}

async function checkpointOf(fn: (id: string) => number | Promise<number>, id: string): Promise<number> {
  const n = await fn(id)
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError('checkpoint: must return an integer ≥ 0')
  return n
}

/** Every claimed routing field must equal the public schema metadata the writer signed. */
function checkRoute(opener: Opener, claimed: Readonly<Record<string, string>>): void {
  const keys = Object.keys(claimed)
  if (keys.length === 0) return
  const pub = opener.header.groups.find((g) => g.kind === GROUP_KIND_PUBLIC)
  const meta = pub
    ? decodeGroupSchema(pub.schema, { maxFields: HARD_LIMITS.maxFieldsPerGroup }).schema.metadata
    : new Map()
  for (const k of keys) {
    if (meta.get(k) !== claimed[k])
      throw new BrokerError('BROKER_MISMATCH', `routing header "${k}" does not match the signed public metadata`)
  }
}
