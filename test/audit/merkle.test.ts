import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  completedSubtrees,
  consistencyProof,
  emptyRoot,
  inclusionProof,
  leafHash,
  MAX_PROOF_HASHES,
  nodeHash,
  treeRoot,
  verifyConsistency,
  verifyInclusion,
} from '../../src/audit/merkle.js'
import { AuditError } from '../../src/errors.js'
import vectors from '../vectors/merkle-rfc6962-transparency-dev.json' with { type: 'json' }
import { hex, MemoryTree, referenceRoot, unhex } from './memory-tree.js'

const leaves = vectors.leaves.map(unhex)

function treeOf(n: number): MemoryTree {
  const t = new MemoryTree()
  for (let i = 0; i < n; i++) t.append(leaves[i % leaves.length]!)
  return t
}

function expectProofInvalid(fn: () => unknown): void {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(AuditError)
    expect((err as AuditError).code).toBe('PROOF_INVALID')
    return
  }
  throw new Error('expected PROOF_INVALID, nothing was thrown')
}

function flipBit(b: Uint8Array, bit: number): Uint8Array {
  const c = b.slice()
  c[bit >> 3]! ^= 1 << (bit & 7)
  return c
}

describe('RFC 6962 vectors (transparency-dev/merkle)', () => {
  it('empty tree root is SHA-256 of nothing', async () => {
    expect(hex(emptyRoot())).toBe(vectors.emptyRoot)
    expect(hex(await treeRoot(0, new MemoryTree().read))).toBe(vectors.emptyRoot)
  })

  it('roots of the trees of 1..8 leaves', async () => {
    const t = new MemoryTree()
    for (let n = 1; n <= 8; n++) {
      t.append(leaves[n - 1]!)
      expect(hex(await treeRoot(n, t.read))).toBe(vectors.roots[n - 1])
    }
  })

  it('inclusion proofs are generated and verified as published', async () => {
    const t = treeOf(8)
    for (const v of vectors.inclusion) {
      const proof = await inclusionProof(v.leaf, v.size, t.read)
      expect(proof.map(hex)).toEqual(v.proof)
      verifyInclusion(leafHash(leaves[v.leaf]!), v.leaf, v.size, v.proof.map(unhex), unhex(vectors.roots[v.size - 1]!))
    }
  })

  it('consistency proofs are generated and verified as published', async () => {
    const t = treeOf(8)
    for (const v of vectors.consistency) {
      const proof = await consistencyProof(v.size1, v.size2, t.read)
      expect(proof.map(hex)).toEqual(v.proof)
      verifyConsistency(
        v.size1,
        v.size2,
        unhex(vectors.roots[v.size1 - 1]!),
        unhex(vectors.roots[v.size2 - 1]!),
        v.proof.map(unhex),
      )
    }
  })

  it('refuses the corruptions the Go verifier tests (wrong index, size, leaf, root, garbage, cut, inserted)', () => {
    const some = unhex('abacaba000000000000000000000000000000000000000000060061e00123456')
    const empty = emptyRoot()
    for (const v of vectors.inclusion.filter((x) => x.proof.length > 0)) {
      const root = unhex(vectors.roots[v.size - 1]!)
      const leaf = leafHash(leaves[v.leaf]!)
      const proof = v.proof.map(unhex)
      const probes: [number, number, Uint8Array, Uint8Array[], Uint8Array][] = [
        [v.leaf - 1, v.size, leaf, proof, root],
        [v.leaf + 1, v.size, leaf, proof, root],
        [v.leaf ^ 2, v.size, leaf, proof, root],
        [v.leaf, v.size * 2, leaf, proof, root],
        [v.leaf, Math.floor(v.size / 2), leaf, proof, root],
        [v.leaf, v.size, leafHash(new TextEncoder().encode('WrongLeaf')), proof, root],
        [v.leaf, v.size, leaf, proof, empty],
        [v.leaf, v.size, leaf, proof, some],
        [v.leaf, v.size, leaf, [...proof, root], root],
        [v.leaf, v.size, leaf, [root, ...proof], root],
        [v.leaf, v.size, leaf, proof.slice(0, -1), root],
      ]
      if (proof.length > 1) probes.push([v.leaf, v.size, leaf, [proof[0]!, some, ...proof.slice(1)], root])
      for (const [i, n, l, p, r] of probes) expectProofInvalid(() => verifyInclusion(l, i, n, p, r))
    }
    for (const v of vectors.consistency.filter((x) => x.proof.length > 0)) {
      const r1 = unhex(vectors.roots[v.size1 - 1]!)
      const r2 = unhex(vectors.roots[v.size2 - 1]!)
      const p = v.proof.map(unhex)
      const probes: [number, number, Uint8Array, Uint8Array, Uint8Array[]][] = [
        [v.size1 - 1, v.size2, r1, r2, p],
        [v.size1 + 1, v.size2, r1, r2, p],
        [v.size1 ^ 2, v.size2, r1, r2, p],
        [v.size1, v.size2 * 2, r1, r2, p],
        [v.size1, Math.floor(v.size2 / 2), r1, r2, p],
        [v.size1, v.size2, some, r2, p],
        [v.size1, v.size2, r1, some, p],
        [v.size1, v.size2, r2, r1, p],
        [v.size1, v.size2, r1, r2, []],
        [v.size1, v.size2, r1, r2, [...p, r1]],
        [v.size1, v.size2, r1, r2, [...p, r2]],
        [v.size1, v.size2, r1, r2, [r1, ...p]],
        [v.size1, v.size2, r1, r2, [r2, ...p]],
        [v.size1, v.size2, r1, r2, [p[0]!, ...p]],
        [v.size1, v.size2, r1, r2, p.slice(0, -1)],
      ]
      for (const [m, n, a, b, q] of probes) expectProofInvalid(() => verifyConsistency(m, n, a, b, q))
    }
  })

  it('edge sizes: equal sizes, size 0, and the empty-tree root', () => {
    const r = unhex(vectors.roots[0]!)
    verifyConsistency(1, 1, r, r, [])
    verifyConsistency(0, 0, emptyRoot(), emptyRoot(), [])
    verifyConsistency(0, 5, emptyRoot(), unhex(vectors.roots[4]!), [])
    expectProofInvalid(() => verifyConsistency(1, 1, r, unhex(vectors.roots[1]!), []))
    expectProofInvalid(() => verifyConsistency(1, 1, r, r, [r]))
    // Stricter than RFC 9162, which leaves size 0 undefined: the old root must be the empty-tree root.
    expectProofInvalid(() => verifyConsistency(0, 5, r, unhex(vectors.roots[4]!), []))
    expectProofInvalid(() => verifyConsistency(0, 5, emptyRoot(), unhex(vectors.roots[4]!), [r]))
    expectProofInvalid(() => verifyConsistency(2, 1, r, r, []))
    // A one-leaf tree: the root is the leaf hash and the proof is empty.
    verifyInclusion(leafHash(leaves[0]!), 0, 1, [], leafHash(leaves[0]!))
    expectProofInvalid(() => verifyInclusion(leafHash(leaves[0]!), 0, 1, [], leafHash(leaves[1]!)))
  })
})

