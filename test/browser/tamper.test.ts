/**
 * Tamper refusal in Chromium (properties 3, 5, 8): flipped bits in frames and header, truncation, reordering,
 * splicing and trailing bytes all end in the right ArrowSealError code, and nothing from a changed frame is
 * released.
 */
import { Table } from 'apache-arrow'
import { ArrowSealError, openTable, sealTable } from 'arrowseal'
import { describe, expect, it } from 'vitest'
import { Opener } from '../../src/seal/opener.js'
import { tiny, writer } from '../fuzz/corpus.js'
import { id } from '../helpers/identities.js'
import { codeOf, join, splitStream } from '../helpers/streams.js'

const reader = id('reader')
const opts = { identity: reader, trustedSigners: [writer.publicKey] }

async function sealed(): Promise<Uint8Array> {
  const t = tiny()
  return sealTable(new Table([...t.batches, ...t.batches]), {
    signer: writer,
    recipients: { r: [reader.publicKey] },
    policy: { fields: { id: ['r'] } },
  })
}

describe('tamper refusal in the browser', () => {
  it('refuses every single-bit flip of the first frame, releasing nothing', async () => {
    const { header, frames } = splitStream(await sealed())
    const opener = await Opener.create(header, opts)
    const body = frames[0]!.subarray(4)
    for (let bit = 0; bit < body.length * 8; bit++) {
      const m = body.slice()
      m[bit >> 3]! ^= 1 << (bit & 7)
      let err: unknown
      try {
        await opener.openFrame(m)
      } catch (e) {
        err = e
      }
      if (!(err instanceof ArrowSealError)) throw new Error(`bit ${bit}: not refused with ArrowSealError`)
    }
    // The refused frames did not advance the opener: the genuine frame still opens.
    expect((await opener.openFrame(body)).type).toBe('batch')
  })

  it('refuses a flipped bit in every 97th header byte', async () => {
    const s = await sealed()
    const { header } = splitStream(s)
    for (let i = 0; i < header.length; i += 97) {
      const m = s.slice()
      m[i]! ^= 1 << (i & 7)
      expect(await codeOf(openTable(m, opts)), `byte ${i}`).not.toBe('RESOLVED')
    }
  })

  it('refuses truncation, reordering, splicing and trailing data with their codes', async () => {
    const s1 = await sealed()
    const s2 = await sealed()
    const one = splitStream(s1)
    const two = splitStream(s2)
    const [f0, f1, end] = one.frames as [Uint8Array, Uint8Array, Uint8Array]
    expect(await codeOf(openTable(join(one.header, f0, f1), opts))).toBe('TRUNCATED')
    expect(await codeOf(openTable(join(one.header, f1, f0, end), opts))).toBe('FRAME_OUT_OF_ORDER')
    expect(await codeOf(openTable(join(one.header, two.frames[0]!, f1, end), opts))).toBe('AUTH_FAILED')
    expect(await codeOf(openTable(join(s1, Uint8Array.of(0)), opts))).toBe('TRAILING_DATA')
    expect(await codeOf(openTable(s1, { ...opts, trustedSigners: [reader.publicKey] }))).toBe('SIGNER_UNTRUSTED')
    expect(await codeOf(openTable(s1, { identity: id('eve'), trustedSigners: [writer.publicKey] }))).toBe(
      'NOT_A_RECIPIENT',
    )
  })
})
