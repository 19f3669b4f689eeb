/** sealTable from batches (iterable, async iterable) and openTable from Response / ReadableStream / AsyncIterable. */
import { tableFromArrays } from 'apache-arrow'
import { describe, expect, it } from 'vitest'
import { generateIdentity, openTable, sealTable } from '../../src/index.js'

describe('table input forms in Chromium', () => {
  it('round-trip through every form', async () => {
    const [writer, alice] = await Promise.all([generateIdentity(), generateIdentity()])
    const table = tableFromArrays({ id: Int32Array.from([1, 2, 3]), v: ['a', 'b', 'c'] })
    const opts = {
      signer: writer,
      recipients: { r: [alice.publicKey] },
      policy: { fields: { id: 'public' as const }, default: ['r'] },
    }
    async function* asyncBatches() {
      yield* table.batches
    }
    const fromTable = await sealTable(table, opts)
    const fromIter = await sealTable(table.batches, opts)
    const fromAsync = await sealTable(asyncBatches(), opts)
    const read = { identity: alice, trustedSigners: [writer.publicKey] }
    const chunks = (b: Uint8Array) => [b.subarray(0, 100), b.subarray(100)]
    async function* asyncBytes(b: Uint8Array) {
      yield* chunks(b)
    }
    const stream = (b: Uint8Array) =>
      new ReadableStream<Uint8Array>({
        start(c) {
          for (const x of chunks(b)) c.enqueue(x)
          c.close()
        },
      })
    for (const sealed of [fromTable, fromIter, fromAsync])
      for (const input of [sealed, new Response(sealed), stream(sealed), asyncBytes(sealed)]) {
        const opened = await openTable(input, read)
        expect(opened.getChild('v')!.toArray()).toEqual(['a', 'b', 'c'])
        expect(opened.numRows).toBe(3)
      }
  })

  it('no batches and non-byte chunks are typed errors', async () => {
    const writer = await generateIdentity()
    const opts = { signer: writer, recipients: {}, policy: { fields: {}, default: 'drop' as const } }
    await expect(sealTable([], opts)).rejects.toMatchObject({ code: 'ARROW_INVALID' })
    async function* notBytes() {
      yield 'text' as unknown as Uint8Array
    }
    await expect(openTable(notBytes(), { identity: writer, trustedSigners: [] })).rejects.toMatchObject({
      code: 'FORMAT_INVALID',
    })
  })
})
