/**
 * rewrapStream over any chunking writes the same bytes as the previous, assembling path (each frame copied into
 * one buffer, then rewrapped) and as `rewrap` of the whole buffer, with the same randomness: the uncopied path
 * (issue 14 speed) changes no byte. A tampered frame is refused wherever the chunks are cut, and none of its bytes
 * is passed on.
 */
import { Table } from 'apache-arrow'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { concatAll } from '../../src/format/bytes.js'
import { parseChain } from '../../src/format/chain.js'
import { parseFrame } from '../../src/format/frame.js'
import { FrameSplitter } from '../../src/format/reader.js'
import { rewrapStreamWith, rewrapWith } from '../../src/lifecycle/rewrap.js'
import type { RewrapOptions } from '../../src/lifecycle/rewrap-options.js'
import { Rewrapper } from '../../src/lifecycle/rewrapper.js'
import { nodeRuntime } from '../../src/node/runtime.js'
import { type Runtime, webRuntime } from '../../src/seal/runtime.js'
import { sealTable } from '../../src/table.js'
import { seededRandom } from '../helpers/identities.js'
import { propertyRuns } from '../helpers/property-runs.js'
import { splitStream } from '../helpers/streams.js'
import { alice, bob, chunked, drain, policy, steward, stewardChange, table, writer } from './helpers.js'

const options: RewrapOptions = stewardChange
const input = await sealTable(new Table([...table.batches, ...table.batches, ...table.batches]), {
  signer: writer,
  recipients: { stewards: [steward.publicKey], analysts: [alice.publicKey], support: [bob.publicKey] },
  policy,
})
const SEED = 1414

/** The path before gathering: every frame assembled into one buffer by the plain splitter, then rewrapped. */
async function assembledPath(bytes: Uint8Array, runtime: Runtime): Promise<Uint8Array> {
  const splitter = new FrameSplitter(2 ** 30)
  const out: Uint8Array[] = []
  let rewrapper: Rewrapper | undefined
  for (const piece of splitter.push(bytes.slice())) {
    if (piece.type === 'header') {
      const made = await Rewrapper.create(piece.bytes.slice(), options, seededRandom(SEED), runtime)
      rewrapper = made.rewrapper
      out.push(made.header)
    } else {
      out.push(...(await rewrapper!.frame([piece.bytes.slice()])))
      if (rewrapper!.ended) splitter.markEnded()
    }
  }
  splitter.close()
  return concatAll(out)
}

const cuts = fc.array(fc.integer({ min: 1, max: input.length - 1 }), { maxLength: 30 })

describe('rewrapStream over gathered frames', () => {
  for (const runtime of [webRuntime, nodeRuntime]) {
    it(`writes the bytes of the assembling path and of rewrap, for random chunkings (${runtime.name})`, async () => {
      const reference = await assembledPath(input, runtime)
      expect(await rewrapWith(input, options, seededRandom(SEED), runtime)).toEqual(reference)
      await fc.assert(
        fc.asyncProperty(cuts, async (at) => {
          const got = await drain(rewrapStreamWith(chunked(input, at), options, seededRandom(SEED), runtime))
          expect(got.end).toBe('RESOLVED')
          expect(got.bytes).toEqual(reference)
        }),
        { numRuns: propertyRuns(15) },
      )
    }, 240_000)
  }

  it('refuses a frame with one changed body byte wherever the chunks fall, passing on none of its bytes', async () => {
    const reference = await assembledPath(input, nodeRuntime)
    const { header, frames } = splitStream(input)
    const outFrames = splitStream(reference)
    // Frame 1 (the second batch) is changed: the output may hold the new header and frame 0, and nothing more.
    const before = outFrames.header.length + outFrames.frames[0]!.length
    // A byte inside a unit payload: structure intact, so only the rewrapper's MAC check can catch it.
    const chain = parseChain(header)
    const units = parseFrame(frames[1]!.subarray(4), chain.root.groups.length, chain.active.length).units
    const at1 = header.length + frames[0]!.length + 4
    const places = units.map((u) => u.payload.byteOffset - frames[1]!.byteOffset - 4)
    const unitAt = fc
      .nat(units.length - 1)
      .chain((u) => fc.nat(units[u]!.payload.length - 1).map((o) => places[u]! + o))
    await fc.assert(
      fc.asyncProperty(cuts, unitAt, async (at, offset) => {
        const bad = input.slice()
        bad[at1 + offset]! ^= 1
        const got = await drain(rewrapStreamWith(chunked(bad, at), options, seededRandom(SEED), nodeRuntime))
        expect(got.end).toBe('AUTH_FAILED')
        expect(got.bytes).toEqual(reference.subarray(0, got.bytes.length))
        expect(got.bytes.length).toBeLessThanOrEqual(before)
      }),
      { numRuns: propertyRuns(15) },
    )
  }, 240_000)
})