describe('input bounds', () => {
  const h = leafHash(new Uint8Array(0))

  it('refuses malformed proof data with PROOF_INVALID', () => {
    expectProofInvalid(() => verifyInclusion(h, 0, 0, [], h))
    expectProofInvalid(() => verifyInclusion(h, 3, 3, [h, h], h))
    expectProofInvalid(() => verifyInclusion(h, -1, 3, [h, h], h))
    expectProofInvalid(() => verifyInclusion(h, 0.5, 3, [h, h], h))
    expectProofInvalid(() => verifyInclusion(h, 0, 2 ** 53, [h], h))
    expectProofInvalid(() => verifyInclusion(h, Number.NaN, 3, [h], h))
    expectProofInvalid(() => verifyInclusion(h.subarray(1), 0, 2, [h], h))
    expectProofInvalid(() => verifyInclusion(h, 0, 2, [h], new Uint8Array(33)))
    expectProofInvalid(() => verifyInclusion(h, 0, 2, [new Uint8Array(31)], h))
    expectProofInvalid(() => verifyInclusion(h, 0, 2, 'x' as unknown as Uint8Array[], h))
    expectProofInvalid(() => verifyInclusion(h, 0, 2, [null as unknown as Uint8Array], h))
    expectProofInvalid(() => verifyConsistency(1, 2, h, h, [new Uint8Array(0)]))
    expectProofInvalid(() => verifyConsistency(1, 2 ** 53 + 2, h, h, [h]))
  })

  it('refuses a proof of more than 64 hashes before hashing any of it', () => {
    const long = Array.from({ length: MAX_PROOF_HASHES + 1 }, () => h)
    const n = Number.MAX_SAFE_INTEGER
    try {
      verifyInclusion(h, 0, n, long, h)
      throw new Error('not refused')
    } catch (err) {
      expect((err as Error).message).toMatch(/more than 64/)
    }
    expectProofInvalid(() => verifyConsistency(1, n, h, h, long))
  })

  it('works near 2^53 without 32-bit bit operations', async () => {
    // A virtual tree whose leaves all hash to h: a complete subtree's hash then depends only on its level.
    const byLevel = [h]
    for (let l = 1; l <= 53; l++) byLevel.push(nodeHash(byLevel[l - 1]!, byLevel[l - 1]!))
    const read = async (ids: readonly { level: number; index: number }[]) => ids.map((id) => byLevel[id.level]!)
    const n = Number.MAX_SAFE_INTEGER
    const idx = n - 3
    const proof = await inclusionProof(idx, n, read)
    expect(proof.length).toBeLessThanOrEqual(53)
    // Root of a tree whose every complete subtree hash is h, rebuilt the RFC way.
    const root = await treeRoot(n, read)
    verifyInclusion(h, idx, n, proof, root)
    const cp = await consistencyProof(2 ** 40 + 5, n, read)
    verifyConsistency(2 ** 40 + 5, n, await treeRoot(2 ** 40 + 5, read), root, cp)
  })

  it('generators: caller misuse is TypeError/RangeError, an index past the size is PROOF_INVALID', async () => {
    const t = treeOf(3)
    await expect(inclusionProof(3, 3, t.read)).rejects.toMatchObject({ code: 'PROOF_INVALID' })
    await expect(consistencyProof(4, 3, t.read)).rejects.toMatchObject({ code: 'PROOF_INVALID' })
    await expect(inclusionProof(-1, 3, t.read)).rejects.toBeInstanceOf(RangeError)
    await expect(treeRoot(2 ** 53, t.read)).rejects.toBeInstanceOf(RangeError)
    await expect(treeRoot('3' as unknown as number, t.read)).rejects.toBeInstanceOf(TypeError)
    await expect(treeRoot(3, async () => [])).rejects.toBeInstanceOf(TypeError)
    await expect(treeRoot(3, async (ids) => ids.map(() => new Uint8Array(31)))).rejects.toBeInstanceOf(TypeError)
    expect(() => nodeHash(h, new Uint8Array(31))).toThrow(RangeError)
    expect(() => leafHash('x' as unknown as Uint8Array)).toThrow(TypeError)
    expect(() => completedSubtrees(0)).toThrow(RangeError)
  })

  it('completedSubtrees lists level 0 and every level that size is a multiple of', () => {
    expect(completedSubtrees(1)).toEqual([{ level: 0, index: 0 }])
    expect(completedSubtrees(6)).toEqual([
      { level: 0, index: 5 },
      { level: 1, index: 2 },
    ])
    expect(completedSubtrees(8).map((s) => s.level)).toEqual([0, 1, 2, 3])
    expect(completedSubtrees(2 ** 52).length).toBe(53)
  })

  it('a proof costs one batched read of O(log n) subtrees', async () => {
    const t = treeOf(1000)
    t.reads.length = 0
    await inclusionProof(617, 1000, t.read)
    await consistencyProof(333, 1000, t.read)
    expect(t.reads.length).toBe(2)
    for (const r of t.reads) expect(r.length).toBeLessThanOrEqual(2 * 10)
  })
})

