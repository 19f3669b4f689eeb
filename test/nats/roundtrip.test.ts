// arrowseal/nats round trips against the real JetStream server: batches out equal batches in, in order, with
// frames cut into parts below max_payload; routing headers checked; a redelivered claim absorbed.

import { jetstreamManager } from '@nats-io/jetstream'
import type { NatsConnection } from '@nats-io/nats-core'
import { RecordBatch, Schema, Table, tableFromArrays } from 'apache-arrow'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateIdentity } from '../../src/index.node.js'
import { NatsStreamReader, pipelineSubjects, publishSealed } from '../../src/nats/index.js'
import { positionName } from '../../src/nats/setup.js'
import { connectTest, dropPipeline, natsSkip, uniqueSubject } from './broker.js'
import { sealedPieces, testPipeline } from './pipeline.js'

const writer = await generateIdentity()
const alice = await generateIdentity()
const recipients = { analysts: [alice.publicKey] }

function table(rows: number, seed: number) {
  return tableFromArrays({
    id: Int32Array.from({ length: rows }, (_, i) => i + seed),
    v: Float64Array.from({ length: rows }, (_, i) => i * 0.5 + seed),
  })
}

async function collect(stream: AsyncIterable<RecordBatch>): Promise<RecordBatch[]> {
  const out: RecordBatch[] = []
  for await (const b of stream) out.push(b)
  return out
}

