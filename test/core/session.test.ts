/**
 * Writer sessions (format suite 2, DESIGN property 4 with the trade-off in docs/threat-model.md): a stream signed
 * by a session opens only when the session's certificate is the trusted signer's hybrid signature over exactly
 * that key and window, and the header's Ed25519 signature is the session key's; readers can refuse sessions or
 * require a current window, and a writer cannot sign with an expired session.
 */
import { ed25519 } from '@noble/curves/ed25519.js'
import { Table, Utf8, vectorFromArray } from 'apache-arrow'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ArrowSealError } from '../../src/errors.js'
import { LABEL } from '../../src/format/constants.js'
import { parseHeader } from '../../src/format/header.js'
import { certifiedBytes } from '../../src/format/session.js'
import { inspect } from '../../src/inspect.js'
import type { Identity } from '../../src/keys/identity.js'
import {
  createWriterSession,
  sessionFromSeed,
  sessionWithCredential,
  type WriterSession,
} from '../../src/keys/session.js'
import type { Policy } from '../../src/policy/policy.js'
import { SealStream } from '../../src/stream/seal-stream.js'
import { openTable, sealTable } from '../../src/table.js'
import { id } from '../helpers/identities.js'
import { codeOf, join, openStreamed, readAll, splitStream } from '../helpers/streams.js'

const writer = id('writer')
const reader = id('reader')
const mallory = id('mallory')
const open = (bytes: Uint8Array, sessions?: 'accept' | 'current' | 'reject') =>
  openTable(bytes, { identity: reader, trustedSigners: [writer.publicKey], ...(sessions ? { sessions } : {}) })

const table = new Table({
  id: vectorFromArray(Int32Array.of(1, 2, 3)),
  email: vectorFromArray(['a@x', 'b@y', 'c@z'], new Utf8()),
})
const seal = (signer: Identity | WriterSession) =>
  sealTable(table, {
    signer,
    recipients: { r: [reader.publicKey] },
    policy: { fields: { id: 'public', email: ['r'] } },
  })

const nowSeconds = () => Math.floor(Date.now() / 1000)

