// arrowseal/nats round trips against the real JetStream server: batches out equal batches in, in order, with
// frames cut into parts below max_payload; routing headers checked; a redelivered claim absorbed.
import type { NatsConnection } from '@nats-io/nats-core'
import { RecordBatch, Schema, Table, tableFromArrays } from 'apache-arrow'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateIdentity } from '../../src/index.node.js'
import { NatsStreamReader, pipelineSubjects, publishSealed } from '../../src/nats/index.js'
import { connectTest, dropPipeline, natsSkip, uniqueSubject } from './broker.js'

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
})