describe('properties', () => {
  it('roots match the recursive RFC definition', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 70 }), async (n) => {
        const t = treeOf(n)
        const data = Array.from({ length: n }, (_, i) => leaves[i % leaves.length]!)
        expect(hex(await treeRoot(n, t.read))).toBe(hex(referenceRoot(data)))
      }),
      { numRuns: 40 },
    )
  })

  const big = treeOf(300)

  it('every inclusion proof verifies, and every one-bit flip of proof, leaf or root is refused', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 300 }).chain((n) => fc.tuple(fc.constant(n), fc.nat(n - 1), fc.nat(10_000))),
        async ([n, i, r]) => {
          const root = await treeRoot(n, big.read)
          const proof = await inclusionProof(i, n, big.read)
          const leaf = leafHash(leaves[i % leaves.length]!)
          verifyInclusion(leaf, i, n, proof, root)
          const bit = r % 256
          expectProofInvalid(() => verifyInclusion(leaf, i, n, proof, flipBit(root, bit)))
          expectProofInvalid(() => verifyInclusion(flipBit(leaf, bit), i, n, proof, root))
          if (proof.length > 0) {
            const k = r % proof.length
            const bad = proof.map((p, j) => (j === k ? flipBit(p, bit) : p))
            expectProofInvalid(() => verifyInclusion(leaf, i, n, bad, root))
          }
        },
      ),
      { numRuns: 150 },
    )
  })

  it('every consistency proof verifies, and every one-bit flip of proof or either root is refused', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 300 }).chain((n) => fc.tuple(fc.nat(n), fc.constant(n), fc.nat(10_000))),
        async ([m, n, r]) => {
          const oldRoot = await treeRoot(m, big.read)
          const newRoot = await treeRoot(n, big.read)
          const proof = await consistencyProof(m, n, big.read)
          verifyConsistency(m, n, oldRoot, newRoot, proof)
          const bit = r % 256
          expectProofInvalid(() => verifyConsistency(m, n, flipBit(oldRoot, bit), newRoot, proof))
          // From size 0 every tree is consistent (RFC 9162 §2.1.4 proves nothing there), so the new root is free.
          if (m > 0) expectProofInvalid(() => verifyConsistency(m, n, oldRoot, flipBit(newRoot, bit), proof))
          if (proof.length > 0) {
            const k = r % proof.length
            const bad = proof.map((p, j) => (j === k ? flipBit(p, bit) : p))
            expectProofInvalid(() => verifyConsistency(m, n, oldRoot, newRoot, bad))
          }
        },
      ),
      { numRuns: 150 },
    )
  })

  it('every bit of every proof hash matters (exhaustive on a 13-leaf tree)', async () => {
    const t = treeOf(13)
    const root = await treeRoot(13, t.read)
    for (let i = 0; i < 13; i++) {
      const proof = await inclusionProof(i, 13, t.read)
      const leaf = leafHash(leaves[i % leaves.length]!)
      for (let k = 0; k < proof.length; k++) {
        for (let bit = 0; bit < 256; bit++) {
          const bad = proof.map((p, j) => (j === k ? flipBit(p, bit) : p))
          expectProofInvalid(() => verifyInclusion(leaf, i, 13, bad, root))
        }
      }
    }
  })
})
