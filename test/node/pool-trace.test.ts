/**
 * The worker pool's bench-only timeline (ARROWSEAL_POOL_TRACE=1, src/node/pool-trace.ts): traced streams give the
 * same batches, every frame's job is recorded with times in order, and with the variable unset nothing is.
 */
import { type RecordBatch, Table } from 'apache-arrow'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { JobTrace } from '../../src/node/pool-trace.js'
import { sampleTable } from '../fixtures/tables.js'
import { join, readAll, streamOf } from '../helpers/streams.js'

const sink = (): JobTrace[] => {
  const key = Symbol.for('arrowseal.poolTrace')
  const g = globalThis as { [key]?: JobTrace[] }
  g[key] ??= []
  return g[key]
}
const json = (batches: RecordBatch[]) => new Table(batches).toArray().map((r) => r.toJSON())

async function roundTrip(): Promise<{ same: boolean; batches: number }> {
  vi.resetModules()
  // Fresh modules, so that pool-trace.ts reads the variable again (identities must come from the same copy).
  const { SealStream, OpenStream, WorkerPool, generateIdentity } = await import('../../src/index.node.js')
  const writer = await generateIdentity()
  const analyst = await generateIdentity()
  const sealOpts = {
    signer: writer,
    recipients: { analysts: [analyst.publicKey] },
    policy: { fields: { id: 'public', amount: ['analysts'], email: ['analysts'] } } as const,
  }
  const openOpts = { identity: analyst, trustedSigners: [writer.publicKey] }
  const pool = await WorkerPool.start(2)
  try {
    const table = sampleTable(300, 7)
    const sealed = join(
      ...(await readAll(streamOf(table.batches).pipeThrough(new SealStream({ ...sealOpts, workers: pool })))),
    )
    // Odd-sized reads, so frames are assembled by the splitter (and lent to the workers).
    const reads: Uint8Array[] = []
    for (let i = 0; i < sealed.length; i += 997) reads.push(sealed.subarray(i, i + 997))
    const opened = await readAll(streamOf(reads).pipeThrough(new OpenStream({ ...openOpts, workers: pool })))
    return {
      same: JSON.stringify(json(opened)) === JSON.stringify(table.toArray().map((r) => r.toJSON())),
      batches: table.batches.length,
    }
  } finally {
    pool.close()
  }
}

afterEach(() => {
  delete process.env.ARROWSEAL_POOL_TRACE
  sink().length = 0
})

describe('pool trace', () => {
  it('records every job with its times in order, and the streams give the same batches', async () => {
    process.env.ARROWSEAL_POOL_TRACE = '1'
    const { same, batches } = await roundTrip()
    expect(same).toBe(true)
    const jobs = sink()
    // One seal job per batch; one open job per batch frame (the end frame is verified on the calling thread).
    expect(jobs.filter((j) => j.kind === 'seal')).toHaveLength(batches)
    expect(jobs.filter((j) => j.kind === 'open')).toHaveLength(batches)
    for (const j of jobs) {
      expect(j.entered).toBeLessThanOrEqual(j.dispatch)
      expect(j.dispatch).toBeLessThanOrEqual(j.posted)
      expect(j.times).not.toBeNull()
      expect(j.times!.got).toBeLessThanOrEqual(j.times!.done)
      // Clocks of two threads: allow a millisecond of skew between them.
      expect(j.times!.done).toBeLessThanOrEqual(j.back + 1)
      expect(j.bytes).toBeGreaterThan(0)
      expect([0, 1]).toContain(j.worker)
      if (process.platform === 'linux') {
        expect(j.times!.tid).toBeGreaterThan(0)
        expect(j.times!.after!.cpu).toBeGreaterThanOrEqual(j.times!.before!.cpu)
      }
    }
  })

  it('records nothing when the variable is unset', async () => {
    const { same } = await roundTrip()
    expect(same).toBe(true)
    expect(sink()).toHaveLength(0)
  })
})
