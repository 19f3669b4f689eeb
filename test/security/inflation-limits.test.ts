/**
 * Issue 19, item 4 (first bullet): a reader bounds the bytes it inflates per frame and per stream, not only per
 * unit, and refuses on the units' authenticated sizes before it allocates for any of them. The reviewer's case:
 * four deflate units of 240 MiB each, every one under `maxFrameBytes`, in well under 1 MB of input.
 */
import { makeVector, type RecordBatch, Table } from 'apache-arrow'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ArrowSealError } from '../../src/errors.js'
import { OpenStream as NodeOpenStream, WorkerPool } from '../../src/index.node.js'
import { checkOpenOptions, DEFAULT_MAX_INFLATED_TABLE_BYTES, type OpenOptions } from '../../src/seal/options.js'
import { OpenStream } from '../../src/stream/open-stream.js'
import { openTable } from '../../src/table.js'
import {
  installAllocationGuard,
  largestAllocation,
  removeAllocationGuard,
  resetAllocationRecord,
} from '../fuzz/alloc-guard.js'
import { id } from '../helpers/identities.js'
import { join } from '../helpers/streams.js'
import { deflated, type Forger, forger } from './forge.js'

const writer = id('writer')
const reader = id('analyst')
const MiB = 1024 * 1024
/** Rows per column: an Int32 column of this many zeros is a unit of about 160 KiB that deflates to under 1 KiB. */
const ROWS = 40_000
/** Under any unit's inflated size, over anything else the reader allocates for these streams (header copies…). */
const UNIT_ALLOC = 100 * 1024

function table(batches: number): Table {
  const col = () => makeVector(new Int32Array(ROWS * batches))
  const t = new Table({ a: col(), b: col(), c: col(), d: col() })
  // Cut into `batches` batches of ROWS rows.
  const out: RecordBatch[] = []
  for (let i = 0; i < batches; i++) out.push(...t.slice(i * ROWS, (i + 1) * ROWS).batches)
  return new Table(out)
}

const sealOptions = {
  signer: writer,
  recipients: { ra: [reader.publicKey], rb: [reader.publicKey], rc: [reader.publicKey], rd: [reader.publicKey] },
  policy: { fields: { a: ['ra'], b: ['rb'], c: ['rc'], d: ['rd'] } },
  compression: 'deflate',
} as const
const base: OpenOptions = { identity: reader, trustedSigners: [writer.publicKey] }

let forge: Forger
/** The honest units of one batch, and the bytes they inflate to together. */
let honest: Awaited<ReturnType<Forger['honest']>>
let perFrame = 0
let pool: WorkerPool

beforeAll(async () => {
  pool = await WorkerPool.start(2)
  const t = table(1)
  forge = await forger(t.schema, sealOptions)
  honest = await forge.honest(t.batches[0]!)
  for (const u of honest) perFrame += new DataView(u.plain.buffer, u.plain.byteOffset).getUint32(0)
  installAllocationGuard()
})
afterAll(() => {
  removeAllocationGuard()
  pool.close()
})

/** A stream of `frames` copies of the honest frame. */
function stream(frames: number): Uint8Array {
  const parts = [forge.header]
  for (let i = 0; i < frames; i++) parts.push(forge.frame(i, ROWS, honest))
  return join(...parts, forge.end(frames))
}

type Way = 'openTable' | 'OpenStream' | 'OpenStream, 2 workers'
const ways: Way[] = ['openTable', 'OpenStream', 'OpenStream, 2 workers']

/** Opens `bytes` one way; returns the batches released and the error (code and message), if any. */
async function open(bytes: Uint8Array, options: OpenOptions, way: Way): Promise<{ batches: number; error?: string }> {
  const source = () =>
    new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(bytes)
        c.close()
      },
    })
  let batches = 0
  try {
    if (way === 'openTable') batches = (await openTable(bytes, options)).batches.length
    else {
      const s = way === 'OpenStream' ? new OpenStream(options) : new NodeOpenStream({ ...options, workers: pool })
      const reader = source().pipeThrough(s).getReader()
      for (;;) {
        const { done } = await reader.read()
        if (done) break
        batches++
      }
    }
    return { batches }
  } catch (err) {
    if (!(err instanceof ArrowSealError)) throw err
    return { batches, error: `${err.code}: ${err.message}` }
  }
}

