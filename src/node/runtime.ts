/**
 * The Node runtime: `node:crypto` AES-GCM/SHA-256 (`nodeBackend`) and `node:crypto` X25519 inside X-Wing.
 * The Node entry threads it through every seal and open that does not name its own backend.
 * @module
 */
import type { Runtime } from '../seal/runtime.js'
import { nodeBackend } from './backend.js'
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
export const nodeRuntime: Runtime = Object.freeze({ name: 'node', backend: nodeBackend, x25519: nodeX25519 })