describe.skipIf(natsSkip !== null)('arrowseal/nats round trip', () => {
  let nc: NatsConnection
  const subject = uniqueSubject('rt')
  const { stream } = pipelineSubjects(subject)
  beforeAll(async () => {
    nc = await connectTest()
  })
  afterAll(async () => {
    await dropPipeline(nc, stream)
    await nc.close()
  })

  it('publishes and reads back every batch, in order, verified; frames larger than a message come in parts', async () => {
    const batches = [...table(3000, 0).batches, ...table(20, 10_000).batches, ...table(70_000, 50).batches]
    const sent = await publishSealed(nc, subject, batches, {
      signer: writer,
      recipients,
      policy: { fields: { id: 'public', v: ['analysts'] } },
      chunkBytes: 64 * 1024,
    })
    expect(sent.batches).toBe(3)
    expect(sent.messages).toBeGreaterThan(5) // the 70k-row frame needs several 64 KiB parts
    const reader = await NatsStreamReader.join(nc, {
      subject,
      group: 'g1',
      identity: alice,
      trustedSigners: [writer.publicKey],
    })
    const s = await reader.next(2000)
    expect(s?.streamId).toBe(sent.streamId)
    const got = await collect(s!)
    expect(s!.completed).toBe(true)
    expect(new Table(got).toArray().map((r) => r.toJSON())).toEqual(new Table(batches).toArray().map((r) => r.toJSON()))
    // Nothing left for the group: the claim was acknowledged after the verified end.
    expect(await reader.next(1000)).toBeNull()
  })

  it('with workers verifying ahead, every batch still comes out in order, and a stream of many batches completes', async () => {
    const batches = [...table(3000, 0).batches, ...table(70_000, 50).batches, ...table(5, 1).batches]
    const many = Array.from({ length: 12 }, (_, i) => table(100, i * 100).batches[0]!)
    const sent = await publishSealed(nc, subject, [...batches, ...many], {
      signer: writer,
      recipients,
      policy: { fields: { id: 'public', v: ['analysts'] } },
      chunkBytes: 64 * 1024,
      workers: 1,
    })
    const reader = await NatsStreamReader.join(nc, {
      subject,
      group: 'g-workers',
      identity: alice,
      trustedSigners: [writer.publicKey],
      workers: 2,
    })
    // g-workers is new and starts at the first header of the subject: skip the earlier test's stream.
    let s = await reader.next(2000)
    while (s && s.streamId !== sent.streamId) {
      await collect(s)
      s = await reader.next(2000)
    }
    const got = await collect(s!)
    expect(s!.completed).toBe(true)
    const want = new Table([...batches, ...many]).toArray().map((r) => r.toJSON())
    expect(new Table(got).toArray().map((r) => r.toJSON())).toEqual(want)
  })

  it('with workers, a batch is released once verified, not held until the next frame arrives (a paused live stream)', async () => {
    const pl = await testPipeline(nc, 'live')
    try {
      const p = await sealedPieces(writer, alice)
      const pub = pl.publisher()
      await pub.header(p.header)
      await pub.frame(p.frames[0]!, 'batch', 0)
      await pub.flush()
      const reader = await NatsStreamReader.join(nc, {
        subject: pl.subject,
        group: 'g-live',
        identity: alice,
        trustedSigners: [writer.publicKey],
        workers: 1,
        idleTimeoutMs: 5000,
      })
      const s = await reader.next(2000)
      const it = s![Symbol.asyncIterator]()
      // Nothing more is published until batch 0 is out: held for the next frame, it would come only with the
      // idle timeout's TRUNCATED.
      const first = await it.next()
      expect(first.done).toBe(false)
      for (const [i, f] of p.frames.entries())
        if (i > 0) await pub.frame(f, i === p.frames.length - 1 ? 'end' : 'batch', i)
      await pub.flush()
      const rest: RecordBatch[] = []
      for (let r = await it.next(); !r.done; r = await it.next()) rest.push(r.value)
      expect(rest).toHaveLength(p.frames.length - 2)
      expect(s!.completed).toBe(true)
    } finally {
      await pl.drop()
    }
  })

  it('an empty stream (header and end only) is a complete stream with no batch', async () => {
    const t = new Table(table(1, 0).schema)
    const sent = await publishSealed(nc, subject, t, {
      signer: writer,
      recipients,
      policy: { fields: { id: ['analysts'], v: 'drop' } },
    })
    const reader = await NatsStreamReader.join(nc, {
      subject,
      group: 'g-empty',
      identity: alice,
      trustedSigners: [writer.publicKey],
    })
    // g-empty is new and starts at the first header of the subject: skip the earlier test's stream.
    for (;;) {
      const s = await reader.next(2000)
      expect(s).not.toBeNull()
      const got = await collect(s!)
      if (s!.streamId !== sent.streamId) continue
      expect(got).toHaveLength(0)
      expect(s!.completed).toBe(true)
      break
    }
  })

  it('routing headers carry public schema metadata and are checked against the signed header', async () => {
    const t = table(10, 1)
    const schema = new Schema(t.schema.fields, new Map([['tenant', 'acme']]))
    const batches = t.batches.map((b) => new RecordBatch(schema, b.data))
    const sent = await publishSealed(nc, subject, batches, {
      signer: writer,
      recipients,
      schema,
      policy: { fields: { id: 'public', v: ['analysts'] }, schemaMetadata: 'public' },
      route: ['tenant'],
    })
    const reader = await NatsStreamReader.join(nc, {
      subject,
      group: 'g-route',
      identity: alice,
      trustedSigners: [writer.publicKey],
    })
    for (;;) {
      const s = await reader.next(2000)
      expect(s).not.toBeNull()
      if (s!.streamId !== sent.streamId) {
        await collect(s!)
        continue
      }
      expect(s!.route).toEqual({ tenant: 'acme' })
      expect((await collect(s!)).length).toBe(1)
      break
    }
  })

  it('a route key that is not public metadata is refused before anything is published', async () => {
    await expect(
      publishSealed(nc, subject, table(2, 0), {
        signer: writer,
        recipients,
        policy: { fields: { id: 'public', v: ['analysts'] } },
        route: ['tenant'],
      }),
    ).rejects.toThrow(/not public schema metadata/)
  })

  it('acknowledges a frame only after its batch was handed over and the caller came back; a released claim resumes at the broker position', async () => {
    const sub = uniqueSubject('ack')
    const pl = pipelineSubjects(sub)
    try {
      const t = table(50, 0)
      const sent = await publishSealed(
        nc,
        sub,
        [0, 1, 2, 3, 4].map((i) => t.slice(i * 10, i * 10 + 10).batches[0]!),
        {
          signer: writer,
          recipients,
          policy: { fields: { id: 'public', v: ['analysts'] } },
        },
      )
      const jsm = await jetstreamManager(nc)
      const floor = async () =>
        (await jsm.consumers.info(pl.stream, positionName('g-ack', sent.streamId))).ack_floor.stream_seq
      const reader = await NatsStreamReader.join(nc, {
        subject: sub,
        group: 'g-ack',
        identity: alice,
        trustedSigners: [writer.publicKey],
        ackWaitMs: 1000,
      })
      const s = await reader.next(2000)
      const it = s![Symbol.asyncIterator]()
      expect((await it.next()).value!.getChild('id')!.get(0)).toBe(0)
      const before = await floor()
      // Batch 0 is in the caller's hands: nothing of the stream is acknowledged yet (the header is seq 1).
      expect(before).toBe(0)
      expect((await it.next()).value!.getChild('id')!.get(0)).toBe(10)
      await until(async () => (await floor()) > before) // batch 0's frame (seq 2) acknowledged, not batch 1's
      expect(await floor()).toBe(2)
      // The caller stops while holding batch 1: the claim goes back; the next claim resumes on the broker's word
      // (no checkpoint): batch 1, which was in hand, comes again, and nothing before it.
      await it.return!(undefined)
      const again = await reader.next(5000)
      expect(again?.streamId).toBe(sent.streamId)
      const rest = await collect(again!)
      expect(again!.startIndex).toBe(1)
      expect(rest.map((b) => b.getChild('id')!.get(0))).toEqual([10, 20, 30, 40])
    } finally {
      await dropPipeline(nc, pl.stream)
    }
  })
})

async function until(cond: () => Promise<boolean>): Promise<void> {
  // Acks are asynchronous: wait for the broker to record one (bounded), then assert on its value.
  for (let i = 0; i < 200 && !(await cond()); i++) await new Promise((r) => setTimeout(r, 10))
}
