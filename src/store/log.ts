/**
 * The audit log over a store: group-committed durable appends, signed checkpoints, proofs, and a full audit that
 * recomputes the tree from the entry bytes.
 *
 * @module
 */
import { openCheckpoint, signCheckpointWith } from '../audit/checkpoint.js'
import {
  consistencyProof,
  emptyRoot,
  inclusionProof,
  leafHash,
  nodeHash,
  type SubtreeId,
  treeRoot,
} from '../audit/merkle.js'
import { logKey } from '../audit/vkey.js'
import { AuditError, StoreError } from '../errors.js'
import { constantTimeEqual } from '../format/bytes.js'
import type { Identity } from '../keys/identity.js'
import { type PublicKey, parsePublicKey } from '../keys/public-key.js'
import type { Ed25519 } from '../keys/sign.js'
import { BoundedMap } from '../util/bounded-map.js'
import { type Backend, buildRows, Frontier, MAX_ENTRY_BYTES, type StoredSubtree } from './backend.js'
import { openPostgresBackend } from './postgres.js'
import { openSqliteBackend } from './sqlite.js'

/** Where the log lives: a SQLite file, or a PostgreSQL database (and schema, default `arrowseal_audit`). */
export type StoreLocation = { readonly sqlite: string } | { readonly postgres: string; readonly schema?: string }

/** Options of {@link openAuditLog}. */
export interface AuditLogOptions {
  /** The log's name, the first line of every checkpoint. Required to create a log; checked when opening one. */
  readonly origin?: string
  /** The log's signing identity. Without it the log is read-only (proofs, entries, verification). */
  readonly identity?: Identity
  /** The log's public key, for a read-only open: the store must have been created for this key. */
  readonly publicKey?: PublicKey | string
  /** Most entries one group commit writes (default 4,096). */
  readonly maxBatch?: number
  /**
   * The Ed25519 implementation signing checkpoints (default noble's). Pass `nodeEd25519` from `arrowseal/node`
   * for ~20× faster signing where checkpoints are frequent (a gateway signs one every few ms under load); Ed25519
   * is deterministic, so the notes are the same bytes.
   */
  readonly ed25519?: Ed25519
}

/** What {@link AuditLog.verify} checked. */
export interface VerifyReport {
  /** Entries whose bytes were rehashed. */
  readonly size: number
  /** Root recomputed from the entry bytes. */
  readonly root: Uint8Array
}

interface Pending {
  readonly bytes: Uint8Array
  readonly resolve: (r: { index: number }) => void
  readonly reject: (e: unknown) => void
}

/** Entries read per query while auditing. */
const AUDIT_CHUNK = 4096

/**
 * Complete-subtree hashes kept in memory (about 100 bytes each). A complete subtree never changes once durable,
 * so a cached hash is never stale; caching them turns the O(log n) reads of every inclusion proof and checkpoint
 * root into memory lookups (the gateway computes one proof per grant).
 */
const SUBTREE_CACHE = 65_536

/**
 * An append-only Merkle log in a SQLite file or a PostgreSQL database.
 *
 * @example
 * ```ts
 * import { openAuditLog } from 'arrowseal/store'
 * const log = await openAuditLog({ sqlite: 'audit.db' }, { origin: 'example.com/audit', identity })
 * const { index } = await log.append(encodeAuditEvent(event)) // durable when it resolves
 * const note = await log.checkpoint()
 * await log.close()
 * ```
 */
export class AuditLog {
  private pending: Pending[] = []
  private running = false
  private closed = false
  private readonly maxBatch: number
  private readonly subtrees = new BoundedMap<string, Uint8Array>(SUBTREE_CACHE)
  /** The largest size this process knows to be durable: sizes only grow, so a smaller one needs no query. */
  private durableSize: number
  /** Checkpoint notes being stored in the background ({@link issueCheckpoint}). */
  private readonly storing = new Set<Promise<void>>()
  /** The largest size committed by this process, durable or about to be (>= durableSize). */
  private committedSize: number
  private durableWaiters: { size: number; resolve: () => void; reject: (e: unknown) => void }[] = []

  /** @internal use {@link openAuditLog} */
  constructor(
    private readonly backend: Backend,
    /** The log's origin. */
    readonly origin: string,
    /** The log's public key. */
    readonly publicKey: PublicKey,
    private readonly identity: Identity | undefined,
    private frontier: Frontier,
    maxBatch: number,
    private readonly ed25519?: Ed25519,
  ) {
    this.maxBatch = maxBatch
    this.durableSize = frontier.size
    this.committedSize = frontier.size
  }

