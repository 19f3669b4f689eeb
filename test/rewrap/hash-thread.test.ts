/**
 * The streaming rewrap's frame-hashing thread (Node, issue 14): the same bytes as the one-thread path for any
 * chunking; a tampered frame anywhere ends the stream with AUTH_FAILED after the frames before it, in order, and
 * nothing of it or of a later frame; a failed or terminated thread is a typed error; the process still exits.
 */
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { Table, tableFromArrays } from 'apache-arrow'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { rewrapStreamWith } from '../../src/lifecycle/rewrap.js'
import { HASH_THREAD_MIN_BYTES } from '../../src/lifecycle/rewrap-pass.js'
import { startTestFrameHasher } from '../../src/node/frame-hasher.js'
import { nodeRuntime } from '../../src/node/runtime.js'
import { sealTable } from '../../src/table.js'
import { seededRandom } from '../helpers/identities.js'
import { propertyRuns } from '../helpers/property-runs.js'
import { splitStream } from '../helpers/streams.js'
import { alice, bob, chunked, countingRuntime, drain, policy, steward, stewardChange, writer } from './helpers.js'

const ROWS = 70_000
const one = tableFromArrays({
  id: Int32Array.from({ length: ROWS }, (_, i) => i),
  amount: Float64Array.from({ length: ROWS }, (_, i) => i / 7),
  email: Array.from({ length: ROWS }, (_, i) => `user${i}@example.org`),
}).batches
/** Five frames of more than 1 MiB each: large enough for the thread. */
const input = await sealTable(new Table([0, 1, 2, 3, 4].flatMap(() => one)), {
  signer: writer,
  recipients: { stewards: [steward.publicKey], analysts: [alice.publicKey], support: [bob.publicKey] },
  policy,
})
const { header, frames } = splitStream(input)
const SEED = 1414

/** Byte equality of multi-megabyte arrays (toEqual walks them element by element). */
const same = (a: Uint8Array, b: Uint8Array) => Buffer.compare(a, b) === 0

const oneThread = async (bytes: Uint8Array) =>
  drain(rewrapStreamWith(chunked(bytes, []), { ...stewardChange, hashThread: false }, seededRandom(SEED), nodeRuntime))
const cuts = fc.array(fc.integer({ min: 1, max: input.length - 1 }), { maxLength: 40 })

describe('rewrapStream with a frame-hashing thread', () => {
  it('has frames large enough for the thread', () => {
    expect(frames.length).toBeGreaterThanOrEqual(5)
    for (const f of frames.slice(0, -1)) expect(f.length).toBeGreaterThan(HASH_THREAD_MIN_BYTES)
  })

  it('writes the bytes of the one-thread path, for random chunkings', async () => {
    const reference = await oneThread(input)
    expect(reference.end).toBe('RESOLVED')
    await fc.assert(
      fc.asyncProperty(cuts, async (at) => {
        const { runtime, taken } = countingRuntime()
        const got = await drain(rewrapStreamWith(chunked(input, at), stewardChange, seededRandom(SEED), runtime))
        expect(got.end).toBe('RESOLVED')
        expect(same(got.bytes, reference.bytes)).toBe(true)
        expect(taken()).toBeGreaterThan(0)
      }),
      { numRuns: propertyRuns(8) },
    )
  }, 240_000)

  it('ends a tampered stream as one thread does: frames before go out in order, nothing of the bad one or later', async () => {
    const reference = (await oneThread(input)).bytes
    const out = splitStream(reference)
    const starts = frames.map((_, k) => header.length + frames.slice(0, k).reduce((n, f) => n + f.length, 0))
    const place = fc.nat(frames.length - 2).chain((k) => fc.tuple(fc.constant(k), fc.nat(frames[k]!.length - 4 - 1)))
    await fc.assert(
      fc.asyncProperty(cuts, place, async (at, [k, offset]) => {
        const bad = input.slice()
        bad[starts[k]! + 4 + offset]! ^= 1
        const { runtime } = countingRuntime()
        const got = await drain(rewrapStreamWith(chunked(bad, at), stewardChange, seededRandom(SEED), runtime))
        // Whatever the byte (body, structure, or a MAC of another recipient, which a rewrapper cannot check and
        // copies), the thread changes nothing: the same ending, the same bytes, as on one thread.
        const alone = await oneThread(bad)
        expect(got.end).toBe(alone.end)
        expect(same(got.bytes, alone.bytes)).toBe(true)
        if (got.end === 'RESOLVED') return
        const before = out.header.length + out.frames.slice(0, k).reduce((n, f) => n + f.length, 0)
        expect(got.bytes.length).toBeLessThanOrEqual(before)
        expect(same(got.bytes, reference.subarray(0, got.bytes.length))).toBe(true)
      }),
      { numRuns: propertyRuns(10) },
    )
  }, 240_000)

  it('refuses a changed body byte with AUTH_FAILED after emitting every frame before it', async () => {
    const reference = (await oneThread(input)).bytes
    const out = splitStream(reference)
    for (const k of [0, 1, 3]) {
      const bad = input.slice()
      const at = header.length + frames.slice(0, k).reduce((n, f) => n + f.length, 0) + 4 + 5000
      bad[at]! ^= 1
      const got = await drain(
        rewrapStreamWith(chunked(bad, []), stewardChange, seededRandom(SEED), countingRuntime().runtime),
      )
      expect(got.end).toBe('AUTH_FAILED')
      const before = out.header.length + out.frames.slice(0, k).reduce((n, f) => n + f.length, 0)
      expect(same(got.bytes, reference.subarray(0, before))).toBe(true)
    }
  }, 120_000)

  it('fails with a typed error when the thread fails or is terminated', async () => {
    const throwing = "require('node:worker_threads').parentPort.on('message', () => { throw new Error('boom') })"
    const failed = countingRuntime(() => startTestFrameHasher(throwing).hasher)
    const a = await drain(rewrapStreamWith(chunked(input, []), stewardChange, seededRandom(SEED), failed.runtime))
    expect(a.end).toBe('BACKEND_UNAVAILABLE')
    expect(failed.taken()).toBeGreaterThan(0)

    const silent = "require('node:worker_threads').parentPort.on('message', () => {})"
    const t = startTestFrameHasher(silent)
    const stopped = countingRuntime(() => t.hasher)
    const pending = drain(rewrapStreamWith(chunked(input, []), stewardChange, seededRandom(SEED), stopped.runtime))
    await new Promise((r) => setTimeout(r, 200))
    await t.terminate()
    const b = await pending
    expect(b.end).toBe('BACKEND_UNAVAILABLE')
    expect(b.bytes.length).toBeLessThan(input.length)
  }, 60_000)

  it('lets the process exit when the stream is over (the thread is not left holding it)', () => {
    const child = fileURLToPath(new URL('./fixtures/hash-thread-exit.ts', import.meta.url))
    const out = execFileSync(process.execPath, ['--import', 'tsx', child], { encoding: 'utf8', timeout: 60_000 })
    expect(out.trim()).toMatch(/^rewrapped \d+ bytes, \d+ frames on the thread$/)
    expect(Number(out.match(/(\d+) frames on the thread/)![1])).toBeGreaterThan(0)
    const idle = execFileSync(process.execPath, ['--import', 'tsx', child, 'idle'], {
      encoding: 'utf8',
      timeout: 30_000,
    })
    expect(idle.trim()).toBe('idle')
  }, 90_000)
})
