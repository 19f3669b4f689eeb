/**
 * A rewrapped stream with a gateway added by the rewrap, opened on worker threads (Node entry): the layer's frame
 * key travels to the workers with the other frame keys, and they check its signature on every frame, for a gateway
 * reader (no MAC key) as for a direct one.
 */
import { type RecordBatch, Table } from 'apache-arrow'
import { afterAll, describe, expect, it } from 'vitest'
import { OpenStream, rewrap, WorkerPool } from '../../src/index.node.js'
import { id } from '../helpers/identities.js'
import { codeOf, join, readAll, splitStream } from '../helpers/streams.js'
import { fakeGateway } from '../kas/fake-gateway.js'
import { alice, bob, bySteward, sealed, steward, stranger, table, writer } from './helpers.js'

const gw = id('rw-workers-gateway')
const both = [writer.publicKey, steward.publicKey]
const rows = (batches: RecordBatch[]) => new Table(batches).toArray().map((r) => r.toJSON())

let pool: WorkerPool | undefined
afterAll(() => pool?.close())

describe('gateways added by a rewrap, on worker threads', () => {
  it('workers verify the layer signature for gateway and direct readers', async () => {
    pool = await WorkerPool.start(2)
    const out = await rewrap(await sealed(), {
      ...bySteward,
      remove: [alice.publicKey],
      add: { analysts: [{ service: 'https://kas.example', key: gw.publicKey }] },
    })
    const open = (
      bytes: Uint8Array,
      who: typeof bob,
      keyAccess = fakeGateway(
        gw,
        [writer, steward].map((i) => i.publicKeyObject),
      ),
    ) =>
      readAll(
        new ReadableStream<Uint8Array>({
          start(c) {
            c.enqueue(bytes)
            c.close()
          },
        }).pipeThrough(new OpenStream({ identity: who, trustedSigners: both, keyAccess, workers: pool })),
      )
    const expected = table.toArray().map((r) => ({ id: r.id, amount: r.amount }))
    expect(rows(await open(out, stranger))).toEqual(expected)
    expect((await open(out, bob)).reduce((n, b) => n + b.numRows, 0)).toBe(3)
    const { header, frames } = splitStream(out)
    const bad = frames[0]!.slice()
    bad[bad.length - 1]! ^= 1
    const tampered = join(header, bad, ...frames.slice(1))
    expect(await codeOf(open(tampered, stranger))).toBe('AUTH_FAILED')
    expect(await codeOf(open(tampered, bob))).toBe('AUTH_FAILED')
  })
})
