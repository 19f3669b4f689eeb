/**
 * `arrowseal/node`: Node-only helpers kept out of the Web-API core. Stream adapters for `stream.pipeline`, file
 * helpers (atomic writes, 0600 identity files), and the `node:crypto` AES-GCM backend.
 *
 * @example
 * ```ts
 * import { readIdentityFile, openFile } from 'arrowseal/node'
 * const me = await readIdentityFile('me.key')
 * const table = await openFile('data.aseal', { identity: me, trustedSigners: [writerPublicKey] })
 * ```
 *
 * @module
 */
export { type AtomicFile, type AtomicFileOptions, createAtomicFile, writeFileAtomic } from './atomic.js'
export { nodeBackend } from './backend.js'
export {
  type Identity,
  identityLine,
  type OpenOptions,
  openFile,
  readIdentityFile,
  type SealOptions,
  sealFile,
  writeIdentityFile,
} from './files.js'
export { WorkerPool } from './parallel.js'
export { createOpenStream, createSealStream, type OpenStreamOptions, type SealStreamOptions } from './streams.js'
