/**
 * The storage interface both backends implement, and the sequencing logic they share.
 *
 * A backend is a dumb table store; the tree logic lives in {@link Sequencer}. Every write is one transaction that
 * (1) takes the log's single sequencer row with a write lock, (2) reads the size the database holds, (3) inserts
 * the entries and the complete-subtree hashes they finish, and (4) moves the size forward. Because the size is read
 * under the lock, two writers (two replicas, or a restarted process) never assign the same index: the tree cannot
 * fork, and a writer whose cached frontier is stale reloads it inside the same transaction.
 *
 * @module
 */
import { completedSubtrees, leafHash, nodeHash, type SubtreeId } from '../audit/merkle.js'
import { StoreError } from '../errors.js'

/** What a backend needs to create a log, or `create: false` to open an existing one only. */
export interface StoreInit {
  readonly create: boolean
  readonly origin: string
  readonly logKey: string
}

/** One stored leaf. */
export interface StoredEntry {
  readonly index: number
  readonly bytes: Uint8Array
  readonly leafHash: Uint8Array
}

/** One stored complete-subtree hash. */
export interface StoredSubtree extends SubtreeId {
  readonly hash: Uint8Array
}

/** What one write transaction sees and may do while it holds the sequencer lock. */
export interface WriteTx {
  /** The size recorded in the sequencer row. */
  size(): Promise<number>
  readSubtrees(ids: readonly SubtreeId[]): Promise<Uint8Array[]>
  insert(entries: readonly StoredEntry[], subtrees: readonly StoredSubtree[], newSize: number): Promise<void>
}

/** A database holding one log. */
export interface Backend {
  readonly kind: 'sqlite' | 'postgres'
  /** Runs `fn` in one durable transaction holding the sequencer lock; resolves after the commit is durable. */
  /**
   * `committed`, if given, is called once the transaction is committed but before it is known durable (SQLite:
   * between COMMIT and the WAL's fsync), so the caller may prepare work that it releases only at durability.
   */
  write<T>(fn: (tx: WriteTx) => Promise<T>, committed?: () => void): Promise<T>
  /**
   * Optional fast path of an append: in one durable transaction, if the stored size is still `expected`, insert
   * the rows and set the size to `newSize`; resolves true once durable, or false having written nothing when the
   * size had moved (another writer), in which case the caller takes {@link write}'s locking path.
   */
  appendAt?(
    expected: number,
    entries: readonly StoredEntry[],
    subtrees: readonly StoredSubtree[],
    newSize: number,
  ): Promise<boolean>
  size(): Promise<number>
  readEntries(from: number, count: number): Promise<StoredEntry[]>
  readSubtrees(ids: readonly SubtreeId[]): Promise<Uint8Array[]>
  saveCheckpoint(size: number, note: string): Promise<void>
  /** The signed note with the largest size, or null. */
  latestCheckpoint(): Promise<{ size: number; note: string } | null>
  /** The origin the store was created for, and the log key text. */
  meta(): Promise<{ origin: string; logKey: string }>
  close(): Promise<void>
}

/** Largest entry accepted, in bytes. Audit events are a few hundred bytes; 64 KiB leaves room and bounds memory. */
export const MAX_ENTRY_BYTES = 64 * 1024

/** The highest level of complete subtree a safe-integer tree size can have. */
const MAX_LEVEL = 53

/**
 * The right edge of the tree: for each level, the hash of the last complete subtree at that level. It is all
 * that is needed to compute the subtrees that new leaves complete, without reading back.
 */
export class Frontier {
  private hashes: (Uint8Array | undefined)[] = []
  size = 0

  /** The ids whose hashes make up the frontier of a tree of `size` leaves. */
  static ids(size: number): SubtreeId[] {
    const ids: SubtreeId[] = []
    for (let level = 0, span = 1; level <= MAX_LEVEL && span <= size; level++, span *= 2) {
      ids.push({ level, index: Math.floor(size / span) - 1 })
    }
    return ids
  }

  static async load(size: number, read: (ids: readonly SubtreeId[]) => Promise<Uint8Array[]>): Promise<Frontier> {
    const f = new Frontier()
    const ids = Frontier.ids(size)
    const hashes = ids.length ? await read(ids) : []
    f.hashes = hashes
    f.size = size
    return f
  }

  /** Adds one leaf; returns the subtrees it completes, in the order {@link completedSubtrees} names them. */
  push(leaf: Uint8Array): StoredSubtree[] {
    const size = this.size + 1
    const ids = completedSubtrees(size)
    const out: StoredSubtree[] = []
    let cur = leaf
    for (const id of ids) {
      if (id.level > 0) {
        const left = this.hashes[id.level - 1]
        if (!left) throw new StoreError('STORE_CORRUPT', `subtree ${id.level - 1}/${2 * id.index} is missing`)
        cur = nodeHash(left, cur)
      }
      out.push({ level: id.level, index: id.index, hash: cur })
    }
    // Each completed subtree becomes the last one at its level; the left siblings used above are no longer needed.
    for (const s of out) this.hashes[s.level] = s.hash
    this.size = size
    return out
  }

  /** The hash of the last complete subtree at `level`. */
  hashAt(level: number): Uint8Array {
    const h = this.hashes[level]
    if (!h) throw new StoreError('STORE_CORRUPT', `frontier subtree at level ${level} is missing`)
    return h
  }

  clone(): Frontier {
    const f = new Frontier()
    f.hashes = this.hashes.slice()
    f.size = this.size
    return f
  }
}

/**
 * Builds the rows for a batch of entries appended at the frontier's size. Leaf hashes are computed here, from the
 * bytes, never taken from the caller.
 */
export function buildRows(
  frontier: Frontier,
  batch: readonly Uint8Array[],
): { entries: StoredEntry[]; subtrees: StoredSubtree[] } {
  const entries: StoredEntry[] = []
  const subtrees: StoredSubtree[] = []
  for (const bytes of batch) {
    const index = frontier.size
    const leaf = leafHash(bytes)
    entries.push({ index, bytes, leafHash: leaf })
    subtrees.push(...frontier.push(leaf))
  }
  return { entries, subtrees }
}
