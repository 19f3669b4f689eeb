/**
 * What a reader learns about a stream's origin (issue 20 items 1 and 3): `openTableWithInfo` reports which
 * trusted signer wrote a table and its writer session, as `OpenStream` does; `expectedStreamId` lets a reader
 * refuse a validly signed stream other than the one it asked for (whole-stream replay).
 */
import { bytesToHex } from '@noble/hashes/utils.js'
import { type Table, tableFromArrays } from 'apache-arrow'
import { describe, expect, expectTypeOf, it } from 'vitest'
import type { SessionCredential } from '../../src/format/session.js'
import * as core from '../../src/index.js'
import * as node from '../../src/index.node.js'
import type { PublicKey } from '../../src/keys/public-key.js'
import { createWriterSession } from '../../src/keys/session.js'
import { OpenStream } from '../../src/stream/open-stream.js'
import { type OpenedTable, openTable, openTableWithInfo, sealTable } from '../../src/table.js'
import { id } from '../helpers/identities.js'
import { codeOf, readAll, streamOf } from '../helpers/streams.js'

const w1 = id('origin-writer-1')
const w2 = id('origin-writer-2')
const reader = id('origin-reader')
const table = tableFromArrays({ id: Int32Array.from([1, 2, 3]), email: ['a', 'b', 'c'] })
const sealOpts = { recipients: { r: [reader.publicKey] }, policy: { fields: { id: 'public' as const, email: ['r'] } } }
const open = { identity: reader, trustedSigners: [w1.publicKey, w2.publicKey] }

describe('who signed a table', () => {
  it('openTableWithInfo reports which trusted signer wrote it, and no session for a hybrid signature', async () => {
    for (const w of [w1, w2]) {
      const sealed = await sealTable(table, { ...sealOpts, signer: w })
      const info = await openTableWithInfo(sealed, open)
      expect(info.signer.keyId).toBe(w.publicKeyObject.keyId)
      expect(info.session).toBeNull()
      expect(info.streamId).toBe(core.inspect(sealed).streamId)
      expect(info.table.toArray()).toEqual((await openTable(sealed, open)).toArray())
    }
  })

  it('reports the writer session, on the table path and the stream path alike', async () => {
    const session = await createWriterSession(w2)
    const sealed = await sealTable(table, { ...sealOpts, signer: session })
    const info = await node.openTableWithInfo(sealed, open)
    expect(info.signer.keyId).toBe(w2.publicKeyObject.keyId)
    expect(bytesToHex(info.session!.key)).toBe(bytesToHex(session.credential.key))
    expect(info.session!.notAfter).toBe(session.credential.notAfter)
    const stream = new OpenStream(open)
    await readAll(streamOf([sealed]).pipeThrough(stream))
    expect(bytesToHex((await stream.session)!.key)).toBe(bytesToHex(session.credential.key))
    expect(await stream.streamId).toBe(info.streamId)
  })

  it('keeps openTable returning a Table; the new function is typed and exported from both entries', () => {
    expectTypeOf(openTable).returns.resolves.toEqualTypeOf<Table>()
    expectTypeOf(openTableWithInfo).returns.resolves.toEqualTypeOf<OpenedTable>()
    expectTypeOf<OpenedTable['signer']>().toEqualTypeOf<PublicKey>()
    expectTypeOf<OpenedTable['session']>().toEqualTypeOf<SessionCredential | null>()
    expectTypeOf<OpenedTable['streamId']>().toEqualTypeOf<string>()
    expectTypeOf(core.openTableWithInfo).toEqualTypeOf(node.openTableWithInfo)
    expectTypeOf<OpenStream['session']>().toEqualTypeOf<Promise<SessionCredential | null>>()
  })
})

describe('whole-stream replay', () => {
  it('a reader that names the stream it expects refuses an older stream of the same writer', async () => {
    const older = await sealTable(table, { ...sealOpts, signer: w1 })
    const newer = await sealTable(table, { ...sealOpts, signer: w1 })
    const expected = core.inspect(newer).streamId
    // Without the option the replayed stream is indistinguishable from the real one: both verify.
    expect((await openTable(older, open)).numRows).toBe(3)
    expect((await openTable(newer, { ...open, expectedStreamId: expected })).numRows).toBe(3)
    expect(await codeOf(openTable(older, { ...open, expectedStreamId: expected }))).toBe('STREAM_UNEXPECTED')
    // Bytes and either case of hex work; the streaming reader refuses it too, before releasing any batch.
    const bytes = Uint8Array.from(expected.match(/../g)!.map((h) => Number.parseInt(h, 16)))
    expect(await codeOf(openTable(older, { ...open, expectedStreamId: bytes }))).toBe('STREAM_UNEXPECTED')
    expect((await openTable(newer, { ...open, expectedStreamId: expected.toUpperCase() })).numRows).toBe(3)
    const got: unknown[] = []
    const run = readAll(streamOf([older]).pipeThrough(new OpenStream({ ...open, expectedStreamId: expected })))
    expect(await codeOf(run.then((b) => got.push(...b)))).toBe('STREAM_UNEXPECTED')
    expect(got).toEqual([])
  })

  it('refuses a malformed expectedStreamId as caller misuse', async () => {
    const sealed = await sealTable(table, { ...sealOpts, signer: w1 })
    for (const bad of ['00', 'zz'.repeat(16), new Uint8Array(15), 7]) {
      await expect(openTable(sealed, { ...open, expectedStreamId: bad as never })).rejects.toBeInstanceOf(
        bad instanceof Uint8Array ? RangeError : TypeError,
      )
    }
  })
})
