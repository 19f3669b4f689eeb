/**
 * Streaming writer: a WHATWG TransformStream from record batches to sealed bytes, like CompressionStream.
 * @module
 */
import type { RecordBatch, Schema } from 'apache-arrow'
import type { SealOptions } from '../seal/options.js'
import { webRandom } from '../seal/random.js'
import { type Runtime, webRuntime } from '../seal/runtime.js'
import { Sealer } from '../seal/sealer.js'

/**
 * Seals a stream of record batches. The first chunk written out is the signed header, then one frame per
 * batch, then (when the writable side closes) the authenticated end frame. If anything fails, or the writable
 * side is aborted, no end frame is ever written, so readers see a truncated stream, never a short valid one.
 * Memory stays at one batch plus a constant.
 *
 * The stream's schema comes from `schema` or from the first batch; every batch must have that schema.
 *
 * @example
 * ```ts
 * import { tableFromArrays } from 'apache-arrow'
 * import { generateIdentity, SealStream } from 'arrowseal'
 * const writer = await generateIdentity()
 * const alice = await generateIdentity()
 * const table = tableFromArrays({ id: Int32Array.from([1, 2, 3]) })
 * const batches = new ReadableStream({ start(c) { for (const b of table.batches) c.enqueue(b); c.close() } })
 * const sealed = batches.pipeThrough(
 *   new SealStream({ signer: writer, recipients: { analysts: [alice.publicKey] }, policy: { fields: { id: ['analysts'] } } }),
 * )
 * for await (const chunk of sealed) console.log(chunk.length)
 * ```
 */
export class SealStream extends TransformStream<RecordBatch, Uint8Array> {
  /**
   * @param options - seal options; `schema` fixes the stream's schema up front (needed for an empty stream).
   * @param runtime - internal: default backend and X25519; the Node entry's subclass passes node:crypto ones.
   */
  constructor(options: SealOptions & { readonly schema?: Schema }, runtime: Runtime = webRuntime) {
    let sealer: Sealer | undefined
    const start = async (schema: Schema, controller: TransformStreamDefaultController<Uint8Array>) => {
      sealer = await Sealer.create(schema, options, webRandom, runtime)
      controller.enqueue(sealer.header)
      return sealer
    }
    super({
      async transform(batch, controller) {
        const s = sealer ?? (await start(batch.schema, controller))
        controller.enqueue(await s.sealBatch(batch))
      },
      async flush(controller) {
        let s = sealer
        if (!s) {
          if (!options.schema)
            throw new TypeError(
              'SealStream: no batch was written and no schema option was given; cannot write an empty stream',
            )
          s = await start(options.schema, controller)
        }
        controller.enqueue(await s.finish())
      },
    })
  }
}
