/**
 * RFC 9162 §2.1 Merkle tree hashing, inclusion and consistency proofs, and their verifiers.
 *
 * The tree is never rebuilt: a proof or root is assembled from the hashes of *complete* subtrees (aligned
 * power-of-two ranges of leaves), which a store keeps in a table as the log grows ({@link completedSubtrees}).
 * Every range the RFC's recursion touches starts at a multiple of a power of two at least as large as its length,
 * so it splits into O(log n) complete subtrees; a proof therefore costs one batched read of O(log n) hashes.
 *
 * Sizes and indices are JavaScript safe integers (< 2^53); bit operations are done with arithmetic, never with
 * the 32-bit `>>` / `&` operators.
 *
 * @module
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { AuditError } from '../errors.js'
import { constantTimeEqual } from '../format/bytes.js'
import { isBytes } from '../keys/assert.js'

/** Bytes in a SHA-256 tree hash. */
export const HASH_SIZE = 32

/** Longest proof accepted. A tree of < 2^53 leaves needs at most 53 inclusion or 54 consistency hashes. */
export const MAX_PROOF_HASHES = 64

/**
 * The complete subtree over leaves [index·2^level, (index+1)·2^level). Level 0 is a leaf hash.
 *
 * @example
 * ```ts
 * const id: SubtreeId = { level: 2, index: 1 } // leaves 4..7
 * ```
 */
export interface SubtreeId {
  readonly level: number
  readonly index: number
}

/**
 * Batched read of stored complete-subtree hashes, in the order asked. A store answers from its table.
 *
 * @example
 * ```ts
 * const read: SubtreeReader = async (ids) => ids.map((id) => table.get(`${id.level}/${id.index}`)!)
 * ```
 */
export type SubtreeReader = (ids: readonly SubtreeId[]) => Promise<Uint8Array[]>

/**
 * RFC 9162 §2.1.1 leaf hash: SHA-256(0x00 ‖ entry).
 *
 * @example
 * ```ts
 * const h = leafHash(new TextEncoder().encode('event'))
 * ```
 */
export function leafHash(entry: Uint8Array): Uint8Array {
  if (!isBytes(entry)) throw new TypeError('"entry" must be a Uint8Array')
  const buf = new Uint8Array(1 + entry.length)
  buf[0] = 0x00
  buf.set(entry, 1)
  return sha256(buf)
}

/**
 * RFC 9162 §2.1.1 interior node hash: SHA-256(0x01 ‖ left ‖ right).
 *
 * @example
 * ```ts
 * const parent = nodeHash(leafHash(a), leafHash(b))
 * ```
 */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  assertHashArg(left, 'left')
  assertHashArg(right, 'right')
  const buf = new Uint8Array(1 + 2 * HASH_SIZE)
  buf[0] = 0x01
  buf.set(left, 1)
  buf.set(right, 1 + HASH_SIZE)
  return sha256(buf)
}

/** MTH({}) = SHA-256() (RFC 9162 §2.1.1). */
const EMPTY_ROOT = sha256(new Uint8Array(0))

/**
 * The root of the empty tree, SHA-256 of no bytes.
 *
 * @example
 * ```ts
 * emptyRoot().length // 32
 * ```
 */
export function emptyRoot(): Uint8Array {
  return EMPTY_ROOT.slice()
}

/**
 * The complete subtrees that exist once the tree reaches `size` leaves and did not exist at `size - 1`:
 * level 0 always, and level L when `size % 2^L === 0`. A store persists their hashes on append.
 *
 * @example
 * ```ts
 * completedSubtrees(4) // [{level:0,index:3},{level:1,index:1},{level:2,index:0}]
 * ```
 */
export function completedSubtrees(size: number): SubtreeId[] {
  checkCount(size, 'size')
  if (size < 1) throw new RangeError('"size" must be at least 1')
  const out: SubtreeId[] = []
  let span = 1
  let level = 0
  while (size % span === 0) {
    out.push({ level, index: size / span - 1 })
    span *= 2
    level++
  }
  return out
}

/**
 * The Merkle tree hash MTH(D[size]) (RFC 9162 §2.1.1) from stored subtree hashes.
 *
 * @example
 * ```ts
 * const root = await treeRoot(size, reader)
 * ```
 */
