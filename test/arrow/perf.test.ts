import { RecordBatchStreamWriter } from 'apache-arrow'
import { describe, expect, it } from 'vitest'
import { decodeGroupBatch, encodeGroupBatch, mergeBatches, planGroups } from '../../src/arrow/index.js'
import { mixedBenchTable } from '../fixtures/tables.js'

/**
 * Throughput of the Arrow layer for one 64k-row mixedBenchTable batch (~4 MB of IPC). Logged, with a loose floor
 * so a pathological regression (e.g. re-materialising columns) fails while CI noise does not.
 */
describe('arrow layer throughput (64k-row mixed batch)', () => {
  const table = mixedBenchTable(65536, 65536)
  const batch = table.batches[0]!
  const schema = table.schema
  const [all] = planGroups(
    schema,
    schema.fields.map(() => 0),
    1,
    0,
  )
  const split = planGroups(schema, [0, 0, 1, 1, 0, 2, 2, 1], 3, 0)

  /** Median ms per call over 25 timed calls after warm-up: robust to JIT warm-up and GC pauses of 5 MB buffers. */
  function time(fn: () => void): number {
    const samples: number[] = []
    for (let i = 0; i < 25; i++) {
      const t0 = performance.now()
      fn()
      samples.push(performance.now() - t0)
    }
    return samples.sort((a, b) => a - b)[12]!
  }

  it('encodes and decodes at a useful rate', () => {
    const unit = encodeGroupBatch(batch, all!)
    const mb = unit.byteLength / 1e6
    // Warm every path up together first: the fixture build leaves a large heap, and the first major GCs would
    // otherwise land in whichever measurement runs first.
    for (let i = 0; i < 20; i++) {
      decodeGroupBatch(encodeGroupBatch(batch, all!), all!, batch.numRows)
      for (const l of split) decodeGroupBatch(encodeGroupBatch(batch, l), l, batch.numRows)
    }
    const plain = time(() => {
      const w = new RecordBatchStreamWriter()
      w.write(batch)
      w.finish()
      w.toUint8Array(true)
    })
    const enc = time(() => encodeGroupBatch(batch, all!))
    const dec = time(() => decodeGroupBatch(unit, all!, batch.numRows))
    const units = split.map((l) => encodeGroupBatch(batch, l))
    const splitEnc = time(() => split.map((l) => encodeGroupBatch(batch, l)))
    const splitDec = time(() =>
      mergeBatches(
        split.map((l, g) => ({ layout: l, batch: decodeGroupBatch(units[g]!, l, batch.numRows) })),
        batch.numRows,
      ),
    )
    const rate = (ms: number) => `${(mb / (ms / 1000)).toFixed(0)} MB/s`
    console.log(
      `[arrow perf] unit ${mb.toFixed(2)} MB | arrow-js writer alone ${rate(plain)} | encodeGroupBatch ${rate(enc)} | ` +
        `decodeGroupBatch ${rate(dec)} | 3-group encode ${rate(splitEnc)} | 3-group decode+merge ${rate(splitDec)}`,
    )
    expect(mb / (enc / 1000)).toBeGreaterThan(25)
    expect(mb / (dec / 1000)).toBeGreaterThan(25)
  })
})
