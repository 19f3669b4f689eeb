/**
 * The rewrapper's uncopied frame path (issue 14 speed): a frame spread over chunks is gathered as views of them
 * (FrameSplitter.gather), parsed through a PartsReader, hashed part by part (digestParts), and must behave exactly
 * like the assembled frame of the plain splitter: same pieces, same parse, same errors, same digest, wherever the
 * chunk boundaries fall (every position inside a frame, and random chunkings).
 */
import { createHash } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { digestParts } from '../../src/aead/parts.js'
import { ArrowSealError } from '../../src/errors.js'
import { ByteReader, concatAll } from '../../src/format/bytes.js'
import { parseChain } from '../../src/format/chain.js'
import { type FrameLayout, readFrameLayout } from '../../src/format/frame.js'
import { leadingParts, PartsReader } from '../../src/format/parts-reader.js'
import { FrameSplitter } from '../../src/format/reader.js'
import { allBackends } from '../aead/helpers.js'
import { propertyRuns } from '../helpers/property-runs.js'
import { splitStream } from '../helpers/streams.js'
import { sealed } from './helpers.js'

/** Cuts `bytes` at the given offsets (sorted, deduplicated, inside the buffer). */
function cut(bytes: Uint8Array, at: readonly number[]): Uint8Array[] {
  const points = [...new Set(at.filter((p) => p > 0 && p < bytes.length))].sort((a, b) => a - b)
  const out: Uint8Array[] = []
  let o = 0
  for (const p of [...points, bytes.length]) {
    out.push(bytes.subarray(o, p))
    o = p
  }
  return out
}

/** Every piece of `chunks` through a gathering splitter: the header, then each frame joined from its parts. */
function gathered(chunks: readonly Uint8Array[]): { header: Uint8Array; frames: Uint8Array[]; partCounts: number[] } {
  const s = new FrameSplitter(2 ** 30)
  let header = new Uint8Array(0)
  const frames: Uint8Array[] = []
  const partCounts: number[] = []
  for (const c of chunks)
    for (const piece of s.gather(c)) {
      if (piece.type === 'header') header = piece.bytes.slice()
      else {
        frames.push(concatAll(piece.parts))
        partCounts.push(piece.parts.length)
      }
    }
  return { header, frames, partCounts }
}

/** Byte-for-byte equality of two lists of byte arrays (fast: toEqual compares element by element). */
const same = (a: readonly Uint8Array[], b: readonly Uint8Array[]) =>
  a.length === b.length && a.every((x, i) => Buffer.from(x).equals(b[i]!))

/** A comparable form of a layout or of the error reading it gave. */
function outcome(read: () => FrameLayout): unknown {
  try {
    const f = read()
    return { ...f, macs: f.macs.map((m) => [...m]), signature: f.signature && [...f.signature] }
  } catch (e) {
    if (e instanceof ArrowSealError) return { code: e.code, message: e.message }
    throw e
  }
}

const stream = await sealed()
const { header, frames } = splitStream(stream)
const chain = parseChain(header)
const GROUPS = chain.root.groups.length
const MACS = chain.active.length
/** The frames without their length fields, as the splitter yields them. */
const bodies = frames.map((f) => f.subarray(4))