export async function treeRoot(size: number, read: SubtreeReader): Promise<Uint8Array> {
  checkCount(size, 'size')
  if (size === 0) return emptyRoot()
  const plan = new Plan()
  const root = plan.range(0, size)
  const hashes = await plan.fetch(read)
  return plan.hash(root, hashes)
}

/**
 * The audit path for leaf `index` in the tree of `size` leaves (RFC 9162 §2.1.3.1), leaf-side first.
 *
 * @example
 * ```ts
 * const proof = await inclusionProof(5, 8, reader)
 * ```
 */
export async function inclusionProof(index: number, size: number, read: SubtreeReader): Promise<Uint8Array[]> {
  checkCount(index, 'index')
  checkCount(size, 'size')
  if (index >= size) throw new AuditError('PROOF_INVALID', `leaf index ${index} is not below tree size ${size}`)
  const plan = new Plan()
  const nodes: Node[] = []
  // PATH(m, D[lo:hi]) recursion unrolled from the root down; siblings are collected root-side first.
  let lo = 0
  let hi = size
  const m = index
  while (hi - lo > 1) {
    const k = largestPowerOfTwoBelow(hi - lo)
    if (m < lo + k) {
      nodes.push(plan.range(lo + k, hi))
      hi = lo + k
    } else {
      nodes.push(plan.range(lo, lo + k))
      lo = lo + k
    }
  }
  const hashes = await plan.fetch(read)
  return nodes.reverse().map((n) => plan.hash(n, hashes))
}

/**
 * The consistency proof between the trees of `oldSize` and `newSize` leaves (RFC 9162 §2.1.4.1). Empty when
 * `oldSize` is 0 or equals `newSize`.
 *
 * @example
 * ```ts
 * const proof = await consistencyProof(3, 7, reader)
 * ```
 */
export async function consistencyProof(oldSize: number, newSize: number, read: SubtreeReader): Promise<Uint8Array[]> {
  checkCount(oldSize, 'oldSize')
  checkCount(newSize, 'newSize')
  if (oldSize > newSize) {
    throw new AuditError('PROOF_INVALID', `old tree size ${oldSize} is larger than new tree size ${newSize}`)
  }
  if (oldSize === 0 || oldSize === newSize) return []
  const plan = new Plan()
  const nodes: Node[] = []
  // SUBPROOF(m, D[lo:hi], b) unrolled; nodes collected root-side first.
  let lo = 0
  let hi = newSize
  let m = oldSize
  let complete = true
  while (m !== hi - lo) {
    const k = largestPowerOfTwoBelow(hi - lo)
    if (m <= k) {
      nodes.push(plan.range(lo + k, hi))
      hi = lo + k
    } else {
      nodes.push(plan.range(lo, lo + k))
      lo = lo + k
      m -= k
      complete = false
    }
  }
  // m == n: the old tree's subtree is itself a node of the proof unless it is the whole old tree (b true).
  if (!complete) nodes.push(plan.range(lo, hi))
  const hashes = await plan.fetch(read)
  return nodes.reverse().map((n) => plan.hash(n, hashes))
}

/**
 * Check that `leaf` (a {@link leafHash}) sits at `index` in the tree of `size` leaves with root `root`, by the
 * algorithm of RFC 9162 §2.1.3.2. Throws {@link AuditError} `PROOF_INVALID` otherwise.
 *
 * @example
 * ```ts
 * verifyInclusion(leafHash(entry), 5, 8, proof, root) // throws if not included
 * ```
 */
export function verifyInclusion(
  leaf: Uint8Array,
  index: number,
  size: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): void {
  checkWireCount(index, 'leaf index')
  checkWireCount(size, 'tree size')
  checkHash(leaf, 'leaf hash')
  checkHash(root, 'root hash')
  checkProof(proof)
  // §2.1.3.2 step 1.
  if (index >= size) throw new AuditError('PROOF_INVALID', `leaf index ${index} is not below tree size ${size}`)
  let fn = index
  let sn = size - 1
  let r = leaf
  for (const p of proof) {
    if (sn === 0) throw new AuditError('PROOF_INVALID', 'inclusion proof is longer than the tree is deep')
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r)
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn /= 2
          sn = Math.floor(sn / 2)
        }
      }
    } else {
      r = nodeHash(r, p)
    }
    fn = Math.floor(fn / 2)
    sn = Math.floor(sn / 2)
  }
  // §2.1.3.2 step 5: the path must be exactly as long as the tree is deep, and end at the root.
  if (sn !== 0) throw new AuditError('PROOF_INVALID', 'inclusion proof is shorter than the tree is deep')
  if (!constantTimeEqual(r, root)) throw new AuditError('PROOF_INVALID', 'inclusion proof does not lead to the root')
}

