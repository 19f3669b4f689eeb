/** Column projection on the Node entry (cases: test/helpers/projection-cases.ts), worker threads included. */
import { tableFromArrays } from 'apache-arrow'
import { describe, expect, it } from 'vitest'
import * as api from '../../src/index.node.js'
import { projectionCases } from '../helpers/projection-cases.js'

describe('column projection in Node', () => {
  projectionCases(api)

  it('with worker threads, only the kept groups are opened and batches come back projected', async () => {
    const [writer, reader] = await Promise.all([api.generateIdentity(), api.generateIdentity()])
    const table = tableFromArrays({
      id: Int32Array.from([1, 2, 3]),
      a: ['x', 'y', 'z'],
      b: Float64Array.from([1, 2, 3]),
    })
    const sealed = await api.sealTable(table, {
      signer: writer,
      recipients: { r: [reader.publicKey], s: [reader.publicKey] },
      policy: { fields: { id: 'public', a: ['r'], b: ['s'] } },
    })
    const stream = api.OpenStream.from(sealed, {
      identity: reader,
      trustedSigners: [writer.publicKey],
      columns: ['b'],
      workers: 1,
    })
    const rows: number[] = []
    for await (const batch of stream.readable) rows.push(...(batch.getChild('b')!.toArray() as Float64Array))
    expect(rows).toEqual([1, 2, 3])
    expect((await stream.schema).fields.map((f) => f.name)).toEqual(['b'])
  })
})
