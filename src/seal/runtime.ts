/**
 * The implementations a stream uses when the caller does not choose: the AEAD backend and the X25519 inside
 * X-Wing. The core entry uses Web APIs (WebCrypto, else noble; noble X25519); the Node entry passes a runtime
 * built on `node:crypto`. A runtime is a value threaded through the calls, never a global to mutate.
 * @module
 */
import { defaultBackend } from '../aead/default.js'
import type { CryptoBackend } from '../aead/types.js'
import { type Ed25519, nobleEd25519 } from '../keys/sign.js'
import { nobleX25519, type X25519 } from '../keys/xwing.js'
import type { CryptoPool, PoolInit } from './crypto-pool.js'

/**
 * Runtime defaults for sealing and opening.
 *
 * @example
 * ```ts
 * const runtime: Runtime = { name: 'web', backend: defaultBackend, x25519: nobleX25519 }
 * const sealer = await Sealer.create(schema, options, webRandom, runtime)
 * ```
 * @internal
 */
export interface Runtime {
  /** For diagnostics: `'web'` or `'node'`. */
  readonly name: string
  /** Makes the AEAD backend a stream uses when its options name none (one instance per stream). */
  readonly backend: () => CryptoBackend
  /** The X25519 implementation used inside X-Wing. */
  readonly x25519: X25519
  /** The Ed25519 half of the hybrid signatures. */
  readonly ed25519: Ed25519
  /**
   * Starts `size` crypto-phase workers for one stream; absent where the runtime has no threads.
   * @internal
   */
  readonly startPool?: (size: number, init: PoolInit) => Promise<CryptoPool>
  /**
   * Starts a SHA-256 hasher on another thread for the frames of one streaming rewrap; absent where the runtime
   * has no threads (the rewrap then hashes every frame on the calling thread).
   * @internal
   */
  readonly startFrameHasher?: () => FrameHasher
}

/**
 * SHA-256 of frame bodies off the calling thread, a few at a time (one rewrap stream's frames).
 * @internal
 */
export interface FrameHasher {
  /**
   * Starts hashing the concatenation of `parts` (copied, so the caller's buffers stay untouched), or returns null
   * when every slot is busy: the caller then hashes the frame itself.
   */
  start(parts: readonly Uint8Array[]): HashJob | null
  /** Stops the thread; pending jobs fail. Idempotent. */
  close(): void
}

/**
 * One frame being hashed by a {@link FrameHasher}.
 * @internal
 */
export interface HashJob {
  /** True once the digest is known (checked without waiting for the event loop). */
  readonly ready: boolean
  /** The digest; rejects with a typed error when the thread failed. Frees the slot. */
  digest(): Promise<Uint8Array>
}

/**
 * The Web-API runtime of the core entry.
 *
 * @example
 * ```ts
 * const backend = (options.backend ?? webRuntime.backend())
 * ```
 * @internal
 */
export const webRuntime: Runtime = Object.freeze({
  name: 'web',
  backend: defaultBackend,
  x25519: nobleX25519,
  ed25519: nobleEd25519,
})

/**
 * The backend a stream uses: the caller's, else the runtime's default.
 *
 * @example
 * ```ts
 * const backend = backendFor(options, runtime)
 * ```
 * @internal
 */
export function backendFor(options: { readonly backend?: CryptoBackend }, runtime: Runtime): CryptoBackend {
  return options.backend ?? runtime.backend()
}
