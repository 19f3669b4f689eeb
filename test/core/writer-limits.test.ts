/**
 * The writer's AEAD usage limits (docs/format.md "Limits"): at most 2^32 − 1 batches per stream, so batch
 * indexes, and with them GCM nonces, never repeat under one key; at most 2^40 bytes sealed under one group key.
 * Reaching either fails the stream with AEAD_LIMIT, and a failed stream can never be ended, so its readers see a
 * truncated stream, not a short one.
 *
 * Nobody can seal 2^32 batches or 2^40 bytes in a test, so this file replaces the constants module with the same
 * limits scaled down (3 batches, 4 KiB per key). The sealer reads the limits from that module and nowhere else:
 * take either check out of src/seal/sealer.ts and these tests fail.
 */
import { type RecordBatch, Table } from 'apache-arrow'
import { describe, expect, it, vi } from 'vitest'
import { OpenStream } from '../../src/stream/open-stream.js'
import { SealStream } from '../../src/stream/seal-stream.js'
import { openTable, sealTable } from '../../src/table.js'
import { sampleTable } from '../fixtures/tables.js'
import { id } from '../helpers/identities.js'
import { codeOf, join, readAll, streamOf } from '../helpers/streams.js'

vi.mock('../../src/format/constants.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/format/constants.js')>()
  return { ...real, HARD_LIMITS: Object.freeze({ ...real.HARD_LIMITS, maxBatches: 3, maxBytesPerKey: 4096 }) }
})

const writer = id('writer')
const reader = id('reader')
const openOptions = { identity: reader, trustedSigners: [writer.publicKey] }
/** `email` and `amount` sealed for the reader, `id` public. */
const sealOptions = {
  signer: writer,
  recipients: { r: [reader.publicKey] },
  policy: { fields: { id: 'public' as const, email: ['r'], amount: ['r'] } },
}

/** Seals `batches` through SealStream; returns what it emitted before it finished or failed, and how it ended. */
async function sealStreamed(batches: readonly RecordBatch[]): Promise<{ bytes: Uint8Array; code: string }> {
  const chunks: Uint8Array[] = []
  const done = streamOf(batches)
    .pipeThrough(new SealStream(sealOptions))
    .pipeTo(new WritableStream({ write: (c) => void chunks.push(c) }))
  const code = await codeOf(done)
  return { bytes: join(...chunks), code }
}

describe('writer limits (scaled down)', () => {
  it('seals up to the batch limit and opens it', async () => {
    const table = sampleTable(5, 3)
    const opened = await openTable(await sealTable(table, sealOptions), openOptions)
    expect(opened.numRows).toBe(15)
  })

  it('refuses the batch after the limit with AEAD_LIMIT', async () => {
    await expect(sealTable(sampleTable(5, 4), sealOptions)).rejects.toMatchObject({ code: 'AEAD_LIMIT' })
  })

  it('a stream stopped by the batch limit has no end frame: readers see it truncated', async () => {
    const { bytes, code } = await sealStreamed(sampleTable(5, 4).batches)
    expect(code).toBe('AEAD_LIMIT')
    expect(await codeOf(readAll(streamOf([bytes]).pipeThrough(new OpenStream(openOptions))))).toBe('TRUNCATED')
  })

  it('refuses to seal more than the per-key byte limit under one group key', async () => {
    // Two batches of 60 rows put about 2.2 KB each under the sealed group's key: the second crosses 4 KiB.
    const { code } = await sealStreamed(sampleTable(60, 2).batches)
    expect(code).toBe('AEAD_LIMIT')
    const one = await sealTable(new Table([sampleTable(60, 2).batches[0]!]), sealOptions)
    expect((await openTable(one, openOptions)).numRows).toBe(60)
  })

  it('counts only sealed bytes: public columns do not use up a key', async () => {
    const publicOnly = { ...sealOptions, policy: { fields: { id: 'public' as const }, default: 'drop' as const } }
    // About 12 KB of public data, three times the scaled-down per-key limit.
    const sealed = await sealTable(sampleTable(1000, 3), publicOnly)
    expect((await openTable(sealed, openOptions)).numRows).toBe(3000)
  })
})
