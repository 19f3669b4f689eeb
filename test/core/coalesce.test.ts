/**
 * The writer's `minBatchRows` option: small batches are merged before sealing, readers get every row in order
 * (in fewer, larger batches), and anything that cannot be merged exactly is sealed as written.
 */
import {
  Dictionary,
  Field,
  Int32,
  List,
  makeData,
  type RecordBatch,
  Schema,
  Table,
  Utf8,
  vectorFromArray,
} from 'apache-arrow'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { SealStream as NodeSealStream } from '../../src/index.node.js'
import { SealStream } from '../../src/stream/seal-stream.js'
import { openTable, sealTable } from '../../src/table.js'
import { tableArb } from '../conformance/arrow-arbitrary.js'
import { sampleTable, structBatch, tableDiff } from '../fixtures/tables.js'
import { id } from '../helpers/identities.js'
import { codeOf, join, readAll, streamOf } from '../helpers/streams.js'

const writer = id('writer')
const reader = id('reader')
const openOptions = { identity: reader, trustedSigners: [writer.publicKey] }
const sealOptions = {
  signer: writer,
  recipients: { r: [reader.publicKey] },
  policy: { fields: { id: 'public' as const }, default: ['r'] },
}

const rowsOf = (t: Table) => t.batches.map((b) => b.numRows)

/** One sampleTable batch per row count, each at offset 0 like a producer's batch. */
const batchesOf = (...rows: number[]): RecordBatch[] => rows.map((n) => sampleTable(n).batches[0]!)

describe('minBatchRows', () => {
  it('sealTable merges 50 batches of 100 rows into 5 of 1,000, with every row in order', async () => {
    const table = sampleTable(100, 50)
    const opened = await openTable(await sealTable(table, { ...sealOptions, minBatchRows: 1000 }), openOptions)
    expect(rowsOf(opened)).toEqual([1000, 1000, 1000, 1000, 1000])
    expect(tableDiff(opened, table)).toBeNull()
  })

  it('without the option, every batch stays a batch', async () => {
    const table = sampleTable(100, 5)
    const opened = await openTable(await sealTable(table, sealOptions), openOptions)
    expect(rowsOf(opened)).toEqual([100, 100, 100, 100, 100])
  })

  it('SealStream gathers, and seals what is left when the input closes', async () => {
    const table = sampleTable(100, 23)
    const chunks = await readAll(
      streamOf(table.batches).pipeThrough(new SealStream({ ...sealOptions, minBatchRows: 1000 })),
    )
    const opened = await openTable(join(...chunks), openOptions)
    expect(rowsOf(opened)).toEqual([1000, 1000, 300])
    expect(tableDiff(opened, table)).toBeNull()
  })

  it('lets a batch that is large enough through on its own, after the gathered ones', async () => {
    const batches = batchesOf(10, 10, 5000, 10)
    const table = new Table(batches)
    const opened = await openTable(await sealTable(table, { ...sealOptions, minBatchRows: 100 }), openOptions)
    expect(rowsOf(opened)).toEqual([20, 5000, 10])
    expect(tableDiff(opened, table)).toBeNull()
  })

  it('stops gathering at about 16 MiB of column data, whatever minBatchRows asks', async () => {
    // Three batches of one Float64 column, 6 MiB each: two fit under the cap, the third starts a new batch.
    const n = 786_432
    const batch = () => new Table({ x: vectorFromArray(new Float64Array(n)) }).batches[0]!
    const table = new Table([batch(), batch(), batch()])
    const options = { ...sealOptions, policy: { fields: {}, default: ['r'] }, minBatchRows: 10_000_000 }
    const opened = await openTable(await sealTable(table, options), openOptions)
    expect(rowsOf(opened)).toEqual([2 * n, n])
  })

  it('seals batches it cannot merge (a list column) as they are', async () => {
    const schema = new Schema([
      new Field('id', new Int32(), true),
      new Field('l', new List(new Field('x', new Int32())), true),
    ])
    const batch = (n: number) =>
      structBatch(schema, n, [
        vectorFromArray(
          Array.from({ length: n }, (_, i) => i),
          new Int32(),
        ).data[0]!,
        vectorFromArray(
          Array.from({ length: n }, (_, i) => [i, i]),
          schema.fields[1]!.type,
        ).data[0]!,
      ])
    const table = new Table(schema, [batch(3), batch(4), batch(5)])
    const opened = await openTable(await sealTable(table, { ...sealOptions, minBatchRows: 1000 }), openOptions)
    expect(rowsOf(opened)).toEqual([3, 4, 5])
    expect(tableDiff(opened, table)).toBeNull()
  })

  it('starts a new merged batch where the dictionary changes', async () => {
    const type = new Dictionary(new Utf8(), new Int32())
    const schema = new Schema([new Field('id', new Int32(), true), new Field('colour', type, true)])
    const dictionaries = [vectorFromArray(['red', 'green'], new Utf8()), vectorFromArray(['blue', 'cyan'], new Utf8())]
    const batch = (d: number, n: number) =>
      structBatch(schema, n, [
        vectorFromArray(Int32Array.from({ length: n }, (_, i) => i)).data[0]!,
        makeData({
          type,
          length: n,
          data: Int32Array.from({ length: n }, (_, i) => i % 2),
          dictionary: dictionaries[d]!,
        }),
      ])
    const table = new Table(schema, [batch(0, 3), batch(0, 4), batch(1, 5), batch(1, 6)])
    const opened = await openTable(await sealTable(table, { ...sealOptions, minBatchRows: 1000 }), openOptions)
    expect(rowsOf(opened)).toEqual([7, 11])
    expect(tableDiff(opened, table)).toBeNull()
  })

  it('runs the same on worker threads (Node entry)', async () => {
    const table = sampleTable(100, 12)
    const chunks = await readAll(
      streamOf(table.batches).pipeThrough(new NodeSealStream({ ...sealOptions, minBatchRows: 500, workers: 2 })),
    )
    const opened = await openTable(join(...chunks), openOptions)
    expect(rowsOf(opened)).toEqual([500, 500, 200])
    expect(tableDiff(opened, table)).toBeNull()
  })

  it('fails the stream on a batch of another schema while gathering: no end frame', async () => {
    const other = new Table({ x: vectorFromArray([1, 2], new Int32()) }).batches[0]!
    const input = streamOf<RecordBatch>([...sampleTable(10, 2).batches, other])
    const chunks: Uint8Array[] = []
    const done = input
      .pipeThrough(new SealStream({ ...sealOptions, minBatchRows: 1000 }))
      .pipeTo(new WritableStream({ write: (c) => void chunks.push(c) }))
    expect(await codeOf(done)).toBe('ARROW_INVALID')
    expect(await codeOf(openTable(join(...chunks), openOptions))).toBe('TRUNCATED')
  })

  it('refuses a minBatchRows that is not a row count', async () => {
    for (const bad of [-1, 1.5, Number.NaN, 2 ** 31, '10' as unknown as number]) {
      await expect(sealTable(sampleTable(), { ...sealOptions, minBatchRows: bad })).rejects.toThrow(TypeError)
    }
  })

  it('never changes what readers get, for any table and threshold (property)', async () => {
    await fc.assert(
      fc.asyncProperty(tableArb, fc.integer({ min: 0, max: 12 }), async ({ table }, min) => {
        const policy = { fields: {}, default: ['r'] }
        const sealed = await sealTable(table, { ...sealOptions, policy, minBatchRows: min })
        const opened = await openTable(sealed, openOptions)
        expect(tableDiff(opened, table)).toBeNull()
      }),
      { numRuns: 40, seed: 1129 },
    )
  })
})
