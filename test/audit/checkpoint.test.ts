import { describe, expect, it } from 'vitest'
import { base64Encode } from '../../src/audit/base64.js'
import { type Checkpoint, openCheckpoint, signCheckpoint, signCheckpointWith } from '../../src/audit/checkpoint.js'
import { consistencyProof, emptyRoot, treeRoot } from '../../src/audit/merkle.js'
import { formatNote, openNote, parseNote } from '../../src/audit/note.js'
import { logKey, parseVerifierKey } from '../../src/audit/vkey.js'
import { id, seededRandom } from '../helpers/identities.js'
import { MemoryTree } from './memory-tree.js'

const origin = 'example.com/audit'
const log = id('audit-log')
const root = new Uint8Array(32).fill(7)

async function expectCode(p: Promise<unknown>, code: string): Promise<void> {
  await expect(p).rejects.toMatchObject({ name: 'AuditError', code })
}

describe('signCheckpoint / openCheckpoint', () => {
  it('round-trips, with the C2SP body and two signature lines under the origin', async () => {
    const note = await signCheckpoint({ origin, size: 42, root, extensions: ['ext one'] }, log)
    const lines = note.split('\n')
    expect(lines.slice(0, 5)).toEqual([origin, '42', base64Encode(root), 'ext one', ''])
    expect(lines[5]).toMatch(/^— example\.com\/audit [A-Za-z0-9+/]+=*$/)
    expect(lines[6]).toMatch(/^— example\.com\/audit [A-Za-z0-9+/]+=*$/)
    const cp = await openCheckpoint(note, log.publicKeyObject, { origin })
    expect(cp).toMatchObject({ origin, size: 42, extensions: ['ext one'], note })
    expect(cp.root).toEqual(root)
    // Also from the public key text and from the parsed log key (vkeys).
    await openCheckpoint(note, log.publicKey, { origin })
    await openCheckpoint(new TextEncoder().encode(note), logKey(origin, log.publicKey), { origin })
  })

  it('an Ed25519-only signed-note verifier accepts it and ignores the ML-DSA-65 line', async () => {
    const note = await signCheckpoint({ origin, size: 1, root }, log)
    const ed = parseVerifierKey(logKey(origin, log.publicKey).ed25519.text)
    const { verified } = openNote(note, [ed])
    expect(verified).toEqual([ed])
    expect(parseNote(note).signatures[1]!.signature.length).toBe(3309)
  })

  it('is deterministic with a fixed ML-DSA rng', async () => {
    const a = await signCheckpointWith({ origin, size: 3, root }, log, seededRandom(1))
    const b = await signCheckpointWith({ origin, size: 3, root }, log, seededRandom(1))
    expect(a).toBe(b)
    // node:crypto's Ed25519 (the gateway's) signs the same bytes: the whole note is unchanged.
    const { nodeEd25519 } = await import('../../src/node/ed25519.js')
    const c = await signCheckpointWith({ origin, size: 3, root }, log, seededRandom(1), nodeEd25519)
    expect(c).toBe(a)
    await openCheckpoint(c, log.publicKey, { origin })
  })

  it('refuses a checkpoint with only one of the two signatures', async () => {
    const note = await signCheckpoint({ origin, size: 5, root }, log)
    const { text, signatures } = parseNote(note)
    await expectCode(openCheckpoint(formatNote(text, [signatures[0]!]), log.publicKey, { origin }), 'NOTE_INVALID')
    await expectCode(openCheckpoint(formatNote(text, [signatures[1]!]), log.publicKey, { origin }), 'NOTE_INVALID')
  })

  it('refuses another log: other origin, other key', async () => {
    const note = await signCheckpoint({ origin, size: 5, root }, log)
    await expectCode(openCheckpoint(note, log.publicKey, { origin: 'example.com/other' }), 'CHECKPOINT_INVALID')
    const stranger = await signCheckpoint({ origin, size: 5, root }, id('stranger'))
    await expectCode(openCheckpoint(stranger, log.publicKey, { origin }), 'NOTE_INVALID')
    await expect(openCheckpoint(note, logKey('x.example', log.publicKey), { origin })).rejects.toBeInstanceOf(
      RangeError,
    )
  })

  it('refuses a malformed body even when validly signed', async () => {
    for (const body of [
      `${origin}\n42\n`,
      `${origin}\n042\n${base64Encode(root)}\n`,
      `${origin}\n-1\n${base64Encode(root)}\n`,
      `${origin}\n9007199254740992\n${base64Encode(root)}\n`,
      `${origin}\n12345678901234567\n${base64Encode(root)}\n`,
      `${origin}\n4\n${base64Encode(root.subarray(1))}\n`,
      `${origin}\n4\n${base64Encode(root)}\n\n`,
    ]) {
      const sig = log.signNote(body)
      const lk = logKey(origin, log.publicKey)
      const note = formatNote(body, [
        { name: origin, keyId: lk.ed25519.keyId, signature: sig.ed25519 },
        { name: origin, keyId: lk.mldsa65.keyId, signature: sig.mldsa65 },
      ])
      await expect(openCheckpoint(note, log.publicKey, { origin }), body).rejects.toMatchObject({
        code: expect.stringMatching(/CHECKPOINT_INVALID|NOTE_INVALID/),
      })
    }
  })

  it('every one-bit flip of a checkpoint note is refused', async () => {
    const note = await signCheckpointWith({ origin, size: 9, root }, log, seededRandom(2))
    const bytes = new TextEncoder().encode(note)
    // Every byte of the body and the Ed25519 line; every 97th byte of the 4.4 kB ML-DSA line (ML-DSA is ~1 ms).
    const edEnd = note.indexOf('\n', note.indexOf('\n\n') + 2) + 1
    for (let i = 0; i < bytes.length; i += i < edEnd ? 1 : 97) {
      const b = bytes.slice()
      b[i]! ^= 1 << (i % 8)
      await expect(openCheckpoint(b, log.publicKey, { origin }), `byte ${i}`).rejects.toMatchObject({
        name: 'AuditError',
      })
    }
  })

  it('with a previous checkpoint: refuses a smaller size, a split view, and a bad consistency proof', async () => {
    const t = new MemoryTree()
    for (let i = 0; i < 10; i++) t.append(new Uint8Array([i]))
    const at = async (n: number) =>
      openCheckpoint(await signCheckpoint({ origin, size: n, root: await treeRoot(n, t.read) }, log), log.publicKey, {
        origin,
      })
    const old: Checkpoint = await at(6)
    const newer = await signCheckpoint({ origin, size: 10, root: await treeRoot(10, t.read) }, log)
    const proof = await consistencyProof(6, 10, t.read)
    await openCheckpoint(newer, log.publicKey, { origin, previous: old, consistencyProof: proof })
    const older = await signCheckpoint({ origin, size: 5, root: await treeRoot(5, t.read) }, log)
    await expectCode(openCheckpoint(older, log.publicKey, { origin, previous: old }), 'CHECKPOINT_INVALID')
    const fork = await signCheckpoint({ origin, size: 6, root: emptyRoot() }, log)
    await expectCode(openCheckpoint(fork, log.publicKey, { origin, previous: old }), 'CHECKPOINT_INVALID')
    const badProof = proof.map((p, i) => (i === 0 ? emptyRoot() : p))
    await expectCode(
      openCheckpoint(newer, log.publicKey, { origin, previous: old, consistencyProof: badProof }),
      'PROOF_INVALID',
    )
    await openCheckpoint(await signCheckpoint({ origin, size: 6, root: old.root }, log), log.publicKey, {
      origin,
      previous: old,
    })
  })

  it('refuses bad arguments to signCheckpoint', async () => {
    await expect(signCheckpoint({ origin: 'has space', size: 1, root }, log)).rejects.toBeInstanceOf(RangeError)
    await expect(signCheckpoint({ origin, size: -1, root }, log)).rejects.toBeInstanceOf(RangeError)
    await expect(signCheckpoint({ origin, size: 1, root: root.subarray(1) }, log)).rejects.toBeInstanceOf(RangeError)
    await expect(signCheckpoint({ origin, size: 1, root, extensions: ['a\nb'] }, log)).rejects.toBeInstanceOf(
      RangeError,
    )
    await expect(signCheckpoint({ origin, size: 1, root, extensions: [''] }, log)).rejects.toBeInstanceOf(RangeError)
    expect(() => log.signNote('no newline')).toThrow(RangeError)
    expect(() => log.signNote('nul\u0000\n')).toThrow(RangeError)
  })
})