/**
 * Check that the tree of `newSize` leaves with root `newRoot` extends the tree of `oldSize` leaves with root
 * `oldRoot`, by the algorithm of RFC 9162 §2.1.4.2. Throws {@link AuditError} `PROOF_INVALID` otherwise.
 * Equal sizes need an empty proof and equal roots; old size 0 needs an empty proof and the empty-tree root.
 *
 * @example
 * ```ts
 * verifyConsistency(3, 7, oldRoot, newRoot, proof) // throws if the new tree rewrote history
 * ```
 */
export function verifyConsistency(
  oldSize: number,
  newSize: number,
  oldRoot: Uint8Array,
  newRoot: Uint8Array,
  proof: readonly Uint8Array[],
): void {
  checkWireCount(oldSize, 'old tree size')
  checkWireCount(newSize, 'new tree size')
  checkHash(oldRoot, 'old root hash')
  checkHash(newRoot, 'new root hash')
  checkProof(proof)
  if (oldSize > newSize) {
    throw new AuditError('PROOF_INVALID', `old tree size ${oldSize} is larger than new tree size ${newSize}`)
  }
  if (oldSize === newSize) {
    if (proof.length !== 0) throw new AuditError('PROOF_INVALID', 'consistency proof between equal sizes is not empty')
    if (!constantTimeEqual(oldRoot, newRoot)) {
      throw new AuditError('PROOF_INVALID', 'roots differ for the same tree size')
    }
    return
  }
  if (oldSize === 0) {
    // Every tree extends the empty one; its root is fixed, so a claimed other "empty" root is refused.
    if (proof.length !== 0) throw new AuditError('PROOF_INVALID', 'consistency proof from size 0 is not empty')
    if (!constantTimeEqual(oldRoot, EMPTY_ROOT)) {
      throw new AuditError('PROOF_INVALID', 'old root is not the empty-tree root')
    }
    return
  }
  if (proof.length === 0) throw new AuditError('PROOF_INVALID', 'consistency proof is empty')
  // §2.1.4.2 step 1: when the old tree is a complete subtree its root is the proof's implicit first node.
  const path = isPowerOfTwo(oldSize) ? [oldRoot, ...proof] : [...proof]
  let fn = oldSize - 1
  let sn = newSize - 1
  // Step 3.
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2)
    sn = Math.floor(sn / 2)
  }
  let fr = path[0]!
  let sr = path[0]!
  for (let i = 1; i < path.length; i++) {
    const c = path[i]!
    if (sn === 0) throw new AuditError('PROOF_INVALID', 'consistency proof is too long')
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr)
      sr = nodeHash(c, sr)
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn /= 2
          sn = Math.floor(sn / 2)
        }
      }
    } else {
      sr = nodeHash(sr, c)
    }
    fn = Math.floor(fn / 2)
    sn = Math.floor(sn / 2)
  }
  // Step 6.
  if (sn !== 0) throw new AuditError('PROOF_INVALID', 'consistency proof is too short')
  if (!constantTimeEqual(fr, oldRoot)) {
    throw new AuditError('PROOF_INVALID', 'consistency proof does not lead to the old root')
  }
  if (!constantTimeEqual(sr, newRoot))
    throw new AuditError('PROOF_INVALID', 'consistency proof does not lead to the new root')
}

// ---------------------------------------------------------------------------------------------------------------

/** A range's hash as a right fold over the complete subtrees it splits into (positions into the fetch list). */
type Node = readonly number[]

/** Collects the complete subtrees a computation needs, fetches them in one batch, then folds them. */
class Plan {
  readonly #ids: SubtreeId[] = []
  readonly #slot = new Map<string, number>()

