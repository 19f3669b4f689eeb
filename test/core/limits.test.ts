/** Property 9: bounded work on hostile input. Limits are enforced before memory is committed. */
import { Table, tableFromArrays } from 'apache-arrow'
import { describe, expect, it } from 'vitest'
import { ByteWriter } from '../../src/format/bytes.js'
import { HARD_LIMITS, MAGIC } from '../../src/format/constants.js'
import { FrameSplitter } from '../../src/format/reader.js'
import { OpenStream } from '../../src/stream/open-stream.js'
import { openTable, sealTable } from '../../src/table.js'
import { id } from '../helpers/identities.js'
import { codeOf, join, splitStream } from '../helpers/streams.js'

const writer = id('writer')
const reader = id('reader')
const opts = { identity: reader, trustedSigners: [writer.publicKey] }

async function sealed(): Promise<Uint8Array> {
  const t = new Table(tableFromArrays({ id: Int32Array.of(1, 2, 3) }).batches)
  return sealTable(t, { signer: writer, recipients: { r: [reader.publicKey] }, policy: { fields: { id: ['r'] } } })
}

describe('limits', () => {
  it('fails at once on a frame that declares 4 GiB, after only its length prefix', async () => {
    const { header } = splitStream(await sealed())
    const splitter = new FrameSplitter(HARD_LIMITS.maxFrameBytes)
    expect([...splitter.push(header)].length).toBe(1)
    expect(() => [...splitter.push(Uint8Array.of(0xff, 0xff, 0xff, 0xff))]).toThrow(/at most/)
    // Through the public streaming API, fed in small chunks: refused with LIMIT_EXCEEDED, nothing buffered.
    const bytes = join(header, Uint8Array.of(0xff, 0xff, 0xff, 0xfe))
    const input = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(bytes)
      },
    })
    const out = input.pipeThrough(new OpenStream(opts))
    expect(await codeOf(out.getReader().read())).toBe('LIMIT_EXCEEDED')
  })

  it('honours a lower maxFrameBytes chosen by the reader', async () => {
    const s = await sealed()
    const { frames } = splitStream(s)
    const biggest = Math.max(...frames.map((f) => f.length - 4))
    await openTable(s, { ...opts, maxFrameBytes: biggest })
    expect(await codeOf(openTable(s, { ...opts, maxFrameBytes: biggest - 1 }))).toBe('LIMIT_EXCEEDED')
    await expect(openTable(s, { ...opts, maxFrameBytes: HARD_LIMITS.maxFrameBytes + 1 })).rejects.toThrow(RangeError)
  })

  it('refuses an oversized header body before buffering it', () => {
    const prefix = new ByteWriter(15)
      .put(MAGIC)
      .u8(1)
      .u16(1)
      .u32(HARD_LIMITS.maxHeaderBytes + 1)
      .done()
    const splitter = new FrameSplitter(1024)
    expect(() => [...splitter.push(prefix)]).toThrow(expect.objectContaining({ code: 'LIMIT_EXCEEDED' }))
    const atLimit = new ByteWriter(15).put(MAGIC).u8(1).u16(1).u32(HARD_LIMITS.maxHeaderBytes).done()
    expect([...new FrameSplitter(1024).push(atLimit)]).toEqual([])
  })

  it('refuses a group count past its limit in the header', async () => {
    const s = await sealed()
    const { header } = splitStream(s)
    // group_count sits at offset 65 (see the worked example in docs/format.md).
    for (const [count, code] of [
      [HARD_LIMITS.maxGroups + 1, 'LIMIT_EXCEEDED'],
      [0xffff, 'LIMIT_EXCEEDED'],
    ] as const) {
      const m = header.slice()
      new DataView(m.buffer).setUint16(65, count)
      expect(await codeOf(openTable(join(m, s.subarray(header.length)), opts))).toBe(code)
    }
  })

  it('exposes hard limits that cannot be changed at run time', () => {
    expect(Object.isFrozen(HARD_LIMITS)).toBe(true)
    expect(() => {
      ;(HARD_LIMITS as { maxFrameBytes: number }).maxFrameBytes = 2 ** 40
    }).toThrow(TypeError)
  })
})
