/**
 * Loads the arrowseal API for the benchmarks.
 *
 * Default: the TypeScript sources (`src/`), compiled on the fly by tsx with esbuild, the same compiler tsup uses
 * for `dist/`, so the code that runs is the same. The Node entry (`index.node`) is preferred when it exists. `--dist` loads the built package instead (`npm run bench` builds
 * it first). The import is dynamic so that baselines and peers still run, and say why, when the API cannot load.
 *
 * @module
 */
import type { RecordBatch, Table } from 'apache-arrow'

/** The slice of the public API the benchmarks use. */
export interface Identity {
  publicKey: string
}
/** AEAD backend handle, opaque here. */
export interface Backend {
  readonly name: string
}
/** Options common to seal and open in the benchmark. */
export interface SealOptions {
  signer: Identity
  recipients: Record<string, string[]>
  policy: unknown
  backend?: Backend
  workers?: WorkerPoolHandle
  /** Merge consecutive smaller batches before sealing (arrowseal's `minBatchRows`). */
  minBatchRows?: number
}
/** Open options. */
export interface OpenOptions {
  identity: Identity
  trustedSigners: string[]
  backend?: Backend
  workers?: WorkerPoolHandle
  /** Column projection: only the groups holding these columns are decrypted and decoded. */
  columns?: string[]
}
/** A started worker pool: pass it as `workers` in stream options; `close()` stops the threads. */
export interface WorkerPoolHandle {
  close(): unknown
}
/** What the benchmarks need from arrowseal. */
export interface ArrowSealApi {
  generateIdentity(): Promise<Identity>
  sealTable(table: Table, options: SealOptions): Promise<Uint8Array>
  openTable(sealed: Uint8Array, options: OpenOptions): Promise<Table>
  SealStream: new (options: SealOptions) => TransformStream<RecordBatch, Uint8Array>
  OpenStream: new (options: OpenOptions) => TransformStream<Uint8Array, RecordBatch>
  backends: { node?: () => Backend; webcrypto?: () => Backend; noble?: () => Backend }
  /** Writer sessions (format suite 2), when the build has them. */
  createWriterSession?: (signer: Identity, options?: { lifetimeSeconds?: number }) => Promise<Identity>
  /** Node entry only: a shared worker-thread pool for the crypto phase of streams (issue 3, item 3). */
  WorkerPool?: { start(size: number): Promise<WorkerPoolHandle> }
  /** Node entry: the post-quantum backend in use, `'native'` or `'noble'` (issue 12). */
  pqBackend?: () => string
  /** Where the API came from, for the report. */
  source: string
}

async function tryImport(spec: string): Promise<Record<string, unknown> | null> {
  try {
    return (await import(spec)) as Record<string, unknown>
  } catch {
    return null
  }
}

function fn<T>(mod: Record<string, unknown> | null, name: string): T | undefined {
  const value = mod?.[name]
  return typeof value === 'function' ? (value as T) : undefined
}

/**
 * Loads the API, or returns the reason it could not.
 *
 * @example
 * ```ts
 * const api = await loadApi(false)
 * if (typeof api === 'string') console.log('arrowseal cases skipped:', api)
 * ```
 */
export async function loadApi(fromDist: boolean): Promise<ArrowSealApi | string> {
  const root = fromDist ? '../dist/' : '../src/'
  const ext = '.js'
  // The Node entry (node:crypto AEAD, native X25519/Ed25519 where wired in) is what a Node pipeline gets; fall
  // back to the Web-API entry while it does not exist.
  const nodeIndex = await tryImport(`${root}index.node${ext}`)
  const index = nodeIndex ?? (await tryImport(`${root}index${ext}`))
  const entry = `${root}${nodeIndex ? 'index.node' : 'index'}${ext}`
  if (!index) return `cannot import ${root}index${ext}`
  const needed = ['generateIdentity', 'sealTable', 'openTable', 'SealStream', 'OpenStream']
  const missing = needed.filter((name) => typeof index[name] !== 'function')
  if (missing.length) return `${entry} does not export ${missing.join(', ')} yet`
  const nodeEntry = fromDist ? await tryImport('../dist/node/index.js') : await tryImport('../src/node/backend.js')
  const noble = fromDist ? index : await tryImport('../src/aead/noble.js')
  const webcrypto = fromDist ? index : await tryImport('../src/aead/webcrypto.js')
  return {
    ...(index as unknown as Omit<ArrowSealApi, 'backends' | 'source'>),
    backends: {
      node: fn(nodeEntry, 'nodeBackend') ?? fn(index, 'nodeBackend'),
      noble: fn(noble, 'nobleBackend'),
      webcrypto: fn(webcrypto, 'webCryptoBackend'),
    },
    createWriterSession: fn(index, 'createWriterSession'),
    WorkerPool:
      typeof index['WorkerPool'] === 'function'
        ? (index['WorkerPool'] as unknown as ArrowSealApi['WorkerPool'])
        : undefined,
    source: `${entry.slice(3)}${fromDist ? '' : ' (TypeScript via tsx)'}`,
  }
}
