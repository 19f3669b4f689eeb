/**
 * One claimed sealed stream: reassembles its frames from JetStream messages, absorbs redeliveries by frame index,
 * refuses gaps and truncation, hands each frame to the `Opener` (the one reader engine: no crypto here) and
 * acknowledges a frame only once its batch has been verified and the caller has come back for the next one.
 * @module
 */
import type { JetStreamClient, JetStreamManager, JsMsg } from '@nats-io/jetstream'
import type { RecordBatch, Schema } from 'apache-arrow'
import { ArrowSealError, BrokerError, FormatError } from '../errors.js'
import { FRAME_KIND_END } from '../format/constants.js'
import type { PublicKey } from '../keys/public-key.js'
import type { CryptoPool } from '../seal/crypto-pool.js'
import type { OpenedFrame } from '../seal/frame-opener.js'
import type { Opener } from '../seal/opener.js'
import { type Envelope, type PipelineSubjects, readEnvelope } from './envelope.js'
import { dropPosition, positionName, unavailable } from './setup.js'

/** Everything a claimed stream needs from the reader that claimed it. */
export interface ClaimContext {
  readonly js: JetStreamClient
  readonly jsm: JetStreamManager
  readonly subjects: PipelineSubjects
  readonly group: string
  readonly idleTimeoutMs: number
  readonly maxFrameBytes: number
  /** Where to start: the caller's own count of batches done, or null to take the broker's position. */
  readonly start: number | null
  /** Whether the group's position in this stream existed (a resumed stream) or was just created. */
  readonly resumed: boolean
  /** Worker threads verifying frames (the reader's `workers` option), or null to verify in this thread. */
  readonly pool: CryptoPool | null
  /** Frames verified at once beyond the one being released: the pool's size. */
  readonly workers: number
}

/** A batch frame handed to the workers, with the message whose acknowledgement covers it (ack-all). */
interface InFlight {
  readonly job: Promise<OpenedFrame>
  readonly last: JsMsg
}

const IDLE = Symbol('idle')

/**
 * A sealed stream claimed from a reader group's work queue: iterate it for its verified record batches, exactly
 * as `OpenStream` yields them. Batch `k` is acknowledged to JetStream when the loop asks for batch `k + 1` (or the
 * end), so a reader that crashes while holding batch `k` gets it again on resume, never a batch it has not seen.
 *
 * @example
 * ```ts
 * const stream = await reader.next()
 * if (stream) for await (const batch of stream) console.log(stream.streamId, batch.numRows)
 * ```
 */
export class SealedNatsStream implements AsyncIterable<RecordBatch> {
  /** The verified stream id (32 lower-case hex digits). */
  readonly streamId: string
  /** Routing fields the header message carried, each checked against the signed public schema metadata. */
  readonly route: Readonly<Record<string, string>>
  /** The reader's schema: readable fields in the writer's order. */
  readonly schema: Schema
  /** The verified signer. */
  readonly signer: PublicKey
  #start: number
  readonly #opener: Opener
  readonly #work: JsMsg
  readonly #ctx: ClaimContext
  readonly #heartbeat: ReturnType<typeof setInterval>
  #used = false
  #done = false

  /** @internal */
  constructor(opener: Opener, work: JsMsg, route: Record<string, string>, ctx: ClaimContext, heartbeatMs: number) {
    this.#opener = opener
    this.#work = work
    this.#ctx = ctx
    this.streamId = Array.from(opener.header.streamId, (b) => b.toString(16).padStart(2, '0')).join('')
    this.route = Object.freeze({ ...route })
    this.schema = opener.schema
    this.signer = opener.signer
    this.#start = ctx.start ?? 0
    // Renews the claim while this reader holds the stream; if the process dies the renewals stop and JetStream
    // hands the header to another reader of the group after ack_wait.
    this.#heartbeat = setInterval(() => work.working(), heartbeatMs)
    this.#heartbeat.unref?.()
  }

  /**
   * Index of the first batch this claim yields: 0 for a fresh stream, else where it resumed (the caller's
   * `checkpoint`, or the broker's position once the first message arrived).
   */
  get startIndex(): number {
    return this.#start
  }

  /** True once the verified end frame was read and the claim acknowledged. */
  get completed(): boolean {
    return this.#done
  }

