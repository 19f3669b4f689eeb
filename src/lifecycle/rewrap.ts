/**
 * Rewrap: change who may read a sealed stream without touching its payload units (format.md §Rewrapped streams).
 * Both entry points drive one {@link Rewrapper}: a header, then one frame at a time.
 * @module
 */
import { concatAll } from '../format/bytes.js'
import { type RandomSource, webRandom } from '../seal/random.js'
import { type Runtime, webRuntime } from '../seal/runtime.js'
import type { RewrapOptions } from './rewrap-options.js'
import { Pass } from './rewrap-pass.js'

/**
 * Rewraps a whole sealed stream in memory: verifies the input (trusted signers, the rewrapper's stanza, every
 * frame's authenticators), then writes a new header signed by `options.signer` and every frame with its payload
 * units byte for byte unchanged and new authenticators.
 *
 * @throws ArrowSealError `SIGNER_UNTRUSTED`, `SIGNATURE_INVALID`, `NOT_A_RECIPIENT`, `RECIPIENT_UNKNOWN`,
 *   `POLICY_UNKNOWN_ROLE`, `POLICY_INVALID`, `REWRAP_NOT_ENTITLED`, `AUTH_FAILED`, `TRUNCATED` and the format codes.
 * @example
 * ```ts
 * import { rewrap, openTable } from 'arrowseal'
 * const moved = await rewrap(sealed, {
 *   identity: steward, signer: steward, trustedSigners: [writer.publicKey],
 *   policy, add: { analysts: [carol.publicKey] }, remove: [alice.publicKey],
 * })
 * await openTable(moved, { identity: carol, trustedSigners: [writer.publicKey, steward.publicKey] })
 * ```
 */
export async function rewrap(sealed: Uint8Array, options: RewrapOptions): Promise<Uint8Array> {
  return rewrapWith(sealed, options)
}

/**
 * {@link rewrap} with injected randomness and runtime (golden files, the Node entry).
 * @internal
 */
export async function rewrapWith(
  sealed: Uint8Array,
  options: RewrapOptions,
  random: RandomSource = webRandom,
  runtime: Runtime = webRuntime,
  now: number = Date.now(),
): Promise<Uint8Array> {
  if (!(sealed instanceof Uint8Array)) throw new TypeError('rewrap: the first argument must be a Uint8Array')
  const out: Uint8Array[] = []
  // One thread: the whole input is in memory already, and the output one buffer (docs/benchmarks.md, issue 14).
  const pass = new Pass(options, random, runtime, false, now)
  const emit = (b: Uint8Array) => out.push(b)
  await pass.push(sealed, emit)
  await pass.end(emit)
  return concatAll(out)
}

/**
 * Rewraps a sealed byte stream in one pass and bounded memory (the header, then one frame at a time). Every
 * header-level failure rejects the first read, before any byte is produced; a frame that fails its checks errors
 * the stream where it stands, so write to a temporary file and keep it only when the stream completes.
 *
 * @example
 * ```ts
 * import { rewrapStream } from 'arrowseal'
 * const out = rewrapStream(file.stream(), { identity: steward, signer: steward, trustedSigners, remove: [aliceKeyId] })
 * await out.pipeTo(sink)
 * ```
 */
export function rewrapStream(source: ReadableStream<Uint8Array>, options: RewrapOptions): ReadableStream<Uint8Array> {
  return rewrapStreamWith(source, options)
}

/**
 * {@link rewrapStream} with injected randomness and runtime.
 * @internal
 */
export function rewrapStreamWith(
  source: ReadableStream<Uint8Array>,
  options: RewrapOptions,
  random: RandomSource = webRandom,
  runtime: Runtime = webRuntime,
): ReadableStream<Uint8Array> {
  if (!(source instanceof ReadableStream)) throw new TypeError('rewrapStream: the source must be a ReadableStream')
  const reader = source.getReader()
  const pass = new Pass(options, random, runtime, options?.hashThread !== false)
  // An error found after this pull enqueued verified frames waits for the next pull: erroring the stream now
  // would drop those frames from its queue, and a reader should get every frame that passed, in order.
  let failed: { error: unknown } | null = null
  return new ReadableStream<Uint8Array>(
    {
      // Reads input until at least one output piece is ready: the queue holds at most what one chunk produced.
      async pull(controller) {
        if (failed) throw failed.error
        let produced = false
        const emit = (b: Uint8Array) => {
          produced = true
          controller.enqueue(b)
        }
        try {
          while (!produced) {
            const { value, done } = await reader.read()
            if (done) {
              await pass.end(emit)
              controller.close()
              return
            }
            if (!(value instanceof Uint8Array))
              throw new TypeError('rewrapStream: the source must yield Uint8Array chunks')
            await pass.push(value, emit)
          }
        } catch (error) {
          pass.abort()
          if (!produced) throw error
          failed = { error }
        }
      },
      async cancel(reason) {
        pass.abort()
        await reader.cancel(reason)
      },
    },
    { highWaterMark: 0 },
  )
}