  /**
   * MTH(D[lo:hi]) where lo is a multiple of a power of two ≥ hi - lo (true of every range the RFC recursion
   * visits): the complete subtrees are the set bits of hi - lo, largest first, laid end to end from lo.
   */
  range(lo: number, hi: number): Node {
    const parts: number[] = []
    let start = lo
    let rest = hi - lo
    while (rest > 0) {
      let span = 1
      let level = 0
      while (span * 2 <= rest) {
        span *= 2
        level++
      }
      parts.push(this.#want({ level, index: start / span }))
      start += span
      rest -= span
    }
    return parts
  }

  #want(id: SubtreeId): number {
    const key = `${id.level}/${id.index}`
    let slot = this.#slot.get(key)
    if (slot === undefined) {
      slot = this.#ids.length
      this.#ids.push(id)
      this.#slot.set(key, slot)
    }
    return slot
  }

  async fetch(read: SubtreeReader): Promise<Uint8Array[]> {
    if (typeof read !== 'function') throw new TypeError('"read" must be a SubtreeReader function')
    if (this.#ids.length === 0) return []
    const got = await read(this.#ids)
    if (!Array.isArray(got) || got.length !== this.#ids.length) {
      throw new TypeError(
        `subtree reader returned ${Array.isArray(got) ? got.length : 'no'} hashes for ${this.#ids.length} ids`,
      )
    }
    for (const h of got) {
      if (!isBytes(h) || h.length !== HASH_SIZE)
        throw new TypeError('subtree reader returned a hash that is not 32 bytes')
    }
    return got
  }

  hash(node: Node, hashes: readonly Uint8Array[]): Uint8Array {
    let acc = hashes[node[node.length - 1]!]!
    for (let i = node.length - 2; i >= 0; i--) acc = nodeHash(hashes[node[i]!]!, acc)
    return acc
  }
}

function isPowerOfTwo(n: number): boolean {
  return n > 0 && largestPowerOfTwoAtMost(n) === n
}

/** Largest power of two ≤ n, for 1 ≤ n < 2^53 (exact in doubles). */
function largestPowerOfTwoAtMost(n: number): number {
  let p = 1
  while (p * 2 <= n) p *= 2
  return p
}

/** The k of RFC 9162 §2.1.1: the largest power of two strictly below n, for n ≥ 2. */
function largestPowerOfTwoBelow(n: number): number {
  let p = 1
  while (p * 2 < n) p *= 2
  return p
}

/** A caller-supplied count: wrong type is a TypeError, a non-safe or negative integer a RangeError. */
function checkCount(n: unknown, name: string): asserts n is number {
  if (typeof n !== 'number') throw new TypeError(`"${name}" must be a number`)
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`"${name}" must be a safe non-negative integer`)
}

/** A count that came with a proof: anything but a safe non-negative integer is bad data. */
function checkWireCount(n: unknown, name: string): asserts n is number {
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
    throw new AuditError('PROOF_INVALID', `${name} is not a safe non-negative integer`)
  }
}

function assertHashArg(h: unknown, name: string): asserts h is Uint8Array {
  if (!isBytes(h)) throw new TypeError(`"${name}" must be a Uint8Array`)
  if (h.length !== HASH_SIZE) throw new RangeError(`"${name}" must be ${HASH_SIZE} bytes, got ${h.length}`)
}

function checkHash(h: unknown, name: string): asserts h is Uint8Array {
  if (!isBytes(h) || h.length !== HASH_SIZE) throw new AuditError('PROOF_INVALID', `${name} is not ${HASH_SIZE} bytes`)
}

function checkProof(proof: unknown): asserts proof is readonly Uint8Array[] {
  if (!Array.isArray(proof)) throw new AuditError('PROOF_INVALID', 'proof is not a list of hashes')
  if (proof.length > MAX_PROOF_HASHES) {
    throw new AuditError('PROOF_INVALID', `proof has ${proof.length} hashes, more than ${MAX_PROOF_HASHES}`)
  }
  for (let i = 0; i < proof.length; i++) checkHash(proof[i] as unknown, `proof hash ${i}`)
}
