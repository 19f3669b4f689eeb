/**
 * Issue 19, item 5: an honest writer was quadratic in the chunks of a dictionary column. arrow-js's dictionary
 * builder gives chunk k a dictionary of k chunks, and every self-contained unit re-sent all of them (one initial
 * batch and k − 1 deltas), so 8,000 chunks cost 32 million dictionary messages. Counted, not timed: the
 * dictionary batches written and the bytes sealed must grow linearly with the number of chunks.
 */
import { Dictionary, Int32, makeBuilder, RecordBatchStreamWriter, Table, Utf8, Vector } from 'apache-arrow'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { openTable, SealStream, sealTable } from '../../src/index.js'
import { id } from '../helpers/identities.js'
import { join, readAll } from '../helpers/streams.js'

const writer = id('writer')
const reader = id('analyst')
const options = (compression: 'none' | 'deflate') =>
  ({
    signer: writer,
    recipients: { r: [reader.publicKey] },
    policy: { fields: { c: ['r'], p: 'public' } },
    compression,
  }) as const

/** `chunks` batches built the way arrow-js's builder flushes them; each uses every value, so none is trimmed. */
function chunkedTable(chunks: number): Table {
  const b = makeBuilder({ type: new Dictionary(new Utf8(), new Int32()) })
  const data = []
  for (let i = 0; i < chunks; i++) {
    for (const v of ['alpha', 'bravo', 'charlie', 'delta']) b.append(v)
    data.push(b.flush())
  }
  const column = new Vector(data)
  return new Table({ c: column, p: column })
}

/** Dictionary batches arrow-js's writer emits while `fn` runs (every unit of every group). */
async function dictionaryBatchesWritten(fn: () => Promise<unknown>): Promise<number> {
  const proto = RecordBatchStreamWriter.prototype as unknown as Record<string, (...a: unknown[]) => unknown>
  const spy = vi.spyOn(proto, '_writeDictionaryBatch')
  try {
    await fn()
    return spy.mock.calls.length
  } finally {
    spy.mockRestore()
  }
}

afterEach(() => {
  vi.restoreAllMocks()
})

describe('dictionary columns of many chunks', () => {
  it.each(['none', 'deflate'] as const)('sealTable writes work linear in the chunks (%s)', async (compression) => {
    const sizes: number[] = []
    for (const n of [40, 160]) {
      const t = chunkedTable(n)
      let sealed = new Uint8Array()
      const written = await dictionaryBatchesWritten(async () => {
        sealed = await sealTable(t, options(compression))
      })
      // One dictionary batch per unit: two groups (public and sealed) per batch. Before: n (n + 1) per group.
      expect(written).toBe(2 * n)
      sizes.push(sealed.length)
      const opened = await openTable(sealed, { identity: reader, trustedSigners: [writer.publicKey] })
      expect(opened.getChild('c')!.toArray()).toEqual(t.getChild('c')!.toArray())
    }
    // Four times the chunks, four times the bytes (plus the fixed header): quadratic growth would be sixteen.
    expect(sizes[1]! / sizes[0]!).toBeLessThan(4.2)
  })

  it('SealStream too: one dictionary batch per unit', async () => {
    const t = chunkedTable(100)
    const written = await dictionaryBatchesWritten(async () => {
      const input = new ReadableStream({
        start(c) {
          for (const b of t.batches) c.enqueue(b)
          c.close()
        },
      })
      const sealed = join(...(await readAll(input.pipeThrough(new SealStream(options('deflate'))))))
      const opened = await openTable(sealed, { identity: reader, trustedSigners: [writer.publicKey] })
      expect(opened.getChild('p')!.toArray()).toEqual(t.getChild('p')!.toArray())
    })
    expect(written).toBe(2 * 100)
  })
})
