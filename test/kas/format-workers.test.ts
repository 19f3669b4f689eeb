/**
 * Service-access streams on worker threads (Node entry): frames are signed in the writer's workers and their
 * signatures verified in the reader's, for a gateway reader (no MAC key) as for a direct one, with the same bytes
 * and the same refusals as in one thread.
 */
import { type RecordBatch, Table } from 'apache-arrow'
import { afterAll, describe, expect, it } from 'vitest'
import { FRAME_SIG_BYTES } from '../../src/format/constants.js'
import { OpenStream, openTable, SealStream, WorkerPool } from '../../src/index.node.js'
import { sampleTable } from '../fixtures/tables.js'
import { id } from '../helpers/identities.js'
import { codeOf, join, readAll, splitStream } from '../helpers/streams.js'
import { fakeGateway } from './fake-gateway.js'

const writer = id('writer')
const kas = id('kas')
const bob = id('bob')
const alice = id('alice')
const recipients = { support: [alice.publicKey], analysts: [{ service: 'https://kas.example', key: kas.publicKey }] }
const policy = { fields: { id: 'public', email: ['support'], amount: ['analysts'] } } as const
const streamOf = <T>(items: readonly T[]) =>
  new ReadableStream<T>({
    start(c) {
      for (const x of items) c.enqueue(x)
      c.close()
    },
  })
const rows = (batches: RecordBatch[]) => new Table(batches).toArray().map((r) => r.toJSON())

let pool: WorkerPool | undefined
afterAll(() => pool?.close())

describe('service-access streams on worker threads', () => {
  it('signs frames in the workers and verifies them there, for gateway and direct readers', async () => {
    pool = await WorkerPool.start(2)
    const table = sampleTable(8, 4)
    const sealed = join(
      ...(await readAll(
        streamOf(table.batches).pipeThrough(new SealStream({ signer: writer, recipients, policy, workers: pool })),
      )),
    )
    const gateway = fakeGateway(kas, [writer.publicKeyObject])
    const open = (bytes: Uint8Array, who: typeof bob) =>
      readAll(
        streamOf([bytes]).pipeThrough(
          new OpenStream({ identity: who, trustedSigners: [writer.publicKey], keyAccess: gateway, workers: pool }),
        ),
      )
    const viaGateway = await open(sealed, bob)
    expect(rows(viaGateway)).toEqual(table.toArray().map((r) => ({ id: r.id, amount: r.amount })))
    expect(gateway.requests.length).toBe(1)
    // The single-threaded reader accepts the workers' frames: same format.
    expect((await openTable(sealed, { identity: alice, trustedSigners: [writer.publicKey] })).numRows).toBe(32)

    const { header, frames } = splitStream(sealed)
    const bad = frames[1]!.slice()
    bad[bad.length - FRAME_SIG_BYTES]! ^= 1
    const tampered = join(header, frames[0]!, bad, ...frames.slice(2))
    expect(await codeOf(open(tampered, bob))).toBe('AUTH_FAILED')
    expect(await codeOf(open(tampered, alice))).toBe('AUTH_FAILED')
  })
})
