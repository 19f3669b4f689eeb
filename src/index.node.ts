/**
 * arrowseal on Node: everything the core entry exports, with `node:crypto` chosen automatically. `sealTable`,
 * `openTable`, `SealStream`, `OpenStream` and `defaultBackend` use the OpenSSL AES-256-GCM backend and OpenSSL
 * X25519 inside X-Wing unless the caller passes a `backend`; the bytes are the same as on any other runtime.
 * Where `node:crypto` has ML-DSA-65 and ML-KEM-768 (Node 24), importing this entry makes every key, signature,
 * verification and decapsulation use them (see {@link pqBackend}).
 * Package consumers get this entry through the `node` export condition of `arrowseal`.
 *
 * @packageDocumentation
 */
import type { Table } from 'apache-arrow'
import type { CryptoBackend } from './aead/types.js'
import { postQuantum } from './keys/pq.js'
import { rewrapStreamWith, rewrapWith } from './lifecycle/rewrap.js'
import type { RewrapOptions } from './lifecycle/rewrap-options.js'
import { nodeBackend } from './node/backend.js'
import { installNodePostQuantum } from './node/install-pq.js'
import { nodeRuntime } from './node/runtime.js'
import type { OpenOptions, SealOptions } from './seal/options.js'
import { webRandom } from './seal/random.js'
import { type OpenedTable, openWhole, openWholeWithInfo, sealWhole } from './seal/whole.js'
import { type OpenStreamInit, OpenStream as WebOpenStream } from './stream/open-stream.js'
import { type SealStreamInit, SealStream as WebSealStream } from './stream/seal-stream.js'
import { type SealedInput, type TableInput, toBytes, toTable } from './table-input.js'

// At import, before any caller can make a key: the native post-quantum provider where the runtime has it. A call,
// not a bare side-effect import, which the bundler dropped (package.json declares no side effects).
installNodePostQuantum()

export * from './index.js'
export { WorkerPool } from './node/parallel.js'

/**
 * The backend a stream uses when its options name none: on Node, a new `node:crypto` backend.
 *
 * @example
 * ```ts
 * import { defaultBackend } from 'arrowseal'
 * console.log(defaultBackend().name) // 'node'
 * ```
 */
export function defaultBackend(): CryptoBackend {
  return nodeBackend()
}

/**
 * Which ML-DSA-65 / ML-KEM-768 implementation this process uses: `'native'` (`node:crypto`, Node 24) or
 * `'noble'` (`@noble/post-quantum`, Node 20/22). Set once at import from the runtime and
 * `ARROWSEAL_PQ_BACKEND=auto|native|noble`; both give the same keys and interoperate.
 *
 * @example
 * ```ts
 * import { pqBackend } from 'arrowseal'
 * console.log(pqBackend()) // 'native' on Node 24
 * ```
 */
export function pqBackend(): string {
  return postQuantum().name
}

/**
 * Seals a table for the recipients its policy names, as the core entry's `sealTable` does (same bytes), on
 * `node:crypto` unless `options.backend` says otherwise.
 *
 * @example
 * ```ts
 * import { tableFromArrays } from 'apache-arrow'
 * import { generateIdentity, sealTable } from 'arrowseal'
 * const writer = await generateIdentity()
 * const alice = await generateIdentity()
 * const table = tableFromArrays({ id: Int32Array.from([1, 2]), amount: Float64Array.from([9.5, 3]) })
 * const sealed = await sealTable(table, {
 *   signer: writer,
 *   recipients: { analysts: [alice.publicKey] },
 *   policy: { fields: { id: 'public', amount: ['analysts'] } },
 * })
 * ```
 */
export async function sealTable(table: TableInput, options: SealOptions): Promise<Uint8Array<ArrayBuffer>> {
  return sealWhole(await toTable(table), options, nodeRuntime)
}

/**
 * Verifies and opens a sealed stream held in memory, on `node:crypto` unless `options.backend` says otherwise.
 *
 * @example
 * ```ts
 * import { openTable } from 'arrowseal'
 * declare const sealed: Uint8Array, me: import('arrowseal').Identity, writerPublicKey: string
 * const table = await openTable(sealed, { identity: me, trustedSigners: [writerPublicKey] })
 * ```
 */
export async function openTable(bytes: SealedInput, options: OpenOptions): Promise<Table> {
  return openWhole(await toBytes(bytes), options, nodeRuntime)
}

/**
 * The core entry's `openTableWithInfo` (the table, its verified signer, writer session and stream id), on
 * `node:crypto` unless `options.backend` says otherwise.
 *
 * @example
 * ```ts
 * import { openTableWithInfo } from 'arrowseal'
 * declare const sealed: Uint8Array, me: import('arrowseal').Identity, writerPublicKey: string
 * const { table, signer } = await openTableWithInfo(sealed, { identity: me, trustedSigners: [writerPublicKey] })
 * ```
 */
export async function openTableWithInfo(bytes: SealedInput, options: OpenOptions): Promise<OpenedTable> {
  return openWholeWithInfo(await toBytes(bytes), options, nodeRuntime)
}

/**
 * The core `SealStream` on `node:crypto` unless `options.backend` says otherwise; same bytes. With
 * `workers: n`, AES-GCM, frame hashing and MACs run on n worker threads (on `node:crypto`), frames in order.
 *
 * @example
 * ```ts
 * import { SealStream } from 'arrowseal'
 * declare const batches: ReadableStream<import('apache-arrow').RecordBatch>, options: import('arrowseal').SealOptions
 * const sealed = batches.pipeThrough(new SealStream({ ...options, workers: 2 }))
 * ```
 */
export class SealStream extends WebSealStream {
  constructor(options: SealStreamInit) {
    super(options, nodeRuntime)
  }
}

/**
 * The core `OpenStream` on `node:crypto` unless `options.backend` says otherwise. With `workers: n`, frames
 * are verified and decrypted on n worker threads and released in order, each only after its checks passed.
 *
 * @example
 * ```ts
 * import { OpenStream } from 'arrowseal'
 * declare const bytes: ReadableStream<Uint8Array>, me: import('arrowseal').Identity, writerPublicKey: string
 * for await (const batch of bytes.pipeThrough(new OpenStream({ identity: me, trustedSigners: [writerPublicKey] })))
 *   console.log(batch.numRows)
 * ```
 */
export class OpenStream extends WebOpenStream {
  constructor(options: OpenStreamInit) {
    super(options, nodeRuntime)
  }
}

/**
 * `rewrap` on node:crypto (the Node entry's runtime): the same bytes, faster hashing and MACs.
 *
 * @example
 * ```ts
 * import { rewrap } from 'arrowseal'
 * const moved = await rewrap(sealed, { identity: steward, signer: steward, trustedSigners, remove: [aliceKeyId] })
 * ```
 */
export async function rewrap(sealed: Uint8Array, options: RewrapOptions): Promise<Uint8Array> {
  return rewrapWith(sealed, options, webRandom, nodeRuntime)
}

/**
 * `rewrapStream` on node:crypto (the Node entry's runtime).
 *
 * @example
 * ```ts
 * import { rewrapStream } from 'arrowseal'
 * await rewrapStream(input, { identity: steward, signer: steward, trustedSigners, remove: [aliceKeyId] }).pipeTo(sink)
 * ```
 */
export function rewrapStream(source: ReadableStream<Uint8Array>, options: RewrapOptions): ReadableStream<Uint8Array> {
  return rewrapStreamWith(source, options, webRandom, nodeRuntime)
}
