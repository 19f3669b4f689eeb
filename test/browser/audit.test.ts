/**
 * The audit-log core in Chromium (it is in the browser build): the RFC 6962 vectors of transparency-dev/merkle,
 * the Go sumdb/note PeterNeumann note, and a hybrid checkpoint signed and opened in the page.
 */
import { describe, expect, it } from 'vitest'
import { openCheckpoint, signCheckpoint } from '../../src/audit/checkpoint.js'
import { decodeAuditEvent, encodeAuditEvent } from '../../src/audit/event.js'
import {
  completedSubtrees,
  consistencyProof,
  inclusionProof,
  leafHash,
  nodeHash,
  type SubtreeReader,
  treeRoot,
  verifyConsistency,
  verifyInclusion,
} from '../../src/audit/merkle.js'
import { openNote } from '../../src/audit/note.js'
import { parseVerifierKey } from '../../src/audit/vkey.js'
import { identityFromSeed } from '../../src/keys/identity.js'
import noteJson from '../vectors/c2sp-signed-note.json' with { type: 'json' }
import merkleJson from '../vectors/merkle-rfc6962-transparency-dev.json' with { type: 'json' }

const unhex = (s: string): Uint8Array => new Uint8Array((s.match(/../g) ?? []).map((b) => Number.parseInt(b, 16)))
const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')

function memoryTree(leaves: readonly Uint8Array[]): SubtreeReader {
  const table = new Map<string, Uint8Array>()
  leaves.forEach((leaf, i) => {
    for (const { level, index } of completedSubtrees(i + 1)) {
      const h =
        level === 0
          ? leafHash(leaf)
          : nodeHash(table.get(`${level - 1}/${2 * index}`)!, table.get(`${level - 1}/${2 * index + 1}`)!)
      table.set(`${level}/${index}`, h)
    }
  })
  return async (ids) => ids.map((id) => table.get(`${id.level}/${id.index}`)!)
}

describe('audit log core in the browser', () => {
  const leaves = merkleJson.leaves.map(unhex)
  const read = memoryTree(leaves)

  it('RFC 6962 roots and proofs match the transparency-dev vectors', async () => {
    for (let n = 1; n <= 8; n++) expect(hex(await treeRoot(n, read))).toBe(merkleJson.roots[n - 1])
    for (const v of merkleJson.inclusion) {
      expect((await inclusionProof(v.leaf, v.size, read)).map(hex)).toEqual(v.proof)
      verifyInclusion(
        leafHash(leaves[v.leaf]!),
        v.leaf,
        v.size,
        v.proof.map(unhex),
        unhex(merkleJson.roots[v.size - 1]!),
      )
    }
    for (const v of merkleJson.consistency) {
      expect((await consistencyProof(v.size1, v.size2, read)).map(hex)).toEqual(v.proof)
      const [r1, r2] = [unhex(merkleJson.roots[v.size1 - 1]!), unhex(merkleJson.roots[v.size2 - 1]!)]
      verifyConsistency(v.size1, v.size2, r1, r2, v.proof.map(unhex))
    }
  })

  it('the Go PeterNeumann note verifies', () => {
    const k = parseVerifierKey(noteJson.go.vkey)
    expect(openNote(`${noteJson.go.text}\n${noteJson.go.sigLine}`, [k]).text).toBe(noteJson.go.text)
  })

  it('a hybrid checkpoint signs and opens; an event round-trips', async () => {
    const log = identityFromSeed(new Uint8Array(32).fill(5))
    const origin = 'example.com/audit'
    const note = await signCheckpoint({ origin, size: 8, root: await treeRoot(8, read) }, log)
    const cp = await openCheckpoint(note, log.publicKey, { origin })
    expect(hex(cp.root)).toBe(merkleJson.roots[7])
    const event = {
      version: 1 as const,
      decision: 'deny' as const,
      time: 1,
      who: { id: 'svc' },
      rolesAsked: ['a'],
      rolesGranted: [],
      reason: 'ROLE_NOT_HELD',
      requestId: 'r1',
    }
    expect(decodeAuditEvent(encodeAuditEvent(event))).toEqual(event)
  })
})