describe('FrameSplitter.gather', () => {
  it('yields the same header and frames as push for a cut at every position of the stream', () => {
    const plain = gathered([stream])
    expect(plain.frames).toEqual(bodies)
    expect(plain.partCounts.every((n) => n === 1)).toBe(true)
    // Every cut from just inside the header's end to the last byte: each frame is cut at each of its positions.
    for (let p = header.length - 16; p < stream.length; p++) {
      const got = gathered(cut(stream, [p]))
      if (!same([got.header, ...got.frames], [header, ...bodies])) expect.fail(`a cut at ${p} changed the pieces`)
    }
  })

  it('yields the same frames for random chunkings, and holds a spread frame as views, not a copy', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 40 }), (at) => {
        const chunks = cut(stream, at)
        const got = gathered(chunks)
        expect(same([got.header, ...got.frames], [header, ...bodies])).toBe(true)
      }),
      { numRuns: propertyRuns(300) },
    )
    // The frame that starts in the first chunk and ends in the second is two views of the caller's buffer.
    const mid = header.length + 4 + Math.floor(bodies[0]!.length / 2)
    const s = new FrameSplitter(2 ** 30)
    const pieces = [...s.gather(stream.subarray(0, mid)), ...s.gather(stream.subarray(mid))]
    const first = pieces.find((p) => p.type === 'parts')
    expect(first?.type === 'parts' && first.parts.map((v) => v.buffer === stream.buffer)).toEqual([true, true])
  })

  it('assembles a frame that arrives in more than 1024 chunks, instead of holding an unbounded list of views', () => {
    const big = concatAll([new Uint8Array([0, 0, 0x0b, 0xb8]), new Uint8Array(3000).fill(7)])
    const s = new FrameSplitter(2 ** 30)
    // Past the header stage: feed a minimal header first (its prefix says how long it is).
    const got: Uint8Array[][] = []
    for (const c of [
      header,
      ...cut(
        big,
        Array.from({ length: 2999 }, (_, i) => i + 1),
      ),
    ])
      for (const piece of s.gather(c)) if (piece.type === 'parts') got.push([...piece.parts])
    expect(got).toHaveLength(1)
    expect(got[0]).toHaveLength(1)
    expect(got[0]![0]).toEqual(big.subarray(4))
  })

  it('refuses a stream cut inside a gathered frame as TRUNCATED', () => {
    const s = new FrameSplitter(2 ** 30)
    Array.from(s.gather(stream.subarray(0, header.length + 10)))
    expect(() => s.close()).toThrow(expect.objectContaining({ code: 'TRUNCATED' }))
  })
})

describe('PartsReader and readFrameLayout', () => {
  it('reads every frame alike from one buffer and from two views cut at every position', () => {
    for (const body of bodies) {
      const whole = outcome(() => readFrameLayout(new ByteReader(body, 'frame'), GROUPS, MACS, false))
      for (let p = 0; p <= body.length; p++) {
        const parts = [body.subarray(0, p), body.subarray(p)]
        expect(outcome(() => readFrameLayout(new PartsReader(parts, 'frame'), GROUPS, MACS, false))).toEqual(whole)
      }
    }
  })

  it('gives the same result or the same typed error for mutated frames under random chunkings', () => {
    const body = bodies[0]!
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(body.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        fc.integer({ min: -40, max: 40 }),
        fc.array(fc.nat(body.length + 40), { maxLength: 12 }),
        fc.constantFrom(0, MACS, MACS + 1),
        fc.boolean(),
        (edits, grow, at, macs, signed) => {
          const changed = new Uint8Array(Math.max(0, body.length + grow))
          changed.set(body.subarray(0, changed.length))
          for (const [i, v] of edits) if (i < changed.length) changed[i] = v
          const whole = outcome(() => readFrameLayout(new ByteReader(changed, 'frame'), GROUPS, macs, signed))
          const parts = cut(changed, at)
          expect(outcome(() => readFrameLayout(new PartsReader(parts, 'frame'), GROUPS, macs, signed))).toEqual(whole)
        },
      ),
      { numRuns: propertyRuns(500) },
    )
  })

  it('leadingParts takes exactly the first n bytes, as views', () => {
    const parts = [Uint8Array.of(1, 2), new Uint8Array(0), Uint8Array.of(3, 4, 5)]
    for (let n = 0; n <= 5; n++) expect([...concatAll(leadingParts(parts, n))]).toEqual([1, 2, 3, 4, 5].slice(0, n))
    expect(leadingParts(parts, 3)[1]!.buffer).toBe(parts[2]!.buffer)
  })
})

describe('digestParts', () => {
  it('equals SHA-256 of the joined parts on every backend, and checks its argument', async () => {
    const data = Uint8Array.from({ length: 5000 }, (_, i) => (i * 7) & 0xff)
    const want = createHash('sha256').update(data).digest()
    for (const backend of allBackends()) {
      for (const at of [[], [1], [4999], [64, 65, 3000]]) {
        expect(Buffer.from(await digestParts(backend, cut(data, at)))).toEqual(want)
      }
      expect(Buffer.from(await digestParts(backend, []))).toEqual(createHash('sha256').digest())
      if (backend.sha256Parts) {
        await expect(backend.sha256Parts(['x' as unknown as Uint8Array])).rejects.toThrow(TypeError)
        await expect(backend.sha256Parts('x' as unknown as Uint8Array[])).rejects.toThrow(TypeError)
      }
    }
  })
})