  /**
   * Gives the stream back without finishing it: the claim is released for another reader (or this one) to
   * resume from the last acknowledged batch. Iterating stops if it was running.
   */
  release(): void {
    if (this.#done) return
    clearInterval(this.#heartbeat)
    this.#ctx.pool?.close()
    this.#work.nak()
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<RecordBatch, void, undefined> {
    if (this.#used) throw new ArrowSealError('STREAM_ABORTED', 'a claimed stream can be iterated once')
    this.#used = true
    const { js, subjects, group } = this.#ctx
    let messages: Awaited<ReturnType<Awaited<ReturnType<JetStreamClient['consumers']['get']>>['consume']>>
    try {
      const consumer = await js.consumers.get(subjects.stream, positionName(group, this.streamId))
      messages = await consumer.consume({ max_messages: 32 })
    } catch (err) {
      this.release()
      throw unavailable('binding the stream position', err)
    }
    const it = messages[Symbol.asyncIterator]()
    let finished = false
    try {
      yield* this.#frames(it)
      finished = true
    } catch (err) {
      clearInterval(this.#heartbeat)
      // Verified-bad data will not verify on redelivery: terminate the claim. Anything else (the broker went
      // away) leaves it to be redelivered after ack_wait.
      if (err instanceof ArrowSealError && err.code !== 'BROKER_UNAVAILABLE') {
        this.#work.term()
        await dropPosition(this.#ctx.jsm, subjects, group, this.streamId)
      }
      throw err
    } finally {
      messages.stop()
      this.#ctx.pool?.close()
      if (!finished && !this.#done) this.release()
    }
  }

  async *#frames(it: AsyncIterator<JsMsg>): AsyncGenerator<RecordBatch, void, undefined> {
    // Frames dispatched to the workers and not yet released, oldest first.
    const inFlight: InFlight[] = []
    const opener = this.#opener
    let verifying = false
    // Releases the oldest dispatched frame: verified by a worker, checked for position here, then handed over and,
    // once the caller comes back, acknowledged.
    async function* releaseOne(): AsyncGenerator<RecordBatch, void, undefined> {
      const { job, last } = inFlight.shift()!
      verifying = true
      const result = opener.accept(await job)
      if (result.type !== 'batch') throw new BrokerError('BROKER_MISMATCH', 'an end frame sent as a batch')
      verifying = false
      yield result.batch
      last.ack()
    }
    try {
      yield* this.#receive(it, inFlight, releaseOne)
    } catch (err) {
      // A message refused while earlier frames were still at the workers: those come first, as in order they
      // would have (each released only if it verifies). Not after a frame that failed its own checks.
      if (!verifying) while (inFlight.length > 0) yield* releaseOne()
      throw err
    }
  }

  async *#receive(
    it: AsyncIterator<JsMsg>,
    inFlight: InFlight[],
    releaseOne: () => AsyncGenerator<RecordBatch, void, undefined>,
  ): AsyncGenerator<RecordBatch, void, undefined> {
    const { idleTimeoutMs, maxFrameBytes, subjects, pool, workers } = this.#ctx
    // The next frame slot wanted and the next part of it; `null` until the first message when resuming on the
    // broker's word.
    let expected: number | null = this.#ctx.start ?? (this.#ctx.resumed ? null : 0)
    let part = 0
    let buf: Uint8Array | null = null
    let filled = 0
    let positioned = false
    let pending: Promise<IteratorResult<JsMsg>> | null = null
    for (;;) {
      if (!pending) {
        pending = it.next()
        pending.catch(() => {}) // observed when awaited below
      }
      // A frame at the workers is released as soon as it is verified, not held until the next message comes (a
      // live stream may pause for a long time between batches).
      if (inFlight.length > 0 && (await settlesFirst(inFlight[0]!.job, pending))) {
        yield* releaseOne()
        continue
      }
      const msg = await nextOrIdle(pending, idleTimeoutMs)
      pending = null
      if (msg === IDLE)
        throw new FormatError('TRUNCATED', `no message of the stream for ${idleTimeoutMs} ms before its end frame`)
      const env: Envelope = readEnvelope(msg.subject, msg.headers, subjects)
      if (env.stream !== this.streamId) throw new BrokerError('BROKER_MISMATCH', 'a message names another stream')
      if (env.kind === 'abort') throw new FormatError('TRUNCATED', 'the writer aborted the stream before its end frame')
      if (env.kind === 'header') throw new BrokerError('BROKER_MISMATCH', 'a header message among the frames')
      if (expected === null) {
        // Resuming on the broker's position: ack-all means the first message handed out follows the last frame
        // acknowledged; leftover parts of that frame are skipped.
        if (env.part !== 0) continue
        expected = env.slot
        this.#start = expected
      }
      if (!positioned) {
        // Once, before the first frame: frames already dispatched do not move the opener until released.
        positioned = true
        if (expected > 0) this.#opener.resumeAt(expected)
      }
      // A redelivered or republished message of a frame already released: absorbed, nothing released twice.
      if (env.slot < expected || (env.slot === expected && env.part < part)) {
        if (env.kind === 'end') throw new FormatError('FRAME_OUT_OF_ORDER', `the stream ends before batch ${expected}`)
        continue
      }
      if (env.slot > expected || env.part > part)
        throw new FormatError(
          'FRAME_OUT_OF_ORDER',
          `gap: expected batch ${expected} part ${part}, got ${env.slot} part ${env.part}`,
        )
      if (part === 0) {
        if (msg.data.length < 4) throw new FormatError('FORMAT_INVALID', 'a frame part shorter than its length field')
        const declared = new DataView(msg.data.buffer, msg.data.byteOffset, 4).getUint32(0)
        if (declared > maxFrameBytes)
          throw new FormatError(
            'LIMIT_EXCEEDED',
            `a frame declares ${declared} bytes; this reader accepts at most ${maxFrameBytes}`,
          )
        // A frame in one message is used where it lies (the client hands each message its own bytes); only a
        // frame in several parts is assembled, into a buffer of the size its length field declares.
        buf = env.parts === 1 && msg.data.length === 4 + declared ? msg.data : new Uint8Array(4 + declared)
        filled = 0
      }
      if (filled + msg.data.length > buf!.length)
        throw new FormatError('FORMAT_INVALID', 'frame parts exceed the frame length')
      if (buf !== msg.data) buf!.set(msg.data, filled)
      filled += msg.data.length
      part++
      if (part < env.parts) continue
      if (filled !== buf!.length) throw new FormatError('TRUNCATED', 'frame parts end before the frame does')
      const frame = buf!.subarray(4)
      buf = null
      part = 0
      if (pool && env.kind === 'batch' && frame[0] !== FRAME_KIND_END) {
        // Near the stream's inflation limit, release frames first, so each gets exactly its in-order budget.
        let budget = this.#opener.inflateBudget(inFlight.length)
        while (!budget) {
          yield* releaseOne()
          budget = this.#opener.inflateBudget(inFlight.length)
        }
        const job = pool.open(frame, expected, budget)
        job.catch(() => {}) // surfaces, in order, when released
        inFlight.push({ job, last: msg })
        expected++
        // One frame per worker in flight besides the one being released, as OpenStream does.
        while (inFlight.length > workers) yield* releaseOne()
        continue
      }
      // The end frame (and everything without workers) is verified here, after every batch before it.
      while (inFlight.length > 0) yield* releaseOne()
      const result = await this.#opener.openFrame(frame)
      if (result.type === 'end') {
        await this.#finish(msg)
        return
      }
      if (env.kind !== 'batch') throw new BrokerError('BROKER_MISMATCH', 'a batch frame sent as the end')
      yield result.batch
      // The caller came back for more: it is done with this batch, so its frame (and every part and duplicate
      // before it: ack-all) is acknowledged.
      msg.ack()
      expected++
    }
  }

  async #finish(last: JsMsg): Promise<void> {
    clearInterval(this.#heartbeat)
    try {
      await last.ackAck()
      // The claim is acknowledged only after the verified end: the stream is done for the whole group.
      await this.#work.ackAck()
    } catch (err) {
      throw unavailable('acknowledging the end of the stream', err)
    }
    // The position stays (the server removes it after a day unused): it is what tells a republished header of
    // this stream from a new stream.
    this.#done = true
  }
}

/** Whether `job` settles before `next` does (the message is then left pending for the next turn). */
function settlesFirst(job: Promise<unknown>, next: Promise<unknown>): Promise<boolean> {
  const yes = () => true
  const no = () => false
  return Promise.race([job.then(yes, yes), next.then(no, no)])
}

/** The next message, or IDLE after `ms` without one; the caller's own time with a batch is not counted. */
async function nextOrIdle(next: Promise<IteratorResult<JsMsg>>, ms: number): Promise<JsMsg | typeof IDLE> {
  if (!Number.isFinite(ms)) {
    const r = await next
    if (r.done) throw new BrokerError('BROKER_UNAVAILABLE', 'the consumer closed')
    return r.value
  }
  let timer: ReturnType<typeof setTimeout> | undefined
  const idle = new Promise<typeof IDLE>((resolve) => {
    timer = setTimeout(() => resolve(IDLE), ms)
  })
  try {
    const r = await Promise.race([next, idle])
    if (r === IDLE) return IDLE
    if (r.done) throw new BrokerError('BROKER_UNAVAILABLE', 'the consumer closed')
    return r.value
  } finally {
    clearTimeout(timer)
  }
}
