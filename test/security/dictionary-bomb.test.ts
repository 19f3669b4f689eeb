/**
 * Issue 19, item 4 (second bullet): the reviewer's dictionary-delta bomb. An authentic, deflate-compressed unit
 * of a few KB holds thousands of delta dictionary batches; arrow-js's way of applying them (concatenate at
 * every delta) made the reader spend 13.2 s on 11 KB. Now the deltas are charged to `maxDictionaryDeltas`
 * (default 10,000 per stream) before they are loaded, and those within the limit are joined once.
 */
import {
  Dictionary,
  Field,
  Int32,
  makeData,
  RecordBatchStreamWriter,
  Schema,
  Utf8,
  Vector,
  vectorFromArray,
} from 'apache-arrow'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { scanStream } from '../../src/arrow/scan.js'
import { concatAll } from '../../src/format/bytes.js'
import { openTable } from '../../src/table.js'
import { structBatch } from '../fixtures/tables.js'
import { id } from '../helpers/identities.js'
import { codeOf, join } from '../helpers/streams.js'
import { deflated, forger } from './forge.js'

const writer = id('writer')
const reader = id('analyst')
const type = new Dictionary(new Utf8(), new Int32(), 3)
const schema = new Schema([new Field('d', type, true)])
const DELTAS = 12_000

/**
 * A unit of one 3-row batch whose dictionary is ['a', 'b'] followed by `deltas` empty delta batches: arrow-js's
 * writer makes the unit for one delta, whose bytes are then repeated (writing 12,000 would dominate the test).
 */
function bombUnit(deltas: number): Uint8Array {
  const first = vectorFromArray(['a', 'b'], new Utf8()).data[0]!
  const dictionary = new Vector([first, first.slice(0, 0)])
  const column = makeData({ type, length: 3, nullCount: 0, data: Int32Array.of(1, 0, 1), dictionary })
  const one = RecordBatchStreamWriter.writeAll([structBatch(schema, 3, [column])]).toUint8Array(true)
  const [schemaMsg, initial, delta, batch] = scanStream(one).map((m) =>
    one.subarray(m.metadataStart - 8, m.bodyStart + m.bodyLength),
  )
  const eos = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0)
  return concatAll([schemaMsg!, initial!, ...Array.from({ length: deltas }, () => delta!), batch!, eos])
}

afterEach(() => {
  vi.restoreAllMocks()
})

describe('a dictionary-delta bomb in an authentic compressed unit', () => {
  const options = { identity: reader, trustedSigners: [writer.publicKey] }
  const stream = async (deltas: number) => {
    const forge = await forger(schema, {
      signer: writer,
      recipients: { r: [reader.publicKey] },
      policy: { fields: { d: ['r'] } },
    })
    const unit = deflated(bombUnit(deltas))
    return { unit, bytes: join(forge.header, forge.frame(0, 3, [unit]), forge.end(1)) }
  }

  it('is refused by default (10,000 deltas per stream)', async () => {
    const { unit, bytes } = await stream(DELTAS)
    // Under 40 KB of compressed unit for 12,000 messages.
    expect(unit.plain.length).toBeLessThan(40_000)
    await expect(openTable(bytes, options)).rejects.toMatchObject({
      code: 'LIMIT_EXCEEDED',
      message: expect.stringMatching(/maxDictionaryDeltas/),
    })
  })

  it('within a limit raised for it, opens in work linear in its deltas', async () => {
    const { bytes } = await stream(2_000)
    const memoize = vi.spyOn(Vector.prototype, 'memoize')
    const concat = vi.spyOn(Vector.prototype, 'concat')
    const t = await openTable(bytes, { ...options, maxDictionaryDeltas: 2_000 })
    expect(t.getChild('d')!.toArray()).toEqual(['b', 'a', 'b'])
    // One join for the whole dictionary, not one per delta (which cost the square of their number).
    expect(concat).not.toHaveBeenCalled()
    expect(memoize).toHaveBeenCalledTimes(1)
    expect(await codeOf(openTable(bytes, { ...options, maxDictionaryDeltas: 1_999 }))).toBe('LIMIT_EXCEEDED')
  })
})