describe('writer sessions', () => {
  it('round-trips, shows the session in inspect, and signs with 64 bytes instead of 3,373', async () => {
    const session = await createWriterSession(writer, { lifetimeSeconds: 600 })
    const sealed = await seal(session)
    expect((await open(sealed)).toArray().map((r) => r.toJSON())).toEqual(table.toArray().map((r) => r.toJSON()))
    expect(await open(sealed, 'current')).toBeInstanceOf(Table)
    const info = inspect(sealed)
    expect(info.suite.id).toBe(2)
    expect(info.signer.keyId).toBe(writer.keyId)
    expect(info.session).toEqual({
      keyId: session.sessionKeyId,
      notBefore: session.notBefore.toISOString(),
      notAfter: session.notAfter.toISOString(),
    })
    const { header } = splitStream(sealed)
    expect(parseHeader(header).signature.length).toBe(64)
  })

  it('works through SealStream and OpenStream, one session for many streams', async () => {
    const session = await createWriterSession(writer)
    const policy: Policy = { fields: { id: 'public', email: ['r'] } }
    for (let i = 0; i < 3; i++) {
      const source = new ReadableStream({
        start(c) {
          for (const b of table.batches) c.enqueue(b)
          c.close()
        },
      })
      const chunks = await readAll(
        source.pipeThrough(new SealStream({ signer: session, recipients: { r: [reader.publicKey] }, policy })),
      )
      const sealed = join(...chunks)
      expect(inspect(sealed).session?.keyId).toBe(session.sessionKeyId)
      const opened = await openStreamed(sealed, { identity: reader, trustedSigners: [writer.publicKey] }, 97)
      expect(opened.numRows).toBe(table.numRows)
    }
  })

  it('refuses a certificate that is not the trusted signer’s signature over that key and window', async () => {
    const real = await createWriterSession(writer)
    const seed = new Uint8Array(32).fill(9)
    const myKey = ed25519.getPublicKey(seed)
    const window = { notBefore: real.credential.notBefore, notAfter: real.credential.notAfter }
    const forgeries: Record<string, WriterSession> = {
      // The writer's genuine certificate, moved onto the forger's key.
      'certificate of another key': sessionWithCredential(writer, seed, { ...real.credential, key: myKey }),
      // A certificate by someone else (an insider with a real identity) over the claimed fields.
      'certificate by mallory': sessionWithCredential(writer, seed, {
        key: myKey,
        ...window,
        certificate: mallory.sign(
          LABEL.sessionCredential,
          certifiedBytes(writer.fingerprint, { key: myKey, ...window }),
        ),
      }),
      // The genuine key and certificate with a longer window than was certified.
      'window extended': sessionWithCredential(writer, new Uint8Array(32), {
        ...real.credential,
        key: ed25519.getPublicKey(new Uint8Array(32)),
        notAfter: real.credential.notAfter + 60,
      }),
      'zero certificate': sessionWithCredential(writer, seed, {
        key: myKey,
        ...window,
        certificate: new Uint8Array(3373),
      }),
    }
    for (const [what, forged] of Object.entries(forgeries)) {
      const sealed = await seal(forged)
      expect(await codeOf(open(sealed)), what).toBe('SIGNATURE_INVALID')
    }
  })

  it('refuses a header that the session key did not sign, even with a verified certificate', async () => {
    const session = await createWriterSession(writer)
    const sealed = await seal(session)
    expect(await open(sealed)).toBeInstanceOf(Table) // the certificate is now remembered as verified
    const { header } = splitStream(sealed)
    const forged = sealed.slice()
    forged[header.length - 1]! ^= 0x01 // last byte of the Ed25519 signature
    expect(await codeOf(open(forged))).toBe('SIGNATURE_INVALID')
    // A whole, self-consistent stream carrying the genuine credential but signed with another Ed25519 key.
    const impostor = sessionWithCredential(writer, new Uint8Array(32).fill(7), session.credential)
    expect(await codeOf(open(await seal(impostor)))).toBe('SIGNATURE_INVALID')
  })

  it('refuses any single-bit change to a session header', async () => {
    const sealed = await seal(await createWriterSession(writer))
    const { header } = splitStream(sealed)
    await fc.assert(
      fc.asyncProperty(fc.nat(header.length * 8 - 1), async (bit) => {
        const mutated = sealed.slice()
        mutated[bit >>> 3]! ^= 1 << (bit & 7)
        const code = await codeOf(open(mutated))
        expect(code).not.toBe('RESOLVED')
      }),
      { numRuns: 60 },
    )
  })

  it("lets the reader refuse sessions ('reject') or require a current window ('current')", async () => {
    const past = sessionFromSeed(writer, new Uint8Array(32).fill(1), nowSeconds() - 7200, 3600)
    const future = sessionFromSeed(writer, new Uint8Array(32).fill(2), nowSeconds() + 7200, 3600)
    const { Sealer } = await import('../../src/seal/sealer.js')
    const sealAt = async (s: WriterSession, at: number) => {
      const sealer = await Sealer.create(
        table.schema,
        { signer: s, recipients: { r: [reader.publicKey] }, policy: { fields: { id: 'public', email: ['r'] } } },
        undefined,
        undefined,
        undefined,
        at,
      )
      const parts = [sealer.header]
      for (const b of table.batches) parts.push(await sealer.sealBatch(b))
      parts.push(await sealer.finish())
      return Uint8Array.from(parts.flatMap((p) => [...p]))
    }
    const old = await sealAt(past, (nowSeconds() - 7000) * 1000)
    const early = await sealAt(future, (nowSeconds() + 7300) * 1000)
    // Streams at rest stay readable after their session ends (the default)…
    expect(await open(old)).toBeInstanceOf(Table)
    // …unless the reader requires the window to cover its clock.
    expect(await codeOf(open(old, 'current'))).toBe('SESSION_EXPIRED')
    expect(await codeOf(open(early, 'current'))).toBe('SESSION_EXPIRED')
    expect(await codeOf(open(old, 'reject'))).toBe('SESSION_REJECTED')
    // Suite 1 streams are unaffected by the option.
    expect(await open(await seal(writer), 'reject')).toBeInstanceOf(Table)
  })

  it('will not sign after its window, and checks its arguments', async () => {
    const expired = sessionFromSeed(writer, new Uint8Array(32).fill(3), nowSeconds() - 7200, 3600)
    const err = await seal(expired).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ArrowSealError)
    expect((err as ArrowSealError).code).toBe('SESSION_EXPIRED')
    await expect(createWriterSession(writer, { lifetimeSeconds: 0 })).rejects.toThrow(RangeError)
    await expect(createWriterSession(writer, { lifetimeSeconds: 8 * 24 * 3600 })).rejects.toThrow(RangeError)
    await expect(createWriterSession({} as Identity)).rejects.toThrow(TypeError)
    await expect(open(await seal(writer), 'maybe' as never)).rejects.toThrow(TypeError)
  })

  it('shows no secret in String, JSON or inspect output', async () => {
    const session = sessionFromSeed(writer, new Uint8Array(32).fill(0xab), nowSeconds(), 60)
    const { inspect: nodeInspect } = await import('node:util')
    const seedHex = 'ab'.repeat(32)
    for (const text of [
      String(session),
      JSON.stringify(session),
      nodeInspect(session, { showHidden: true, depth: 9 }),
    ]) {
      expect(text).not.toContain(seedHex)
      expect(text).toContain(session.sessionKeyId)
    }
  })
})
