/**
 * worker_threads parallelism: the same bytes as the single-threaded writer, output in order, and every check
 * of the reader still applied (tampering, reordering, truncation, trailing data) when frames are verified in
 * workers. Batches released before a bad frame are exactly those the single-threaded reader releases.
 */
import { type RecordBatch, Table } from 'apache-arrow'
import { afterAll, describe, expect, it } from 'vitest'
import { ArrowSealError, AuthError, FormatError } from '../../src/errors.js'
import { OpenStream as WebOpenStream, SealStream as WebSealStream } from '../../src/index.js'
import { OpenStream, openTable, SealStream, sealTable, WorkerPool } from '../../src/index.node.js'
import { startWorkerPool } from '../../src/node/parallel.js'
import { fromWire, toWire } from '../../src/node/worker-protocol.js'
import type { CryptoPool, PoolInit } from '../../src/seal/crypto-pool.js'
import { Opener } from '../../src/seal/opener.js'
import { webRuntime } from '../../src/seal/runtime.js'
import { Sealer } from '../../src/seal/sealer.js'
import { sampleTable } from '../fixtures/tables.js'
import { id, seededRandom } from '../helpers/identities.js'
import { codeOf, join, readAll, splitStream } from '../helpers/streams.js'

const writer = id('writer')
const auditor = id('auditor')
const analyst = id('analyst')
const recipients = { analysts: [analyst.publicKey], auditors: [auditor.publicKey] }
const policy = { fields: { id: 'public', amount: ['analysts', 'auditors'], email: ['auditors'] } } as const
const sealOpts = { signer: writer, recipients, policy }
const openOpts = { identity: auditor, trustedSigners: [writer.publicKey] }

const json = (batches: RecordBatch[]) => new Table(batches).toArray().map((r) => r.toJSON())
const streamOf = <T>(items: readonly T[]) =>
  new ReadableStream<T>({
    start(c) {
      for (const x of items) c.enqueue(x)
      c.close()
    },
  })

const pools: CryptoPool[] = []
afterAll(() => {
  for (const p of pools) p.close()
})

describe('parallel sealing', () => {
  it('workers seal byte for byte what the single-threaded sealer seals, in order', async () => {
    const table = sampleTable(200, 9)
    const reference = await Sealer.create(table.schema, sealOpts, seededRandom(11), webRuntime)
    let init: PoolInit | undefined
    const sealer = await Sealer.create(table.schema, sealOpts, seededRandom(11), webRuntime, (seal) => {
      init = { seal }
    })
    expect(sealer.header).toEqual(reference.header)
    const pool = await startWorkerPool(2, init!)
    pools.push(pool)
    const jobs = table.batches.map((b) => pool.seal(sealer.encodeBatch(b)))
    const frames = await Promise.all(jobs)
    for (const [i, b] of table.batches.entries()) expect(frames[i], `frame ${i}`).toEqual(await reference.sealBatch(b))
    expect(await sealer.finish()).toEqual(await reference.finish())
  })

  it('SealStream with workers gives a stream that opens to the same batches, in order', async () => {
    const table = sampleTable(300, 12)
    const sealed = join(
      ...(await readAll(streamOf(table.batches).pipeThrough(new SealStream({ ...sealOpts, workers: 2 })))),
    )
    const opened = await openTable(sealed, openOpts)
    expect(opened.toArray().map((r) => r.toJSON())).toEqual(table.toArray().map((r) => r.toJSON()))
  })

  it('refuses workers without threads (core entry) and bad counts', () => {
    expect(() => new WebSealStream({ ...sealOpts, workers: 2 })).toThrow(TypeError)
    expect(() => new WebOpenStream({ ...openOpts, workers: 2 })).toThrow(TypeError)
    expect(() => new SealStream({ ...sealOpts, workers: -1 })).toThrow(RangeError)
    expect(() => new OpenStream({ ...openOpts, workers: 1.5 })).toThrow(RangeError)
  })
})

