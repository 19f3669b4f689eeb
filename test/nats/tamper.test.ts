// Every tamper and splice the file tests refuse, made on the wire through JetStream: the reader refuses each one
// with the file reader's error and releases only batches verified before it. Plus what is particular to a broker:
// redelivered and republished duplicates are absorbed (released once), the writer's abort and a silent writer
// are truncation, and envelope headers that disagree with the signed stream are refused.

import { jetstream, jetstreamManager } from '@nats-io/jetstream'
import type { NatsConnection } from '@nats-io/nats-core'
import { headers } from '@nats-io/nats-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateIdentity } from '../../src/index.node.js'
import { envelopeHeaders } from '../../src/nats/envelope.js'
import { publishSealed } from '../../src/nats/index.js'
import { connectTest, natsSkip } from './broker.js'
import { readNext, rows, sealedPieces, testPipeline } from './pipeline.js'

const writer = await generateIdentity()
const alice = await generateIdentity()
const opened = { identity: alice, trustedSigners: [writer.publicKey] }

const flip = (b: Uint8Array, at: number) => {
  const c = b.slice()
  c[at]! ^= 0x01
  return c
}

// Each case in this thread and with a worker verifying frames ahead of the one released (the reader's `workers`).
for (const workers of [0, 1])
  describe.skipIf(natsSkip !== null)(`arrowseal/nats refuses tampering on the wire (workers: ${workers})`, () => {
    const open = { ...opened, workers }
    let nc: NatsConnection
    const drops: (() => Promise<void>)[] = []
    let lastSubject = ''
    beforeAll(async () => {
      nc = await connectTest()
    })
    afterAll(async () => {
      for (const d of drops) await d()
      await nc.close()
    })
    /** Publishes the pieces `craft` makes of a fresh 3-batch stream, and reads the group's first stream. */
    async function run(
      tag: string,
      craft: (
        p: Awaited<ReturnType<typeof sealedPieces>>,
        pub: ReturnType<Awaited<ReturnType<typeof testPipeline>>['publisher']>,
      ) => Promise<void>,
      extra: Record<string, unknown> = {},
    ) {
      const pl = await testPipeline(nc, tag)
      lastSubject = pl.subject
      drops.push(pl.drop)
      const pieces = await sealedPieces(writer, alice)
      const pub = pl.publisher()
      await craft(pieces, pub)
      await pub.flush()
      return readNext(nc, { subject: pl.subject, ...open, ...extra })
    }
    const honest = async (
      p: Awaited<ReturnType<typeof sealedPieces>>,
      pub: Awaited<ReturnType<typeof testPipeline>>['publisher'] extends () => infer P ? P : never,
      frames = p.frames,
      endLast = true,
    ) => {
      await pub.header(p.header)
      for (const [i, f] of frames.entries()) await pub.frame(f, endLast && i === frames.length - 1 ? 'end' : 'batch', i)
    }

    it('an honest stream opens (the control for every case below)', async () => {
      const o = await run('ok', (p, pub) => honest(p, pub))
      expect(o.code).toBe('END')
      expect(o.released.map((b) => b.numRows)).toEqual([10, 10, 10])
    })

    it('a flipped bit in the header is SIGNATURE_INVALID before anything is claimed', async () => {
      const o = await run('hdr', async (p, pub) => {
        await pub.header(flip(p.header, p.header.length - 100))
        for (const [i, f] of p.frames.entries()) await pub.frame(f, i === 3 ? 'end' : 'batch', i)
      })
      expect(o).toMatchObject({ code: 'SIGNATURE_INVALID', released: [] })
    })

    it('a flipped bit in any frame is AUTH_FAILED, with only the batches before it released', async () => {
      for (const target of [0, 2, 3]) {
        const o = await run(`frame${target}`, async (p, pub) => {
          // In a batch frame, a byte of the last unit's ciphertext; in the end frame (no units), its MAC.
          const frames = p.frames.map((f, i) => (i === target ? flip(f, f.length - (i === 3 ? 1 : 20)) : f))
          await honest(p, pub, frames)
        })
        expect(o.code).toBe('AUTH_FAILED')
        expect(o.released).toHaveLength(target)
      }
    })

    it('reordered frames: a gap by the envelope, FRAME_OUT_OF_ORDER by the MAC when the envelope lies', async () => {
      const byEnvelope = await run('reorder', async (p, pub) => {
        await pub.header(p.header)
        await pub.frame(p.frames[1]!, 'batch', 1)
        await pub.frame(p.frames[0]!, 'batch', 0)
      })
      expect(byEnvelope).toMatchObject({ code: 'FRAME_OUT_OF_ORDER', released: [] })
      const lying = await run('reorder-lie', async (p, pub) => {
        await honest(p, pub, [p.frames[1]!, p.frames[0]!, p.frames[2]!, p.frames[3]!])
      })
      expect(lying).toMatchObject({ code: 'FRAME_OUT_OF_ORDER', released: [] })
    })

    it('a dropped frame is FRAME_OUT_OF_ORDER, whether or not the envelope hides the gap', async () => {
      const gap = await run('drop', async (p, pub) => {
        await pub.header(p.header)
        await pub.frame(p.frames[0]!, 'batch', 0)
        await pub.frame(p.frames[2]!, 'batch', 2)
        await pub.frame(p.frames[3]!, 'end', 3)
      })
      expect(gap.code).toBe('FRAME_OUT_OF_ORDER')
      expect(gap.released).toHaveLength(1)
      const hidden = await run('drop-lie', async (p, pub) => honest(p, pub, [p.frames[0]!, p.frames[2]!, p.frames[3]!]))
      expect(hidden.code).toBe('FRAME_OUT_OF_ORDER')
      expect(hidden.released).toHaveLength(1)
    })

    it('duplicates (a republished frame, a republished header) are absorbed: every batch released exactly once', async () => {
      const o = await run('dup', async (p, pub) => {
        await pub.header(p.header)
        await pub.frame(p.frames[0]!, 'batch', 0)
        await pub.frame(p.frames[0]!, 'batch', 0)
        await pub.frame(p.frames[1]!, 'batch', 1)
        await pub.frame(p.frames[0]!, 'batch', 0)
        await pub.frame(p.frames[1]!, 'batch', 1)
        await pub.frame(p.frames[2]!, 'batch', 2)
        await pub.frame(p.frames[3]!, 'end', 3)
        await pub.header(p.header)
      })
      expect(o.code).toBe('END')
      expect(o.released.map((b) => b.getChild('id')!.get(0))).toEqual([0, 10, 20])
      // The header republished after the stream completed is a duplicate claim: acknowledged, nothing released.
      const again = await readNext(nc, { subject: lastSubject, ...open }, 1000)
      expect(again.code).toBe('NONE')
      // A duplicate the envelope passes off as the next frame is a replay the MAC catches.
      const replay = await run('dup-lie', async (p, pub) => honest(p, pub, [p.frames[0]!, p.frames[0]!, p.frames[1]!]))
      expect(replay).toMatchObject({ code: 'FRAME_OUT_OF_ORDER' })
      expect(replay.released).toHaveLength(1)
    })

    it('truncation: no end frame is TRUNCATED after the idle timeout, the writer abort at once', async () => {
      const silent = await run('trunc', (p, pub) => honest(p, pub, p.frames.slice(0, 2), false), {
        idleTimeoutMs: 1000,
      })
      expect(silent.code).toBe('TRUNCATED')
      expect(silent.released).toHaveLength(2)
      const aborted = await run('abort', async (p, pub) => {
        await honest(p, pub, p.frames.slice(0, 1), false)
        await pub.abort()
      })
      expect(aborted.code).toBe('TRUNCATED')
      expect(aborted.released).toHaveLength(1)
      // An end frame whose batch count is short is refused as out of order, not taken as a short valid stream.
      const earlyEnd = await run('early-end', async (p, pub) => honest(p, pub, [p.frames[0]!, p.frames[3]!]))
      expect(earlyEnd.code).toBe('FRAME_OUT_OF_ORDER')
    })

    it('a frame spliced from another stream of the same writer, keys and policy is AUTH_FAILED', async () => {
      const other = await sealedPieces(writer, alice, 3, 1000)
      const o = await run('splice', (p, pub) =>
        honest(p, pub, [p.frames[0]!, other.frames[1]!, p.frames[2]!, p.frames[3]!]),
      )
      expect(o.code).toBe('AUTH_FAILED')
      expect(o.released).toHaveLength(1)
      // The other stream's header on this stream's subject (an envelope that lies about which stream it is).
      const swapped = await run('splice-hdr', async (p, pub) => {
        const theirs = await sealedPieces(writer, alice)
        const id = Buffer.from(p.header.subarray(17, 33)).toString('hex')
        await pub.header(theirs.header, {}, id)
        for (const [i, f] of p.frames.entries()) await pub.frame(f, i === 3 ? 'end' : 'batch', i)
      })
      expect(swapped).toMatchObject({ code: 'BROKER_MISMATCH', released: [] })
    })

    it('envelope headers that disagree with the signed stream are BROKER_MISMATCH', async () => {
      const pl = await testPipeline(nc, 'route')
      drops.push(pl.drop)
      const p = await sealedPieces(writer, alice)
      const id = Buffer.from(p.header.subarray(17, 33)).toString('hex')
      // A routing header the writer never signed (the stream has no public metadata at all).
      await jetstream(nc).publish(pl.subjects.header(id), p.header, {
        headers: envelopeHeaders(id, 'header', undefined, undefined, { tenant: 'evil' }),
      })
      const o = await readNext(nc, { subject: pl.subject, ...open })
      expect(o).toMatchObject({ code: 'BROKER_MISMATCH', released: [] })
    })

    it('a frame declaring more than maxFrameBytes is LIMIT_EXCEEDED before it is buffered', async () => {
      const o = await run('limit', (p, pub) => honest(p, pub), { maxFrameBytes: 64 })
      expect(o).toMatchObject({ code: 'LIMIT_EXCEEDED', released: [] })
    })

    it('a broker-side rewrite (purge and republish through the JetStream API) is refused; so is a deleted message', async () => {
      for (const how of ['rewrite', 'delete'] as const) {
        const pl = await testPipeline(nc, `broker-${how}`)
        drops.push(pl.drop)
        const t = rows(30)
        const sent = await publishSealed(
          nc,
          pl.subject,
          [0, 1, 2].map((i) => t.slice(i * 10, i * 10 + 10).batches[0]!),
          {
            signer: writer,
            recipients: { r: [alice.publicKey] },
            policy: { fields: { id: 'public', v: ['r'] } },
          },
        )
        const jsm = await jetstreamManager(nc)
        const { state } = await jsm.streams.info(pl.subjects.stream)
        const stored = []
        for (let seq = state.first_seq; seq <= state.last_seq; seq++) {
          const m = await jsm.streams.getMessage(pl.subjects.stream, { seq })
          if (m && m.subject === pl.subjects.frames(sent.streamId)) stored.push(m)
        }
        expect(stored).toHaveLength(4) // three batch frames and the end, one part each
        if (how === 'delete') {
          await jsm.streams.deleteMessage(pl.subjects.stream, stored[1]!.seq)
        } else {
          // The operator rewrites batch 1 in place: purge the stream's frames, put them back with one byte changed.
          await jsm.streams.purge(pl.subjects.stream, { filter: pl.subjects.frames(sent.streamId) })
          const js = jetstream(nc)
          for (const [i, m] of stored.entries()) {
            const data = i === 1 ? flip(m.data, Math.floor(m.data.length / 2)) : m.data
            const h = headers()
            for (const k of m.header.keys()) if (k !== 'Nats-Msg-Id') h.set(k, m.header.get(k))
            await js.publish(m.subject, data, { headers: h })
          }
        }
        const o = await readNext(nc, { subject: pl.subject, ...open })
        expect(o.code).toBe(how === 'delete' ? 'FRAME_OUT_OF_ORDER' : 'AUTH_FAILED')
        expect(o.released).toHaveLength(1)
      }
    })
  })
