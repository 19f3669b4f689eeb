/**
 * The input-form cases shared by the Node and the Chromium suites (test/node/table-input.test.ts,
 * test/browser/table-input.test.ts): each passes its entry's functions and the sources its platform adds
 * (a Node `Readable`), so both runtimes run the same assertions.
 */
import { type RecordBatch, tableFromArrays } from 'apache-arrow'
import { expect, it } from 'vitest'
import type * as Core from '../../src/index.js'

type Api = Pick<typeof Core, 'generateIdentity' | 'sealTable' | 'openTable' | 'openTableWithInfo' | 'OpenStream'>
type Source = Core.SealedInput

const chunks = (b: Uint8Array) => [b.subarray(0, 100), b.subarray(100)]

/** Every byte source of `sealed`, each made fresh (a stream can be read once). */
function sources(sealed: Uint8Array<ArrayBuffer>, extra: (chunks: Uint8Array[]) => Source[]): Source[] {
  async function* asyncBytes() {
    yield* chunks(sealed)
  }
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      for (const x of chunks(sealed)) c.enqueue(x)
      c.close()
    },
  })
  return [sealed, new Response(sealed), stream, asyncBytes(), ...extra(chunks(sealed))]
}

/** Reads a ReadableStream by hand: Chromium's is not async-iterable in every version. */
async function drain(readable: ReadableStream<RecordBatch>): Promise<RecordBatch[]> {
  const reader = readable.getReader()
  const out: RecordBatch[] = []
  for (;;) {
    const { done, value } = await reader.read()
    if (done) return out
    out.push(value)
  }
}

export function tableInputCases(api: Api, extra: (chunks: Uint8Array[]) => Source[] = () => []): void {
  it('round-trip through every form: sealTable, openTable, openTableWithInfo and OpenStream.from', async () => {
    const [writer, alice] = await Promise.all([api.generateIdentity(), api.generateIdentity()])
    const table = tableFromArrays({ id: Int32Array.from([1, 2, 3]), v: ['a', 'b', 'c'] })
    const opts = {
      signer: writer,
      recipients: { r: [alice.publicKey] },
      policy: { fields: { id: 'public' as const }, default: ['r'] },
    }
    async function* asyncBatches() {
      yield* table.batches
    }
    const sealedForms = [
      await api.sealTable(table, opts),
      await api.sealTable(table.batches, opts),
      await api.sealTable(asyncBatches(), opts),
    ]
    const read = { identity: alice, trustedSigners: [writer.publicKey] }
    for (const sealed of sealedForms) {
      for (const input of sources(sealed, extra)) {
        const opened = await api.openTable(input, read)
        expect(opened.getChild('v')!.toArray()).toEqual(['a', 'b', 'c'])
        expect(opened.numRows).toBe(3)
      }
      for (const input of sources(sealed, extra)) {
        const { table: t, signer } = await api.openTableWithInfo(input, read)
        expect(t.numRows).toBe(3)
        expect(signer.keyId).toBe(writer.publicKeyObject.keyId)
      }
      for (const input of sources(sealed, extra)) {
        const stream = api.OpenStream.from(input, read)
        const batches = await drain(stream.readable)
        expect(batches.reduce((n, b) => n + b.numRows, 0)).toBe(3)
        expect((await stream.schema).fields.map((f) => f.name)).toEqual(['id', 'v'])
      }
    }
  })

  it('no batches, non-byte chunks, a cut stream and a locked stream are typed errors', async () => {
    const [writer, alice] = await Promise.all([api.generateIdentity(), api.generateIdentity()])
    const opts = { signer: writer, recipients: {}, policy: { fields: {}, default: 'drop' as const } }
    await expect(api.sealTable([], opts)).rejects.toMatchObject({ code: 'ARROW_INVALID' })
    async function* notBytes() {
      yield 'text' as unknown as Uint8Array
    }
    const read = { identity: alice, trustedSigners: [writer.publicKey] }
    await expect(api.openTable(notBytes(), read)).rejects.toMatchObject({ code: 'FORMAT_INVALID' })
    await expect(api.openTableWithInfo(notBytes(), read)).rejects.toMatchObject({ code: 'FORMAT_INVALID' })
    await expect(drain(api.OpenStream.from(notBytes(), read).readable)).rejects.toMatchObject({
      code: 'FORMAT_INVALID',
    })
    const sealed = await api.sealTable(tableFromArrays({ id: Int32Array.from([1]) }), {
      signer: writer,
      recipients: { r: [alice.publicKey] },
      policy: { fields: {}, default: ['r'] },
    })
    const cut = api.OpenStream.from(sealed.subarray(0, sealed.length - 1), read)
    await expect(drain(cut.readable)).rejects.toMatchObject({ code: 'TRUNCATED' })
    const locked = new ReadableStream<Uint8Array>()
    locked.getReader()
    expect(() => api.OpenStream.from(locked, read)).toThrow(TypeError)
  })
}