  /** The backend in use. */
  get kind(): 'sqlite' | 'postgres' {
    return this.backend.kind
  }

  /**
   * Appends one entry. Concurrent appends share one transaction; the promise resolves with the entry's index only
   * once that transaction is durable, and rejects if it failed (then the entry is not in the log).
   *
   * @example
   * ```ts
   * const { index } = await log.append(bytes)
   * ```
   */
  append(bytes: Uint8Array): Promise<{ index: number }> {
    if (!(bytes instanceof Uint8Array)) return Promise.reject(new TypeError('"bytes" must be a Uint8Array'))
    if (bytes.length > MAX_ENTRY_BYTES) {
      return Promise.reject(new RangeError(`an entry is at most ${MAX_ENTRY_BYTES} bytes, got ${bytes.length}`))
    }
    if (!this.identity) return Promise.reject(new TypeError('the log was opened without its identity (read-only)'))
    if (this.closed) return Promise.reject(new StoreError('STORE_UNAVAILABLE', 'the audit log is closed'))
    // Copied: the caller may reuse its buffer before the commit.
    const copy = bytes.slice()
    return new Promise((resolve, reject) => {
      this.pending.push({ bytes: copy, resolve, reject })
      if (!this.running) {
        this.running = true
        // setImmediate lets every append issued in this turn of the event loop join the first commit.
        setImmediate(() => void this.drain())
      }
    })
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, this.maxBatch)
      try {
        const start = await this.commit(batch.map((p) => p.bytes))
        for (const [i, p] of batch.entries()) p.resolve({ index: start + i })
      } catch (err) {
        for (const p of batch) p.reject(err)
      }
    }
    this.running = false
  }

  private async commit(batch: readonly Uint8Array[]): Promise<number> {
    if (this.backend.appendAt) {
      // Optimistic: the frontier this process holds is usually the database's (one writer, or replicas taking
      // turns); then the append is one round trip. The size check is made under the row lock, in the statement.
      const next = this.frontier.clone()
      const rows = buildRows(next, batch)
      if (await this.backend.appendAt(this.frontier.size, rows.entries, rows.subtrees, next.size)) {
        return this.committed(this.frontier.size, next, rows.subtrees)
      }
    }
    let after = 0
    let out: { start: number; next: Frontier; subtrees: StoredSubtree[] }
    try {
      out = await this.backend.write(
        async (tx) => {
          const size = await tx.size()
          // Another writer (a replica, or an earlier process) moved the tree on: reload the right edge under the lock.
          let base = this.frontier
          if (size !== base.size) base = await Frontier.load(size, (ids) => tx.readSubtrees(ids))
          const next = base.clone()
          const rows = buildRows(next, batch)
          await tx.insert(rows.entries, rows.subtrees, next.size)
          after = next.size
          return { start: size, next, subtrees: rows.subtrees }
        },
        // Committed, not yet durable (SQLite's WAL fsync runs next, off the event loop): a checkpoint may be signed
        // over this size meanwhile, and is released only once it is durable (issueCheckpoint).
        () => {
          this.committedSize = Math.max(this.committedSize, after)
        },
      )
    } catch (err) {
      this.settleDurable(err)
      throw err
    }
    return this.committed(out.start, out.next, out.subtrees)
  }

  /** Resolves the checkpoints waiting for a durable size (or, after a failed write, rejects those past it). */
  private settleDurable(err?: unknown): void {
    if (err !== undefined) this.committedSize = this.durableSize
    this.durableWaiters = this.durableWaiters.filter((w) => {
      if (w.size <= this.durableSize) w.resolve()
      else if (err !== undefined) w.reject(err)
      else return true
      return false
    })
  }

  private waitDurable(size: number): Promise<void> {
    if (size <= this.durableSize) return Promise.resolve()
    return new Promise((resolve, reject) => this.durableWaiters.push({ size, resolve, reject }))
  }

  private committed(start: number, next: Frontier, subtrees: readonly StoredSubtree[]): number {
    // Cached only once the commit is durable: a rolled-back batch leaves nothing behind.
    for (const t of subtrees) this.subtrees.set(`${t.level}/${t.index}`, t.hash)
    this.frontier = next
    this.durableSize = Math.max(this.durableSize, next.size)
    this.committedSize = Math.max(this.committedSize, this.durableSize)
    this.settleDurable()
    return start
  }

  /**
   * The durable tree size.
   *
   * @example
   * ```ts
   * const n = await log.size()
   * ```
   */
  size(): Promise<number> {
    return this.backend.size()
  }

  /**
   * The root hash of the tree at `size` (default: now).
   *
   * @example
   * ```ts
   * const root = await log.root()
   * ```
   */
  async root(size?: number): Promise<Uint8Array> {
    return treeRoot(await this.checkSize(size), this.reader)
  }

  /**
   * Signs and stores a checkpoint for the current durable size; returns the signed note text.
   *
   * @example
   * ```ts
   * await writeFile('checkpoint.note', await log.checkpoint())
   * ```
   */
  async checkpoint(): Promise<string> {
    if (!this.identity) throw new TypeError('the log was opened without its identity (read-only)')
    const size = await this.backend.size()
    const note = await this.signAt(size, this.identity)
    await this.backend.saveCheckpoint(size, note)
    return note
  }

  /** The checkpoint note of the tree at `size`, signed by the log's identity. */
  private async signAt(size: number, identity: Identity): Promise<string> {
    const root = await treeRoot(size, this.reader)
    return signCheckpointWith({ origin: this.origin, size, root }, identity, undefined, this.ed25519)
  }

  /**
   * Signs a checkpoint at the largest size this process has committed (no database read: its own appends set it),
   * hands it out once that size is durable, and stores it in the background. A receipt may carry the note before it is stored: what makes a
   * checkpoint safe to hand out is that the entries it covers are durable (they are: the size is only ever moved
   * forward after a commit), not that the note is stored; the stored row serves `latestCheckpoint` and the check
   * on open, which a crash before the store leaves consistent (an older note, or none). `stored` settles when the
   * row is written; a failure there is reported by it and does not withdraw the note.
   *
   * @example
   * ```ts
   * const { size, note, stored } = await log.issueCheckpoint()
   * stored.catch(() => {}) // the note is valid either way
   * ```
   */
  async issueCheckpoint(): Promise<{ size: number; note: string; stored: Promise<void> }> {
    if (!this.identity) throw new TypeError('the log was opened without its identity (read-only)')
    // Signed over the committed size (on SQLite a batch may be in its fsync): its subtrees are in the cache or the
    // database already. The note is neither returned nor stored before that size is durable; if that batch fails,
    // it is thrown away and the checkpoint signed again over the durable size. (The subtree hashes read meanwhile
    // may be cached before their fsync: a failed fsync breaks the SQLite backend for good, so none is ever
    // contradicted by a later write.)
    let size = this.committedSize
    let note = await this.signAt(size, this.identity)
    try {
      await this.waitDurable(size)
    } catch {
      size = this.durableSize
      note = await this.signAt(size, this.identity)
    }
    const stored = this.backend.saveCheckpoint(size, note)
    // close() waits for it: the backend must not be closed under a store in flight.
    this.storing.add(stored)
    const done = () => void this.storing.delete(stored)
    stored.then(done, done)
    return { size, note, stored }
  }

  /**
   * The latest checkpoint the log stored, or null. Not trusted by itself: open it with `openCheckpoint`.
   *
   * @example
   * ```ts
   * const note = await log.latestCheckpoint()
   * ```
   */
  async latestCheckpoint(): Promise<string | null> {
    return (await this.backend.latestCheckpoint())?.note ?? null
  }

  /**
   * The inclusion proof of entry `index` in the tree of `size` leaves (default: now), RFC 9162 §2.1.3.
   *
   * @example
   * ```ts
   * const proof = await log.inclusionProof(index, checkpoint.size)
   * ```
   */
  async inclusionProof(index: number, size?: number): Promise<Uint8Array[]> {
    return inclusionProof(index, await this.checkSize(size), this.reader)
  }

  /**
   * The consistency proof from the tree of `oldSize` leaves to that of `newSize` (default: now), RFC 9162 §2.1.4.
   *
   * @example
   * ```ts
   * const proof = await log.consistencyProof(old.size, current.size)
   * ```
   */
  async consistencyProof(oldSize: number, newSize?: number): Promise<Uint8Array[]> {
    return consistencyProof(oldSize, await this.checkSize(newSize), this.reader)
  }

  /**
   * The bytes of entry `index`, checked against its stored leaf hash.
   *
   * @example
   * ```ts
   * const event = decodeAuditEvent(await log.entry(0))
   * ```
   */
  async entry(index: number): Promise<Uint8Array> {
    if (!Number.isSafeInteger(index) || index < 0) throw new RangeError('"index" must be a non-negative integer')
    const size = await this.backend.size()
    if (index >= size) throw new AuditError('PROOF_INVALID', `entry ${index} is past the log's size ${size}`)
    const [row] = await this.backend.readEntries(index, 1)
    if (!row || row.index !== index) throw new StoreError('STORE_CORRUPT', `entry ${index} is missing`)
    if (!constantTimeEqual(leafHash(row.bytes), row.leafHash)) {
      throw new StoreError('STORE_CORRUPT', `entry ${index} does not match its leaf hash (edited)`)
    }
    return row.bytes
  }

  /**
   * Full audit: rehashes every entry from its bytes, checks every stored subtree hash, and checks the roots at the
   * sizes of `checkpoints` (notes of this log, opened with its key) and of the log's own latest checkpoint. An
   * edited, deleted, inserted or reordered entry fails here against any checkpoint taken before the change.
   *
   * @throws StoreError `STORE_CORRUPT` when the tables are inconsistent; AuditError when a checkpoint's root differs.
   * @example
   * ```ts
   * await log.verify([await readFile('checkpoint-2026-12-01.note', 'utf8')])
   * ```
   */
  async verify(checkpoints: readonly string[] = []): Promise<VerifyReport> {
    const wanted = new Map<number, Uint8Array>()
    const opened = []
    for (const note of checkpoints) {
      const cp = await openCheckpoint(note, this.publicKey, { origin: this.origin })
      opened.push(cp)
    }
    const latest = await this.backend.latestCheckpoint()
    if (latest) opened.push(await openCheckpoint(latest.note, this.publicKey, { origin: this.origin }))
    const size = await this.backend.size()
    for (const cp of opened) {
      if (cp.size > size) {
        throw new AuditError('CHECKPOINT_INVALID', `a checkpoint has size ${cp.size}, past the log's size ${size}`)
      }
      const other = wanted.get(cp.size)
      if (other && !constantTimeEqual(other, cp.root)) {
        throw new AuditError('CHECKPOINT_INVALID', `two checkpoints of size ${cp.size} differ (split view)`)
      }
      wanted.set(cp.size, cp.root)
    }
    const check = (n: number, root: Uint8Array) => {
      const want = wanted.get(n)
      if (want && !constantTimeEqual(want, root)) {
        throw new AuditError('PROOF_INVALID', `the entries do not match the checkpoint of size ${n}: history rewritten`)
      }
    }
    const f = new Frontier()
    check(0, emptyRoot())
    for (let from = 0; from < size; from += AUDIT_CHUNK) {
      const count = Math.min(AUDIT_CHUNK, size - from)
      const rows = await this.backend.readEntries(from, count)
      const ids: SubtreeId[] = []
      const computed: Uint8Array[] = []
      for (let i = 0; i < count; i++) {
        const row = rows[i]
        if (!row || row.index !== from + i) throw new StoreError('STORE_CORRUPT', `entry ${from + i} is missing`)
        const leaf = leafHash(row.bytes)
        if (!constantTimeEqual(leaf, row.leafHash)) {
          throw new StoreError('STORE_CORRUPT', `entry ${row.index} does not match its leaf hash (edited)`)
        }
        for (const s of f.push(leaf)) {
          ids.push(s)
          computed.push(s.hash)
        }
        if (wanted.has(f.size)) check(f.size, frontierRoot(f))
      }
      const stored = await this.backend.readSubtrees(ids)
      for (let i = 0; i < ids.length; i++) {
        if (!constantTimeEqual(stored[i]!, computed[i]!)) {
          throw new StoreError('STORE_CORRUPT', `subtree ${ids[i]!.level}/${ids[i]!.index} does not match the entries`)
        }
      }
    }
    const extra = await this.backend.readEntries(size, 1)
    if (extra.length > 0) throw new StoreError('STORE_CORRUPT', `an entry exists past the log's size ${size}`)
    return { size, root: frontierRoot(f) }
  }

  /**
   * Closes the store after the appends already queued have been committed.
   *
   * @example
   * ```ts
   * await log.close()
   * ```
   */
  async close(): Promise<void> {
    this.closed = true
    while (this.running) await new Promise((r) => setImmediate(r))
    await Promise.allSettled([...this.storing])
    await this.backend.close()
  }

  /** Reads subtree hashes through the cache; only the misses go to the database. */
  private readonly reader = async (ids: readonly SubtreeId[]): Promise<Uint8Array[]> => {
    const out: (Uint8Array | undefined)[] = ids.map((id) => this.subtrees.get(`${id.level}/${id.index}`))
    const missing = ids.filter((_, i) => out[i] === undefined)
    if (missing.length === 0) return out as Uint8Array[]
    const read = await this.backend.readSubtrees(missing)
    let j = 0
    for (let i = 0; i < ids.length; i++) {
      if (out[i] !== undefined) continue
      const h = read[j++]!
      out[i] = h
      this.subtrees.set(`${ids[i]!.level}/${ids[i]!.index}`, h)
    }
    return out as Uint8Array[]
  }

  private async checkSize(size: number | undefined): Promise<number> {
    if (size !== undefined && Number.isSafeInteger(size) && size >= 0 && size <= this.durableSize) return size
    const current = await this.backend.size()
    this.durableSize = Math.max(this.durableSize, current)
    if (size === undefined) return current
    if (!Number.isSafeInteger(size) || size < 0) throw new RangeError('"size" must be a non-negative integer')
    if (size > current) throw new AuditError('PROOF_INVALID', `tree size ${size} is past the log's size ${current}`)
    return size
  }
}

