// The frozen audit vectors (test/vectors/golden-audit/): every event of version 1 and 2 still decodes to what it
// was built from and re-encodes to the same bytes, the log of them still verifies under its checkpoint, and the
// builder still writes every file byte for byte.
import { readFileSync } from 'node:fs'
import { sha256 } from '@noble/hashes/sha2.js'
import { describe, expect, it } from 'vitest'
import { openCheckpoint } from '../../src/audit/checkpoint.js'
import { decodeAuditEvent, encodeAuditEvent } from '../../src/audit/event.js'
import { inclusionProof, leafHash, treeRoot, verifyInclusion } from '../../src/audit/merkle.js'
import { type AuditGoldenManifest, buildAuditGolden, GOLDEN_EVENTS } from '../golden/build-audit.js'
import { hex, MemoryTree } from './memory-tree.js'

const dir = new URL('../vectors/golden-audit/', import.meta.url)
const read = (name: string) => new Uint8Array(readFileSync(new URL(name, dir)))
const manifest = JSON.parse(readFileSync(new URL('manifest.json', dir), 'utf8')) as AuditGoldenManifest

describe('golden audit vectors', () => {
  it('each frozen event has its digest, decodes to its source event and re-encodes to the same bytes', () => {
    expect(manifest.events.map((e) => e.file)).toEqual(GOLDEN_EVENTS.map((v) => v.file))
    for (const [i, v] of manifest.events.entries()) {
      const bytes = read(v.file)
      expect(hex(sha256(bytes)), v.file).toBe(v.sha256)
      const event = decodeAuditEvent(bytes)
      expect(event, v.file).toEqual(GOLDEN_EVENTS[i]!.event)
      expect(hex(encodeAuditEvent(event)), v.file).toBe(hex(bytes))
    }
  })

  it('the version 2 events name the principal acted on, OIDC issuer and subject included', () => {
    const grant = decodeAuditEvent(read('v2-grant-oidc.asae'))
    expect(grant.version).toBe(2)
    expect(grant.target).toEqual({
      principal: { oidc: { issuer: 'https://idp.example', subject: 'u-123' } },
      role: 'analysts',
      dataset: 'sales',
      notBefore: 0,
      notAfter: 1764680000000 + 86_400_000,
    })
    expect(decodeAuditEvent(read('v2-suspend-oidc.asae')).target?.principal.oidc?.subject).toBe('team#42')
    expect(decodeAuditEvent(read('v1-admin-oidc.asae')).target).toBeUndefined()
  })

  it('the log of all of them verifies under its frozen checkpoint', async () => {
    const entries = manifest.events.map((v) => read(v.file))
    const note = new TextDecoder().decode(read(manifest.checkpoint.file))
    const cp = await openCheckpoint(note, manifest.log.publicKey, { origin: manifest.log.origin })
    expect([cp.size, hex(cp.root)]).toEqual([manifest.checkpoint.size, manifest.checkpoint.root])
    const tree = new MemoryTree()
    for (const e of entries) tree.append(e)
    expect(hex(await treeRoot(cp.size, tree.read))).toBe(manifest.checkpoint.root)
    for (const [i, e] of entries.entries()) {
      verifyInclusion(leafHash(e), i, cp.size, await inclusionProof(i, cp.size, tree.read), cp.root)
    }
  })

  it('the builder still writes every file and the manifest byte for byte', async () => {
    const { files, manifest: built } = await buildAuditGolden()
    expect(built).toEqual(manifest)
    for (const [name, bytes] of files) expect(hex(bytes), name).toBe(hex(read(name)))
  })
})
