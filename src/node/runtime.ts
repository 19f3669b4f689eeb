/**
 * The Node runtime: `node:crypto` AES-GCM/SHA-256 (`nodeBackend`), `node:crypto` X25519 inside X-Wing, and
 * worker-thread pools for the `workers` option, and a frame-hashing thread for the streaming rewrap.
 * The Node entry threads it through every seal and open that does not name its own backend.
 * @module
 */
import type { Runtime } from '../seal/runtime.js'
import { nodeBackend } from './backend.js'
import { nodeEd25519 } from './ed25519.js'
import { startFrameHasher } from './frame-hasher.js'
import { startWorkerPool } from './parallel.js'
import { nodeX25519 } from './x25519.js'

/**
 * Runtime defaults on Node.
 *
 * @example
 * ```ts
 * import { nodeRuntime } from './runtime.js'
 * const sealed = await sealWhole(table, options, nodeRuntime)
 * ```
 * @internal
 */
export const nodeRuntime: Runtime = Object.freeze({
  name: 'node',
  backend: nodeBackend,
  x25519: nodeX25519,
  ed25519: nodeEd25519,
  startPool: startWorkerPool,
  startFrameHasher: () => startFrameHasher(),
})
