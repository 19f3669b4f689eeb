/**
 * Picture 4 (docs/concepts/audit-log.md, once that page exists): a Merkle tree over audit-log entries with the
 * inclusion proof of one entry highlighted. The tree is split as RFC 9162 section 2.1.1 splits it (the left
 * subtree holds the largest power of two smaller than the number of leaves), so any leaf count draws correctly,
 * and the proof is the audit path of RFC 9162 section 2.1.3.1.
 */
import { box, type Diagram, label, wrap } from './svg.js'

interface Node {
  lo: number
  hi: number
  depth: number
  left?: Node
  right?: Node
}

/** The tree over leaves [lo, hi), split as RFC 9162 section 2.1.1 does. */
export function tree(lo: number, hi: number, depth = 0): Node {
  if (hi - lo === 1) return { lo, hi, depth }
  let k = 1
  while (k * 2 < hi - lo) k *= 2
  return { lo, hi, depth, left: tree(lo, lo + k, depth + 1), right: tree(lo + k, hi, depth + 1) }
}

/** The audit path of leaf `m` (RFC 9162 section 2.1.3.1): the siblings from the leaf up, as leaf ranges. */
export function auditPath(root: Node, m: number): Array<[number, number]> {
  const out: Array<[number, number]> = []
  let n = root
  while (n.left && n.right) {
    const [on, off] = m < n.left.hi ? [n.left, n.right] : [n.right, n.left]
    out.unshift([off.lo, off.hi])
    n = on
  }
  return out
}

const name = (n: Node) => (n.hi - n.lo === 1 ? `leaf ${n.lo}` : `node ${n.lo}–${n.hi - 1}`)

export function merkleProofDiagram(leaves = 8, proved = 5): Diagram {
  const root = tree(0, leaves)
  const proof = auditPath(root, proved)
  const isProof = (n: Node) => proof.some(([lo, hi]) => lo === n.lo && hi === n.hi)
  const onPath = (n: Node) => n.lo <= proved && proved < n.hi
  const depthOf = (n: Node): number => (n.left && n.right ? 1 + Math.max(depthOf(n.left), depthOf(n.right)) : 0)
  const levels = depthOf(root)
  const slot = 84
  const w = 72
  const h = 44
  const x0 = 16
  const rowH = 74
  const top = 16
  let edges = ''
  let nodes = ''
  const cx = (n: Node) => x0 + ((n.lo + n.hi) / 2) * slot
  const y = (n: Node) => top + n.depth * rowH
  const draw = (n: Node) => {
    const kind = onPath(n) ? 'path' : isProof(n) ? 'proof' : 'hash'
    const lines = n.hi - n.lo === 1 ? [name(n), n.lo === proved ? 'H(entry) ✓' : 'H(entry)'] : [name(n)]
    if (n === root) lines.splice(0, 1, 'root', 'signed checkpoint')
    nodes += box(cx(n) - w / 2 - (n === root ? 30 : 0), y(n), w + (n === root ? 60 : 0), h, lines, kind)
    for (const c of [n.left, n.right]) {
      if (!c) continue
      const cls = onPath(c) ? 'edge-path' : 'edge-plain'
      edges += `<path class="dg-${cls}" d="M${cx(n)},${y(n) + h} L${cx(c)},${y(c)}" fill="none"></path>`
      draw(c)
    }
  }
  draw(root)
  const legendY = top + levels * rowH + h + 26
  const legend =
    box(x0, legendY, 150, 28, [`entry ${proved}, path to root`], 'path') +
    box(x0 + 162, legendY, 190, 28, ['proof: hashes sent'], 'proof') +
    label(x0 + 366, legendY + 14, 'leaf = SHA-256(0x00 ‖ entry), node = SHA-256(0x01 ‖ left ‖ right)')
  const width = x0 * 2 + leaves * slot
  const alt =
    `A Merkle tree over ${leaves} audit-log entries. The inclusion proof for leaf ${proved} is the ${proof.length} sibling hashes ` +
    `${proof.map(([lo, hi]) => (hi - lo === 1 ? `leaf ${lo}` : `node ${lo}–${hi - 1}`)).join(', ')}, highlighted; ` +
    `hashing leaf ${proved} with them, from the bottom up, gives the root that the signed checkpoint commits to.`
  return wrap(
    'merkle-proof',
    `Inclusion proof of entry ${proved} in a Merkle tree of ${leaves} entries`,
    alt,
    Math.max(width, x0 + 366 + 480),
    legendY + 28 + 16,
    edges + nodes + legend,
  )
}