describe('inflated bytes per frame', () => {
  it.each(ways)("refuses the reviewer's four 240 MiB units (< 1 MB) before allocating them (%s)", async (way) => {
    const bomb = honest.map(() => deflated(new Uint8Array(64), 240 * MiB))
    const bytes = join(forge.header, forge.frame(0, ROWS, bomb), forge.end(1))
    expect(bytes.length).toBeLessThan(1_000_000)
    // Each unit alone is under the default maxFrameBytes (256 MiB): only the frame's total is over.
    resetAllocationRecord()
    const out = await open(bytes, base, way)
    expect(out.error).toMatch(/^LIMIT_EXCEEDED: .*maxInflatedFrameBytes/)
    expect(out.batches).toBe(0)
    expect(largestAllocation()).toBeLessThan(MiB)
  })

  it.each(ways)('opens a frame at the limit and refuses one byte less, before allocating (%s)', async (way) => {
    const bytes = stream(1)
    resetAllocationRecord()
    expect(await open(bytes, { ...base, maxInflatedFrameBytes: perFrame }, way)).toEqual({ batches: 1 })
    // The guard sees the inflation buffers (in this thread), so the assertion below can fail.
    if (way !== 'OpenStream, 2 workers') expect(largestAllocation()).toBeGreaterThan(UNIT_ALLOC)
    resetAllocationRecord()
    const out = await open(bytes, { ...base, maxInflatedFrameBytes: perFrame - 1 }, way)
    expect(out.error).toMatch(/^LIMIT_EXCEEDED: .*maxInflatedFrameBytes/)
    expect(largestAllocation()).toBeLessThan(UNIT_ALLOC)
  })
})

describe('inflated bytes per stream', () => {
  it.each(ways)('releases the frames within maxInflatedStreamBytes and refuses the next one (%s)', async (way) => {
    const bytes = stream(4)
    expect(await open(bytes, { ...base, maxInflatedStreamBytes: 4 * perFrame }, way)).toEqual({ batches: 4 })
    const out = await open(bytes, { ...base, maxInflatedStreamBytes: 3 * perFrame - 1 }, way)
    // Refused by the crypto phase, before inflating the frame ("left of"), not only counted after it.
    expect(out.error).toMatch(/^LIMIT_EXCEEDED: .*more than is left of this reader's maxInflatedStreamBytes/)
    // Exactly what the in-order reader releases: two frames fit, the third does not (openTable releases none).
    // With two workers, frames are dispatched ahead until the reserve would cross the limit.
    expect(out.batches).toBe(way === 'openTable' ? 0 : 2)
  })

  it('defaults: maxFrameBytes per frame; 4 GiB per stream for openTable, none for OpenStream', () => {
    expect(checkOpenOptions(base).limits).toEqual({
      maxInflatedFrameBytes: 256 * MiB,
      maxInflatedStreamBytes: Number.POSITIVE_INFINITY,
      maxDictionaryDeltas: 10_000,
    })
    expect(checkOpenOptions({ ...base, maxFrameBytes: MiB }).limits.maxInflatedFrameBytes).toBe(MiB)
    expect(checkOpenOptions(base, DEFAULT_MAX_INFLATED_TABLE_BYTES).limits.maxInflatedStreamBytes).toBe(4 * 1024 * MiB)
  })

  it('refuses limits that are not integers in range as caller misuse (RangeError)', () => {
    for (const maxInflatedFrameBytes of [0, -1, 1.5, Number.NaN, 1024 * MiB + 1, Number.POSITIVE_INFINITY, '1'])
      expect(() => checkOpenOptions({ ...base, maxInflatedFrameBytes } as never)).toThrow(RangeError)
    for (const maxInflatedStreamBytes of [0, -1, 1.5, Number.NaN, 2 ** 53, '1'])
      expect(() => checkOpenOptions({ ...base, maxInflatedStreamBytes } as never)).toThrow(RangeError)
    for (const maxDictionaryDeltas of [-1, 0.5, Number.NaN, '5'])
      expect(() => checkOpenOptions({ ...base, maxDictionaryDeltas } as never)).toThrow(RangeError)
    expect(checkOpenOptions({ ...base, maxInflatedStreamBytes: Number.POSITIVE_INFINITY }).limits).toBeDefined()
    expect(checkOpenOptions({ ...base, maxDictionaryDeltas: 0 }).limits.maxDictionaryDeltas).toBe(0)
  })
})

describe('the order of the check', () => {
  it('sums the authenticated sizes of all units before inflating any', async () => {
    // Four honest units, then one unit declaring more than is left: refused with nothing inflated (no buffer of
    // a unit's size was allocated), although the first units alone fit.
    const units = [...honest.slice(0, 3), deflated(new Uint8Array(64), 256 * MiB - 3 * 1024)]
    const bytes = join(forge.header, forge.frame(0, ROWS, units), forge.end(1))
    resetAllocationRecord()
    const out = await open(bytes, base, 'openTable')
    expect(out.error).toMatch(/^LIMIT_EXCEEDED/)
    expect(largestAllocation()).toBeLessThan(UNIT_ALLOC)
  })
})
