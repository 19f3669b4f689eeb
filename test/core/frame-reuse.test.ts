/**
 * The streams reuse a frame's memory for the next frame (issue 12: fresh buffers cost more than copies on the
 * benchmark VM), so nothing a reader returns may refer to a frame's bytes. Public units are the ones at risk: they
 * are not decrypted, and when one starts on an 8-byte boundary the Arrow decoder needs no aligned copy of it.
 */
import { Table } from 'apache-arrow'
import { describe, expect, it } from 'vitest'
import { parseFrame } from '../../src/format/frame.js'
import { FrameSplitter } from '../../src/format/reader.js'
import { sealTable } from '../../src/index.js'
import { Opener } from '../../src/seal/opener.js'
import { sampleTable } from '../fixtures/tables.js'
import { id } from '../helpers/identities.js'
import { openStreamed, splitStream } from '../helpers/streams.js'

const writer = id('writer')
const auditor = id('auditor')
const recipients = { auditors: [auditor.publicKey] }
const policy = { fields: { id: 'public', amount: ['auditors'], email: ['auditors'] } } as const
const openOpts = { identity: auditor, trustedSigners: [writer.publicKey] }
const rowsOf = (t: Table) => t.toArray().map((r) => r.toJSON())

describe('batches never refer to the frame they came from', () => {
  it('a public unit on an 8-byte boundary is copied out: wiping the frame leaves the batch intact', async () => {
    const table = sampleTable(40, 2)
    const { header, frames } = splitStream(await sealTable(table, { signer: writer, recipients, policy }))
    const opener = await Opener.create(header, openOpts)
    const frame = frames[0]!.subarray(4)
    const parsed = parseFrame(frame, opener.header.groups.length, opener.header.stanzas.length)
    const publicId = opener.header.groups.findIndex((g) => g.commitment === null)
    expect(publicId).toBeGreaterThanOrEqual(0)
    // Place the frame so that the public unit's payload starts on an 8-byte boundary of its buffer.
    const at = parsed.units[publicId]!.payload.byteOffset - frame.byteOffset
    const shift = (8 - (at % 8)) % 8
    const buffer = new Uint8Array(frame.length + shift)
    buffer.set(frame, shift)
    const placed = buffer.subarray(shift)
    const result = await opener.openFrame(placed)
    if (result.type !== 'batch') throw new Error('expected a batch')
    const before = rowsOf(new Table([result.batch]))
    buffer.fill(0)
    expect(rowsOf(new Table([result.batch]))).toEqual(before)
    expect(before).toEqual(rowsOf(new Table([table.batches[0]!])))
  })

  it('OpenStream in small chunks (frames assembled in reused buffers) opens every batch intact', async () => {
    const table = sampleTable(120, 6)
    const sealed = await sealTable(table, { signer: writer, recipients, policy })
    expect(rowsOf(await openStreamed(sealed, openOpts, 997))).toEqual(rowsOf(table))
  })
})

describe('FrameSplitter buffer reuse', () => {
  it('reuses a recycled buffer for the next assembled frame and lends only its own buffers', async () => {
    const sealed = await sealTable(sampleTable(60, 3), { signer: writer, recipients, policy })
    const splitter = new FrameSplitter(1 << 24)
    const pieces = []
    for (let o = 0; o < sealed.length; o += 100) {
      for (const piece of splitter.push(sealed.slice(o, o + 100))) {
        pieces.push(piece)
        if (piece.type === 'frame') {
          expect(splitter.lendable(piece.bytes)).toBe(true)
          splitter.recycle(piece.bytes)
        }
      }
    }
    const frames = pieces.filter((p) => p.type === 'frame')
    expect(frames.length).toBeGreaterThan(2)
    // A frame no larger than a recycled buffer lands in that memory (the end frame at least does).
    expect(new Set(frames.map((f) => f.bytes.buffer)).size).toBeLessThan(frames.length)
    // A frame wholly inside the caller's chunk is a view of that chunk: never lent, never recycled.
    const whole = new FrameSplitter(1 << 24)
    for (const piece of whole.push(sealed)) {
      expect(whole.lendable(piece.bytes)).toBe(false)
      whole.recycle(piece.bytes)
    }
  })
})
