/**
 * An in-memory log for tests: keeps exactly what a store keeps (the hashes of completed subtrees, filled by
 * `completedSubtrees` on each append) and answers a SubtreeReader from that table, so the tests exercise the
 * store's access pattern rather than a tree rebuilt from scratch.
 */
import { completedSubtrees, leafHash, nodeHash, type SubtreeId, type SubtreeReader } from '../../src/audit/merkle.js'

export class MemoryTree {
  readonly table = new Map<string, Uint8Array>()
  readonly reads: SubtreeId[][] = []
  size = 0

  append(entry: Uint8Array): void {
    const size = this.size + 1
    for (const id of completedSubtrees(size)) {
      const h =
        id.level === 0
          ? leafHash(entry)
          : nodeHash(
              this.get({ level: id.level - 1, index: 2 * id.index }),
              this.get({ level: id.level - 1, index: 2 * id.index + 1 }),
            )
      this.table.set(`${id.level}/${id.index}`, h)
    }
    this.size = size
  }

  get(id: SubtreeId): Uint8Array {
    const h = this.table.get(`${id.level}/${id.index}`)
    if (!h) throw new Error(`missing subtree ${id.level}/${id.index}`)
    return h
  }

  readonly read: SubtreeReader = async (ids) => {
    this.reads.push([...ids])
    return ids.map((id) => this.get(id))
  }
}

/** MTH straight from RFC 9162 §2.1.1, recursively, for cross-checking. */
export function referenceRoot(leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 1) return leafHash(leaves[0]!)
  let k = 1
  while (k * 2 < leaves.length) k *= 2
  return nodeHash(referenceRoot(leaves.slice(0, k)), referenceRoot(leaves.slice(k)))
}

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
export const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'))