/** MTH of the tree whose right edge is `f`: the complete subtrees of its size's binary decomposition, folded. */
function frontierRoot(f: Frontier): Uint8Array {
  if (f.size === 0) return emptyRoot()
  const ids = Frontier.ids(f.size)
  let acc: Uint8Array | undefined
  for (const id of ids) {
    // Level L is part of the decomposition when bit L of the size is set (RFC 9162 §2.1.1 split at 2^k < n).
    if (Math.floor(f.size / 2 ** id.level) % 2 === 1) {
      const h = f.hashAt(id.level)
      acc = acc ? nodeHash(h, acc) : h
    }
  }
  return acc!
}

/**
 * Opens the audit log at `location`, creating it when `identity` and `origin` are given and it does not exist.
 * Checks that the store belongs to this origin and key, and that its latest checkpoint matches the stored tree.
 *
 * @throws StoreError `STORE_MISMATCH` for another log's store, `STORE_CORRUPT` for a damaged one,
 *   `STORE_UNAVAILABLE` when the database cannot be opened.
 * @example
 * ```ts
 * import { openAuditLog } from 'arrowseal/store'
 * const log = await openAuditLog({ postgres: 'postgres://audit@db/audit' }, { origin: 'example.com/audit', identity })
 * ```
 */
export async function openAuditLog(location: StoreLocation, options: AuditLogOptions): Promise<AuditLog> {
  if (location === null || typeof location !== 'object') throw new TypeError('"location" must be an object')
  if (options === null || typeof options !== 'object') throw new TypeError('"options" must be an object')
  const { identity } = options
  const pk =
    identity?.publicKeyObject ??
    (typeof options.publicKey === 'string' ? parsePublicKey(options.publicKey) : options.publicKey)
  const create = identity !== undefined
  const origin = options.origin
  const init = create
    ? { origin: origin ?? '', logKey: pk ? logKey(origin ?? 'x', pk).text : '', create }
    : { origin: '', logKey: '', create }
  if (create && !origin) throw new TypeError('"origin" is required to open a log for writing')
  const backend =
    'sqlite' in location
      ? openSqliteBackend(location.sqlite, init)
      : await openPostgresBackend(location.postgres, location.schema ?? 'arrowseal_audit', init)
  try {
    const meta = await backend.meta()
    if (origin !== undefined && meta.origin !== origin) {
      throw new StoreError('STORE_MISMATCH', `the store holds the log "${meta.origin}", not "${origin}"`)
    }
    const key = pk ?? parsePublicKeyFromLogKey(meta.logKey)
    if (pk && logKey(meta.origin, pk).text !== meta.logKey) {
      throw new StoreError('STORE_MISMATCH', 'the store was created for another log key')
    }
    const size = await backend.size()
    const frontier = await Frontier.load(size, (ids) => backend.readSubtrees(ids))
    const log = new AuditLog(backend, meta.origin, key, identity, frontier, options.maxBatch ?? 4096, options.ed25519)
    // A crash can never leave the tree behind a checkpoint the log signed; if it does, the store was tampered with.
    const latest = await backend.latestCheckpoint()
    if (latest) {
      const cp = await openCheckpoint(latest.note, key, { origin: meta.origin })
      if (cp.size > size || !constantTimeEqual(await log.root(cp.size), cp.root)) {
        throw new StoreError('STORE_CORRUPT', `the stored tree does not match the log's checkpoint of size ${cp.size}`)
      }
    }
    return log
  } catch (err) {
    await backend.close()
    throw err
  }
}

function parsePublicKeyFromLogKey(_text: string): PublicKey {
  throw new TypeError('"publicKey" or "identity" is required: the key stored in the database is not trusted')
}
