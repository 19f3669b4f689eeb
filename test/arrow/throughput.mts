/**
 * Standalone throughput of the Arrow layer on one 64k-row mixedBenchTable batch, with a GC before every sample so
 * large-buffer GC pauses do not land in the timings. Run: `node --expose-gc --import tsx test/arrow/throughput.mts`
 */
import { RecordBatchStreamWriter } from 'apache-arrow'
import { decodeGroupBatch, encodeGroupBatch, planGroups } from '../../src/arrow/index.js'
import { mixedBenchTable } from '../fixtures/tables.js'

const table = mixedBenchTable(65536, 65536)
const batch = table.batches[0]!
const [all] = planGroups(
  table.schema,
  table.schema.fields.map(() => 0),
  1,
  0,
)
const unit = encodeGroupBatch(batch, all!)
const mb = unit.byteLength / 1e6
function time(name: string, fn: () => void): void {
  for (let i = 0; i < 10; i++) fn()
  const res: number[] = []
  for (let r = 0; r < 30; r++) {
    ;(globalThis as any).gc?.()
    const t0 = performance.now()
    fn()
    res.push(performance.now() - t0)
  }
  res.sort((a, b) => a - b)
  console.log(name, 'median', (mb / (res[15]! / 1000)).toFixed(0), 'MB/s best', (mb / (res[0]! / 1000)).toFixed(0))
}
time('plain writer', () => {
  const w = new RecordBatchStreamWriter()
  w.write(batch)
  w.finish()
  w.toUint8Array(true)
})
time('encode', () => encodeGroupBatch(batch, all!))
time('decode', () => decodeGroupBatch(unit, all!, batch.numRows))
