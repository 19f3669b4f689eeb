/**
 * Issue 19, item 4 (second bullet): dictionary deltas. Units of earlier writers carry an initial dictionary batch
 * and one delta per further chunk; the decoder still reads them, joins each dictionary's chunks once (arrow-js's
 * reader concatenates at every delta, which is quadratic in their number), and charges every delta or
 * replacement to the stream's `maxDictionaryDeltas` before loading it.
 */
import {
  Dictionary,
  Field,
  Int32,
  makeData,
  type RecordBatch,
  RecordBatchStreamWriter,
  Schema,
  Utf8,
  Vector,
  vectorFromArray,
} from 'apache-arrow'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { BatchDecoder } from '../../src/arrow/batch-decoder.js'
import { encodeGroupBatch, planGroups } from '../../src/arrow/index.js'
import { DeltaBudget, GroupDecoder } from '../../src/arrow/ipc.js'
import { scanStream } from '../../src/arrow/scan.js'
import { HEADER_DICTIONARY_BATCH } from '../../src/arrow/verify-metadata.js'
import { ArrowSealError } from '../../src/errors.js'
import { concatAll } from '../../src/format/bytes.js'
import { structBatch } from '../fixtures/tables.js'

const type = new Dictionary(new Utf8(), new Int32(), 7)
const schema = new Schema([new Field('d', type, true)])
const [layout] = planGroups(schema, [0], 1, null)

/** A batch whose dictionary has `chunks` chunks: ['a', 'b'] and then empty ones, or one value each if `grow`. */
function chunkedBatch(chunks: number, grow = false): RecordBatch {
  let dictionary = vectorFromArray(['a', 'b'], new Utf8())
  for (let i = 1; i < chunks; i++) dictionary = dictionary.concat(vectorFromArray(grow ? [`v${i}`] : [], new Utf8()))
  const indices = Int32Array.from([1, 0, dictionary.length - 1])
  return structBatch(schema, 3, [makeData({ type, length: 3, nullCount: 0, data: indices, dictionary })])
}

/** The unit an earlier writer made: arrow-js's own stream writer sends one delta per further dictionary chunk. */
function oldUnit(batch: RecordBatch): Uint8Array {
  return RecordBatchStreamWriter.writeAll([batch]).toUint8Array(true)
}

function dictionaryBatches(unit: Uint8Array): number {
  return scanStream(unit).filter((m) => m.tag === HEADER_DICTIONARY_BATCH).length
}

function codeOf(fn: () => unknown): string {
  try {
    fn()
  } catch (err) {
    if (err instanceof ArrowSealError) return err.code
    throw err
  }
  return 'ACCEPTED'
}

afterEach(() => {
  vi.restoreAllMocks()
})

describe('units with dictionary deltas (earlier writers)', () => {
  it('decode to the same values, one chunk per dictionary', () => {
    const batch = chunkedBatch(50, true)
    const unit = oldUnit(batch)
    expect(dictionaryBatches(unit)).toBe(50)
    const column = new GroupDecoder(layout!).decode(unit, 3).getChildAt(0)!
    expect(column.toArray()).toEqual(['b', 'a', 'v49'])
    expect(column.data[0]!.dictionary!.length).toBe(51)
  })

  it('join each dictionary once, not at every delta (no Vector.concat per delta)', () => {
    const unit = oldUnit(chunkedBatch(300))
    const concat = vi.spyOn(Vector.prototype, 'concat')
    const memoize = vi.spyOn(Vector.prototype, 'memoize')
    new GroupDecoder(layout!).decode(unit, 3)
    // arrow-js's reader (and this decoder before issue 19) concatenated and memoised at every delta, 299 times
    // here, each time over all chunks so far; once per dictionary is linear.
    expect(concat).not.toHaveBeenCalled()
    expect(memoize).toHaveBeenCalledTimes(1)
  })

  it("are charged to the stream's budget, over every group and frame, before they are loaded", () => {
    const unit = oldUnit(chunkedBatch(4)) // three deltas
    const decoder = new BatchDecoder([layout!], [], 5)
    expect(decoder.decode([unit], 3).numRows).toBe(3)
    // Two deltas left: the next unit's third delta is refused.
    expect(codeOf(() => decoder.decode([unit], 3))).toBe('LIMIT_EXCEEDED')
    expect(codeOf(() => new GroupDecoder(layout!, new DeltaBudget(3)).decode(unit, 3))).toBe('ACCEPTED')
    expect(codeOf(() => new GroupDecoder(layout!, new DeltaBudget(2)).decode(unit, 3))).toBe('LIMIT_EXCEEDED')
  })

  it('count a replacement (a second, non-delta batch for one dictionary) like a delta', () => {
    const a = oldUnit(chunkedBatch(1))
    const b = oldUnit(chunkedBatch(1, true))
    const [schemaMsg, dictA] = scanStream(a)
    const [, dictB, batchB] = scanStream(b)
    const slice = (u: Uint8Array, m: { metadataStart: number; bodyStart: number; bodyLength: number }) =>
      u.subarray(m.metadataStart - 8, m.bodyStart + m.bodyLength)
    const eos = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0)
    const spliced = concatAll([slice(a, schemaMsg!), slice(a, dictA!), slice(b, dictB!), slice(b, batchB!), eos])
    expect(dictionaryBatches(spliced)).toBe(2)
    expect(new GroupDecoder(layout!, new DeltaBudget(1)).decode(spliced, 3).getChildAt(0)!.toArray()).toEqual([
      'b',
      'a',
      'b',
    ])
    expect(codeOf(() => new GroupDecoder(layout!, new DeltaBudget(0)).decode(spliced, 3))).toBe('LIMIT_EXCEEDED')
  })
})

describe("this writer's units", () => {
  it('carry one dictionary batch per dictionary, whatever its chunk count, and need no delta budget', () => {
    for (const grow of [false, true]) {
      const batch = chunkedBatch(300, grow)
      const unit = encodeGroupBatch(batch, layout!)
      expect(dictionaryBatches(unit)).toBe(1)
      const decoded = new GroupDecoder(layout!, new DeltaBudget(0)).decode(unit, 3).getChildAt(0)!
      expect(decoded.toArray()).toEqual(batch.getChildAt(0)!.toArray())
    }
  })
})