describe('parallel opening', () => {
  const table = sampleTable(150, 10)
  let sealed: Uint8Array
  const getSealed = async () => (sealed ??= await sealTable(table, sealOpts))
  const openParallel = async (bytes: Uint8Array, chunk = 4096) => {
    const chunks: Uint8Array[] = []
    for (let o = 0; o < bytes.length; o += chunk) chunks.push(bytes.slice(o, o + chunk))
    const out: RecordBatch[] = []
    const reader = streamOf(chunks)
      .pipeThrough(new OpenStream({ ...openOpts, workers: 2 }))
      .getReader()
    try {
      for (;;) {
        const { done, value } = await reader.read()
        if (done) return { batches: out, error: null }
        out.push(value)
      }
    } catch (e) {
      return { batches: out, error: e }
    }
  }

  it('opens to the same batches in order, whatever the chunking', async () => {
    const bytes = await getSealed()
    for (const chunk of [1 << 20, 4096, 777]) {
      const { batches, error } = await openParallel(bytes, chunk)
      expect(error).toBeNull()
      expect(json(batches)).toEqual(table.toArray().map((r) => r.toJSON()))
    }
  })

  it('a flipped bit in frame 4 fails AUTH_FAILED after exactly frames 0-3 were released', async () => {
    const { header, frames } = splitStream(await getSealed())
    const bad = frames.map((f) => f.slice())
    bad[4]![bad[4]!.length - 40]! ^= 1
    const { batches, error } = await openParallel(join(header, ...bad))
    expect(batches.length).toBe(4)
    expect(await codeOf(Promise.reject(error))).toBe('AUTH_FAILED')
  })

  it('reordered, dropped, truncated and trailing streams fail as in the single-threaded reader', async () => {
    const { header, frames } = splitStream(await getSealed())
    const swapped = [...frames]
    ;[swapped[2], swapped[3]] = [swapped[3]!, swapped[2]!]
    const cases: [Uint8Array, string][] = [
      [join(header, ...swapped), 'FRAME_OUT_OF_ORDER'],
      [join(header, ...frames.filter((_, i) => i !== 5)), 'FRAME_OUT_OF_ORDER'],
      [join(header, ...frames.slice(0, -1)), 'TRUNCATED'],
      [join(header, ...frames, frames[0]!), 'TRAILING_DATA'],
      [join(header, ...frames).subarray(0, -3), 'TRUNCATED'],
    ]
    for (const [bytes, code] of cases) {
      const { error } = await openParallel(bytes)
      expect(await codeOf(Promise.reject(error)), code).toBe(code)
    }
  })
})

describe('the decode phase checks the position of what the crypto phase verified', () => {
  it('refuses a frame verified for another position, and one after the end', async () => {
    const { header, frames } = splitStream(await sealTable(sampleTable(10, 3), sealOpts))
    const opener = await Opener.create(header, openOpts)
    // A worker asked to verify frame 2 "at position 2" succeeds; the opener still expects batch 0.
    const verified = await opener.frames.open(frames[2]!.subarray(4), 2)
    expect(() => opener.accept(verified)).toThrow(expect.objectContaining({ code: 'FRAME_OUT_OF_ORDER' }))
    for (let i = 0; i < 3; i++) opener.accept(await opener.frames.open(frames[i]!.subarray(4), i))
    opener.accept(await opener.frames.open(frames[3]!.subarray(4), 3)) // the end frame
    expect(opener.ended).toBe(true)
    expect(() => opener.accept(verified)).toThrow(expect.objectContaining({ code: 'TRAILING_DATA' }))
  })
})

describe('a shared WorkerPool', () => {
  it('serves several streams at once, each with its own keys, and drops them when each stream ends', async () => {
    const pool = await WorkerPool.start(2)
    try {
      const a = sampleTable(120, 6)
      const b = sampleTable(80, 5)
      const sealBoth = await Promise.all(
        [a, b].map(async (t) =>
          join(...(await readAll(streamOf(t.batches).pipeThrough(new SealStream({ ...sealOpts, workers: pool }))))),
        ),
      )
      const opened = await Promise.all(
        sealBoth.map((bytes) => readAll(streamOf([bytes]).pipeThrough(new OpenStream({ ...openOpts, workers: pool })))),
      )
      expect(json(opened[0]!)).toEqual(a.toArray().map((r) => r.toJSON()))
      expect(json(opened[1]!)).toEqual(b.toArray().map((r) => r.toJSON()))
      // A stream's view no longer works once the stream has released its keys.
      let init: PoolInit | undefined
      const sealer = await Sealer.create(a.schema, sealOpts, seededRandom(3), webRuntime, (seal) => {
        init = { seal }
      })
      const view = await pool.attach(init!)
      view.close()
      await expect(view.seal(sealer.encodeBatch(a.batches[0]!))).rejects.toThrow(/no keys|error in a worker/i)
    } finally {
      pool.close()
    }
  })
})

describe('errors crossing the thread boundary', () => {
  it('keep class, code and message for arrowseal errors, and drop the message of any other error', () => {
    const auth = fromWire(toWire(new AuthError('AUTH_FAILED')))
    expect(auth).toBeInstanceOf(AuthError)
    expect(auth).toMatchObject({ code: 'AUTH_FAILED' })
    const format = fromWire(toWire(new FormatError('FRAME_OUT_OF_ORDER', 'expected batch 2')))
    expect(format).toBeInstanceOf(FormatError)
    expect(format.message).toBe('expected batch 2')
    const other = fromWire(toWire(new RangeError('plaintext canary-4242 is too long')))
    expect(other.message).not.toContain('canary')
    expect(other).not.toBeInstanceOf(ArrowSealError)
  })
})
