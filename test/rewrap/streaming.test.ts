/**
 * rewrapStream holds bounded memory (issue 14 acceptance): over a synthetic stream of many frames, the bytes it
 * has read from its source but not yet handed on never exceed a few frames, however long the stream. Counted in
 * bytes, not timed. The output opens for the new reader.
 */
import { type RecordBatch, tableFromArrays } from 'apache-arrow'
import { describe, expect, it } from 'vitest'
import { rewrapStream } from '../../src/lifecycle/rewrap.js'
import { OpenStream } from '../../src/stream/open-stream.js'
import { SealStream } from '../../src/stream/seal-stream.js'
import { readAll } from '../helpers/streams.js'
import { alice, bob, carol, policy, steward, writer } from './helpers.js'

const ROWS = 8192
const BATCHES = 120

/** Batches made on demand, so the whole input never exists at once. */
function batches(): ReadableStream<RecordBatch> {
  let i = 0
  return new ReadableStream<RecordBatch>(
    {
      pull(c) {
        if (i === BATCHES) return c.close()
        const amount = new Float64Array(ROWS).map((_, r) => i * ROWS + r)
        const t = tableFromArrays({
          id: Int32Array.from({ length: ROWS }, (_, r) => r),
          amount,
          email: new Int32Array(ROWS),
        })
        c.enqueue(t.batches[0]!)
        i++
      },
    },
    { highWaterMark: 0 },
  )
}

describe('rewrapStream', () => {
  it('holds no more than a few frames of a long stream, and its output opens', async () => {
    const sealedBytes = batches().pipeThrough(
      new SealStream({
        signer: writer,
        recipients: { stewards: [steward.publicKey], analysts: [alice.publicKey], support: [bob.publicKey] },
        policy,
      }),
    )
    let read = 0
    let largest = 0
    const counted = sealedBytes.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, c) {
          largest = Math.max(largest, chunk.length)
          c.enqueue(chunk)
        },
      }),
    )
    const source = counted.getReader()
    const measured = new ReadableStream<Uint8Array>(
      {
        async pull(c) {
          const { value, done } = await source.read()
          if (done) return c.close()
          read += value.length
          c.enqueue(value)
        },
      },
      { highWaterMark: 0 },
    )
    const out = rewrapStream(measured, {
      identity: steward,
      signer: steward,
      trustedSigners: [writer.publicKey],
      policy,
      add: { analysts: [carol.publicKey] },
      remove: [alice.publicKey],
    })
    let emitted = 0
    let held = 0
    let headerGrowth: number | null = null
    const parts: Uint8Array[] = []
    const reader = out.getReader()
    for (;;) {
      const { value, done } = await reader.read()
      if (done) break
      // The first piece out is the new header, larger than the old one by the embedded previous header and more.
      if (headerGrowth === null) headerGrowth = value.length - (read - 0)
      emitted += value.length
      held = Math.max(held, read - (emitted - headerGrowth))
      parts.push(value)
    }
    expect(read).toBeGreaterThan(50 * largest)
    // Read but not yet handed on: at most the piece being assembled plus one chunk (the MAC count is unchanged).
    expect(held).toBeLessThanOrEqual(2 * largest)
    const opener = new OpenStream({ identity: carol, trustedSigners: [writer.publicKey, steward.publicKey] })
    const input = new ReadableStream<Uint8Array>({
      start(c) {
        for (const p of parts) c.enqueue(p)
        c.close()
      },
    })
    const got = await readAll(input.pipeThrough(opener))
    expect(got.reduce((n, b) => n + b.numRows, 0)).toBe(ROWS * BATCHES)
    expect((await opener.rewrappers).map((k) => k.keyId)).toEqual([steward.publicKeyObject.keyId])
  }, 240_000)
})
