/**
 * One pass of a rewrap over its input: splits it into header and frames and feeds the {@link Rewrapper}. Where
 * the runtime has a frame hasher (Node) and the stream allows it, a streaming pass hashes frames on a second
 * thread: it begins up to {@link HASH_AHEAD} frames ahead, hashes each on the worker when a slot is free and on
 * the calling thread otherwise, and finishes (verifies, then emits) them strictly in order. The SHA-256 of every
 * frame body is the floor of a one-thread rewrap (docs/benchmarks.md, issue 14); two threads halve it.
 * @module
 */
import { DEFAULT_MAX_FRAME_BYTES } from '../format/constants.js'
import { FrameSplitter } from '../format/reader.js'
import type { RandomSource } from '../seal/random.js'
import type { FrameHasher, HashJob, Runtime } from '../seal/runtime.js'
import type { RewrapOptions } from './rewrap-options.js'
import { type BegunFrame, Rewrapper } from './rewrapper.js'

/**
 * Frames begun but not yet finished, at most: two on the worker and one hashed here. Each is a set of views of
 * input chunks (plus the worker's copy in its slot), so a pass holds at most this many frames beyond one.
 */
export const HASH_AHEAD = 3

/** Smaller frame bodies are hashed here: a copy and a thread hop cost more than they save. */
export const HASH_THREAD_MIN_BYTES = 1 << 20

interface InFlight {
  readonly begun: BegunFrame
  readonly job: HashJob | null
  readonly digest: Uint8Array | null
}

/** @internal */
export class Pass {
  readonly #options: RewrapOptions
  readonly #random: RandomSource
  readonly #runtime: Runtime
  readonly #splitter: FrameSplitter
  readonly #now: number
  /** Whether this pass may start a hasher thread (streaming, the runtime has one, the caller did not opt out). */
  readonly #threaded: boolean
  #rewrapper: Rewrapper | undefined
  #hasher: FrameHasher | null = null
  readonly #inFlight: InFlight[] = []

  constructor(options: RewrapOptions, random: RandomSource, runtime: Runtime, threaded: boolean, now = Date.now()) {
    this.#now = now
    this.#options = options
    this.#random = random
    this.#runtime = runtime
    this.#threaded = threaded && runtime.startFrameHasher !== undefined
    this.#splitter = new FrameSplitter(options?.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES)
  }

  async push(chunk: Uint8Array, emit: (bytes: Uint8Array) => void): Promise<void> {
    try {
      try {
        // Gathered, not assembled: a frame spread over chunks reaches the rewrapper as views of them, uncopied.
        for (const piece of this.#splitter.gather(chunk)) {
          if (piece.type === 'header') {
            const made = await Rewrapper.create(piece.bytes, this.#options, this.#random, this.#runtime, this.#now)
            this.#rewrapper = made.rewrapper
            emit(made.header)
            continue
          }
          const begun = this.#rewrapper!.begin(piece.parts)
          if (begun.end) this.#splitter.markEnded()
          const job = this.#startJob(begun)
          const digest = job ? null : await this.#rewrapper!.digest(begun.body)
          this.#inFlight.push({ begun, job, digest })
          await this.#settle(emit, false)
        }
      } catch (err) {
        // A later frame's error waits for the earlier frames: they are checked (and emitted, or fail) first, as
        // on one thread, so the error a stream ends with does not depend on how far ahead it was read.
        await this.#settle(emit, true)
        throw err
      }
    } catch (err) {
      this.abort()
      throw err
    }
  }

  /** End of input: finishes the frames in flight, then refuses a stream cut short before its end frame. */
  async end(emit: (bytes: Uint8Array) => void): Promise<void> {
    try {
      await this.#settle(emit, true)
      this.#splitter.close()
    } finally {
      this.abort()
    }
  }

  /** The stream failed or was cancelled (or is over): forgets the keys and stops the hasher thread. */
  abort(): void {
    this.#rewrapper?.wipe()
    this.#hasher?.close()
    this.#inFlight.length = 0
  }

  /** Hands the frame to the hasher thread when it pays and a slot is free; null: hash it here. */
  #startJob(begun: BegunFrame): HashJob | null {
    if (!this.#threaded || begun.frame.bodyLength < HASH_THREAD_MIN_BYTES) return null
    // At the first large frame, not before: a small stream, or one refused at its header, never starts a thread.
    this.#hasher ??= this.#runtime.startFrameHasher!()
    return this.#hasher.start(begun.body)
  }

  /**
   * Finishes frames in order: those whose digest is known, and the oldest ones while more than
   * {@link HASH_AHEAD} are in flight (waiting for the worker); all of them when `all`.
   */
  async #settle(emit: (bytes: Uint8Array) => void, all: boolean): Promise<void> {
    const q = this.#inFlight
    try {
      while (q.length > 0) {
        const head = q[0]!
        if (!all && q.length < HASH_AHEAD && head.job !== null && !head.job.ready) return
        q.shift()
        const digest = head.digest ?? (await head.job!.digest())
        for (const p of this.#rewrapper!.finish(head.begun, digest)) emit(p)
      }
    } catch (err) {
      // A frame failed its checks (or its hash): no later frame may go out, whatever it holds.
      q.length = 0
      throw err
    }
  }
}
