/**
 * Messages between a stream and its crypto-phase worker threads, and how errors cross the thread boundary:
 * an arrowseal error is rebuilt as the same class with the same code and message; anything else becomes a
 * generic error without its message, so no secret can leak through it.
 * @module
 */

import { ArrowSealError, type ArrowSealErrorCode, AuthError, FormatError, KeyError, PolicyError } from '../errors.js'
import type { FrameOpenerKeys, InflateBudget, OpenedFrame } from '../seal/frame-opener.js'
import type { EncodedBatch, FrameSealerKeys } from '../seal/frame-sealer.js'
import type { WorkerTimes } from './pool-trace.js'

/**
 * Main thread → worker. `id` numbers requests (replies carry it back); `stream` names the key slot of one
 * stream in a worker, so that one pool can serve several streams.
 *
 * @example
 * ```ts
 * worker.postMessage({ type: 'release', stream: 3 } satisfies Request)
 * ```
 */
export type Request =
  | { readonly type: 'seal-init'; readonly id: number; readonly stream: number; readonly keys: FrameSealerKeys }
  | { readonly type: 'open-init'; readonly id: number; readonly stream: number; readonly keys: FrameOpenerKeys }
  | { readonly type: 'release'; readonly stream: number }
  | {
      readonly type: 'seal'
      readonly id: number
      readonly stream: number
      /** Each unit's plaintext is one part, all of them views of one transferred buffer, given back when sealed. */
      readonly batch: EncodedBatch
      /** Bench-only (pool-trace.ts): the worker measures the job and sends the times back. */
      readonly trace: boolean
    }
  | {
      readonly type: 'open'
      readonly id: number
      readonly stream: number
      readonly frame: Uint8Array
      readonly expected: number
      readonly budget: InflateBudget
      /** The frame's buffer was transferred to be given back with the reply (`frame` of `opened`). */
      readonly lent: boolean
      /** Bench-only (pool-trace.ts): the worker measures the job and sends the times back. */
      readonly trace: boolean
    }

/**
 * Worker → main thread.
 *
 * @example
 * ```ts
 * const r: Reply = { type: 'ready', id: 0 }
 * ```
 */
export type Reply =
  | { readonly type: 'ready'; readonly id: number }
  | {
      readonly type: 'sealed'
      readonly id: number
      readonly frame: Uint8Array
      /** The buffer that carried the batch's plaintext units, given back (by transfer) for the next batch. */
      readonly units: ArrayBuffer | null
      readonly times?: WorkerTimes
    }
  | {
      readonly type: 'opened'
      readonly id: number
      readonly opened: OpenedFrame
      /** A lent frame's buffer, given back (by transfer) for the next frame; null when none was lent. */
      readonly frame: ArrayBuffer | null
      readonly times?: WorkerTimes
    }
  | { readonly type: 'error'; readonly id: number; readonly error: WireError }

/**
 * An error as it crosses threads.
 *
 * @example
 * ```ts
 * const e: WireError = { name: 'AuthError', code: 'AUTH_FAILED', message: 'sealed data failed authentication' }
 * ```
 */
export interface WireError {
  readonly name: string
  readonly code: ArrowSealErrorCode | null
  readonly message: string
}

/**
 * Flattens an error for postMessage.
 *
 * @example
 * ```ts
 * port.postMessage({ type: 'error', id, error: toWire(err) })
 * ```
 */
export function toWire(err: unknown): WireError {
  if (err instanceof ArrowSealError) return { name: err.name, code: err.code, message: err.message }
  // Not ours: say only what kind of error it was (its message could quote data).
  const name = err instanceof Error ? err.name : 'Error'
  return { name, code: null, message: `${name} in a worker thread` }
}

/**
 * Rebuilds an error sent by {@link toWire}.
 *
 * @example
 * ```ts
 * throw fromWire(reply.error)
 * ```
 */
export function fromWire(e: WireError): Error {
  if (e.code === null) return e.name === 'TypeError' ? new TypeError(e.message) : new Error(e.message)
  switch (e.name) {
    case 'AuthError':
      return new AuthError(e.code as ConstructorParameters<typeof AuthError>[0], e.message)
    case 'FormatError':
      return new FormatError(e.code as ConstructorParameters<typeof FormatError>[0], e.message)
    case 'PolicyError':
      return new PolicyError(e.code as ConstructorParameters<typeof PolicyError>[0], e.message)
    case 'KeyError':
      return new KeyError(e.message)
    default:
      return new ArrowSealError(e.code, e.message)
  }
}

/**
 * The ArrayBuffers of `views` that can be moved instead of copied: each must be wholly owned by its view.
 *
 * @example
 * ```ts
 * port.postMessage(reply, transferables([frame]))
 * ```
 */
export function transferables(views: readonly Uint8Array[]): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>()
  for (const v of views) {
    const b = v.buffer
    if (b instanceof ArrayBuffer && v.byteOffset === 0 && v.byteLength === b.byteLength) out.add(b)
  }
  return [...out]
}

/**
 * A copy of `view` that owns its whole buffer, unless it already does (postMessage clones whole buffers).
 *
 * @example
 * ```ts
 * const mine = owned(chunk.subarray(4, 100))
 * ```
 */
export function owned(view: Uint8Array): Uint8Array {
  return view.byteOffset === 0 && view.byteLength === view.buffer.byteLength ? view : view.slice()
}
