/**
 * Property 3, 5 and 8: any change to a sealed stream is refused with an ArrowSealError, and nothing from a
 * changed frame is released. Frames are flipped at every bit; the header at every byte (one bit per byte,
 * rotating through bit positions) because each header trial costs a full hybrid signature check. The fuzz
 * script (`npm run fuzz -- --header-bits`) covers every header bit in long runs.
 */
import { Table, Utf8, vectorFromArray } from 'apache-arrow'
import { describe, expect, it } from 'vitest'
import { ArrowSealError } from '../../src/errors.js'
import { Opener } from '../../src/seal/opener.js'
import { openTable, sealTable } from '../../src/table.js'
import { id } from '../helpers/identities.js'
import { splitStream } from '../helpers/streams.js'

const writer = id('writer')
const reader = id('reader')
const opts = { identity: reader, trustedSigners: [writer.publicKey] }

async function small(): Promise<Uint8Array> {
  const t = new Table({ id: vectorFromArray(Int32Array.of(1, 2)), email: vectorFromArray(['a@x', 'b@y'], new Utf8()) })
  const two = new Table([...t.batches, ...t.batches])
  return sealTable(two, {
    signer: writer,
    recipients: { r: [reader.publicKey] },
    policy: { fields: { id: 'public', email: ['r'] } },
  })
}

describe('tampering', () => {
  it('refuses every single-bit flip in every frame, releasing nothing', async () => {
    const sealed = await small()
    const { header, frames } = splitStream(sealed)
    expect(frames.length).toBe(3)
    for (const [f, frame] of frames.entries()) {
      // One opener, advanced past the frames before f: a refused frame does not advance it.
      const opener = await Opener.create(header, opts)
      for (let k = 0; k < f; k++) await opener.openFrame(frames[k]!.subarray(4))
      const body = frame.subarray(4)
      for (let bit = 0; bit < body.length * 8; bit++) {
        const mutated = body.slice()
        mutated[bit >> 3]! ^= 1 << (bit & 7)
        let err: unknown
        try {
          await opener.openFrame(mutated)
        } catch (e) {
          err = e
        }
        if (!(err instanceof ArrowSealError))
          throw new Error(`frame ${f} bit ${bit}: not refused with ArrowSealError (${String(err)})`)
      }
      // The length prefix: a changed length misaligns the frame and is refused too.
      for (let bit = 0; bit < 32; bit++) {
        const mutated = sealed.slice()
        const at = header.length + frames.slice(0, f).reduce((n, x) => n + x.length, 0)
        mutated[at + (bit >> 3)]! ^= 1 << (bit & 7)
        await expect(openTable(mutated, opts)).rejects.toBeInstanceOf(ArrowSealError)
      }
    }
  })

  it('refuses a flipped bit at every byte of the header', async () => {
    const sealed = await small()
    const { header } = splitStream(sealed)
    for (let i = 0; i < header.length; i++) {
      const mutated = sealed.slice()
      mutated[i]! ^= 1 << (i & 7)
      let err: unknown
      try {
        await openTable(mutated, opts)
      } catch (e) {
        err = e
      }
      if (!(err instanceof ArrowSealError))
        throw new Error(`header byte ${i}: not refused with ArrowSealError (${String(err)})`)
    }
  }, 300_000)
})
