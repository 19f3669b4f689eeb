/**
 * Node stream adapters around the WHATWG {@link SealStream} and {@link OpenStream}, for `stream.pipeline`.
 *
 * Both adapters are object-mode Duplexes: the sealer takes `RecordBatch` objects and emits `Uint8Array` chunks;
 * the opener takes bytes (Buffer or Uint8Array, any split) and emits `RecordBatch` objects, each only after it has
 * been authenticated. Errors surface as the pipeline's error, with the library's `ArrowSealError` code intact.
 *
 * @module
 */
import { Duplex } from 'node:stream'
import type { ReadableStream as NodeReadableStream, WritableStream as NodeWritableStream } from 'node:stream/web'
import { OpenStream, SealStream } from '../index.node.js'

/**
 * Options of `new SealStream(…)`.
 *
 * @example
 * ```ts
 * const options: SealStreamOptions = { signer, recipients: { r: [reader.publicKey] }, policy }
 * ```
 */
export type SealStreamOptions = ConstructorParameters<typeof SealStream>[0]
/**
 * Options of `new OpenStream(…)`.
 *
 * @example
 * ```ts
 * const options: OpenStreamOptions = { identity: reader, trustedSigners: [writer.publicKey] }
 * ```
 */
export type OpenStreamOptions = ConstructorParameters<typeof OpenStream>[0]

// The DOM and node:stream/web declarations of the same runtime classes differ only nominally.
function toDuplex(pair: { readable: ReadableStream<unknown>; writable: WritableStream<never> }): Duplex {
  return Duplex.fromWeb(pair as unknown as { readable: NodeReadableStream; writable: NodeWritableStream }, {
    objectMode: true,
  })
}

/**
 * A Duplex that seals `RecordBatch` objects written to it into sealed bytes.
 *
 * @example
 * ```ts
 * import { pipeline } from 'node:stream/promises'
 * import { createWriteStream } from 'node:fs'
 * await pipeline(Readable.from(table.batches), createSealStream({ signer, recipients, policy }),
 *   createWriteStream('out.aseal'))
 * ```
 */
export function createSealStream(options: SealStreamOptions): Duplex {
  return toDuplex(
    new SealStream(options) as unknown as { readable: ReadableStream<unknown>; writable: WritableStream<never> },
  )
}

/**
 * A Duplex that opens sealed bytes written to it and emits authenticated `RecordBatch` objects.
 *
 * @example
 * ```ts
 * import { pipeline } from 'node:stream/promises'
 * const batches: RecordBatch[] = []
 * await pipeline(createReadStream('in.aseal'), createOpenStream({ identity, trustedSigners: [writerKey] }),
 *   new Writable({ objectMode: true, write(b, _e, cb) { batches.push(b); cb() } }))
 * ```
 */
export function createOpenStream(options: OpenStreamOptions): Duplex {
  return toDuplex(
    new OpenStream(options) as unknown as { readable: ReadableStream<unknown>; writable: WritableStream<never> },
  )
}

/**
 * A WHATWG ReadableStream over a (sync or async) iterable, pulling one item per read so memory stays bounded.
 *
 * @example
 * ```ts
 * readableFrom(table.batches).pipeThrough(new SealStream(options))
 * ```
 */
export function readableFrom<T>(items: Iterable<T> | AsyncIterable<T>): ReadableStream<T> {
  const it =
    Symbol.asyncIterator in items
      ? (items as AsyncIterable<T>)[Symbol.asyncIterator]()
      : (items as Iterable<T>)[Symbol.iterator]()
  return new ReadableStream<T>(
    {
      async pull(controller) {
        const next = await it.next()
        if (next.done) controller.close()
        else controller.enqueue(next.value)
      },
      async cancel() {
        await it.return?.()
      },
    },
    { highWaterMark: 0 },
  )
}
