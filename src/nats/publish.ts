/**
 * The writer side: seals record batches with the Node `SealStream` and publishes the sealed pieces to JetStream,
 * the header on `<subject>.h.<id>` (which is also the work item reader groups share) and each frame, cut into
 * parts below the broker's payload limit, on `<subject>.f.<id>`. Sealing is not duplicated here: this file only
 * moves bytes the sealer made.
 * @module
 */

import type { JetStreamClient, PubAck } from '@nats-io/jetstream'
import { jetstream } from '@nats-io/jetstream'
import type { NatsConnection } from '@nats-io/nats-core'
import { bytesToHex } from '@noble/hashes/utils.js'
import { RecordBatch, Table } from 'apache-arrow'
import { decodeGroupSchema } from '../arrow/index.js'
import { ArrowSealError, BrokerError } from '../errors.js'
import { GROUP_KIND_PUBLIC, HARD_LIMITS } from '../format/constants.js'
import { parseHeader } from '../format/header.js'
import { FrameSplitter } from '../format/reader.js'
import { SealStream } from '../index.node.js'
import type { SealStreamInit } from '../stream/seal-stream.js'
import {
  checkRoute,
  DEFAULT_CHUNK_BYTES,
  envelopeHeaders,
  type MessageKind,
  type PipelineSubjects,
  pipelineSubjects,
} from './envelope.js'
import { ensurePipeline } from './setup.js'

/**
 * Options of {@link publishSealed}: the seal options, plus where and how to publish.
 *
 * @example
 * ```ts
 * const options: NatsPublishOptions = { signer: writer, recipients, policy, route: ['tenant'] }
 * ```
 */
export interface NatsPublishOptions extends SealStreamInit {
  /**
   * Keys of the schema-level metadata to copy into `Arrowseal-Route-<key>` headers of the header message, so that
   * a router can steer the stream before verifying it. Each must be *public* schema metadata (the policy's
   * `schemaMetadata: 'public'`): the reader checks every routing header against the signed header and refuses a
   * stream whose headers disagree (`BROKER_MISMATCH`).
   */
  readonly route?: readonly string[]
  /** JetStream stream name (default `ASEAL_<subject>` with dots as underscores). */
  readonly stream?: string
  /** Create the JetStream stream if it does not exist (default true). */
  readonly ensureStream?: boolean
  /** Largest message payload (default: a little under the server's `max_payload`). */
  readonly chunkBytes?: number
  /** Publishes awaiting their acknowledgement at once (default 64): more in flight, more throughput. */
  readonly inFlight?: number
}

/**
 * What {@link publishSealed} reports once the broker has acknowledged every message.
 *
 * @example
 * ```ts
 * const { streamId, batches, messages } = await publishSealed(nc, 'sensors', table, options)
 * ```
 */
export interface PublishedStream {
  /** The stream id (32 lower-case hex digits, as `inspect` shows it). */
  readonly streamId: string
  readonly subject: string
  readonly batches: number
  /** Messages stored by JetStream (header, frame parts, end). */
  readonly messages: number
  /** Sealed bytes published. */
  readonly bytes: number
  /** Messages JetStream dropped as duplicates of an earlier publish (a retry within the duplicate window). */
  readonly duplicates: number
}

/** What publishes one stream's pieces in order, pipelined; shared with the tests that craft pieces by hand. */
export class PiecePublisher {
  readonly #js: JetStreamClient
  readonly #subjects: PipelineSubjects
  readonly #chunk: number
  readonly #window: number
  readonly #pending: Promise<PubAck>[] = []
  readonly #dedupe: boolean
  #id = ''
  #slot = 0
  messages = 0
  duplicates = 0
  bytes = 0

  /** @param dedupe - send `Nats-Msg-Id` headers (false only in tests that publish duplicates on purpose). */
  constructor(js: JetStreamClient, subjects: PipelineSubjects, chunkBytes: number, inFlight = 64, dedupe = true) {
    this.#dedupe = dedupe
    this.#js = js
    this.#subjects = subjects
    this.#chunk = chunkBytes
    this.#window = inFlight
  }

  get streamId(): string {
    return this.#id
  }

  /** Names the stream without publishing a header (plain-bytes baselines in bench/nats.ts). */
  useStreamId(id: string): void {
    this.#id = id
  }

  /** The header: fixes the stream id that every later message names. */
  async header(bytes: Uint8Array, route: Readonly<Record<string, string>> = {}, id?: string): Promise<void> {
    this.#id = id ?? bytesToHex(parseHeader(bytes).streamId)
    await this.#send(
      this.#subjects.header(this.#id),
      bytes,
      envelopeHeaders(this.#id, 'header', undefined, undefined, route, this.#dedupe),
    )
  }

  /** One whole frame, length prefix included, as parts; `kind` says whether it is the end frame. */
  async frame(bytes: Uint8Array, kind: 'batch' | 'end', slot = this.#slot): Promise<void> {
    const count = Math.max(1, Math.ceil(bytes.length / this.#chunk))
    for (let i = 0; i < count; i++) {
      const part = bytes.subarray(i * this.#chunk, Math.min(bytes.length, (i + 1) * this.#chunk))
      await this.#send(
        this.#subjects.frames(this.#id),
        part,
        envelopeHeaders(this.#id, kind, slot, { index: i, count }, undefined, this.#dedupe),
      )
    }
    if (kind === 'batch') this.#slot = slot + 1
  }

  /** The writer gave up: tells readers at once instead of after their idle timeout. Not authenticated. */
  async abort(): Promise<void> {
    if (!this.#id) return
    const kind: MessageKind = 'abort'
    await this.#send(this.#subjects.frames(this.#id), new Uint8Array(0), envelopeHeaders(this.#id, kind)).catch(
      () => {},
    )
    await this.flush().catch(() => {})
  }

  /** Waits for every acknowledgement. */
  async flush(): Promise<void> {
    while (this.#pending.length > 0) this.#count(await this.#pending.shift()!)
  }

  async #send(subject: string, data: Uint8Array, headers: ReturnType<typeof envelopeHeaders>): Promise<void> {
    const ack = this.#js.publish(subject, data, { headers, timeout: 10_000 })
    ack.catch(() => {})
    this.#pending.push(ack)
    this.bytes += data.length
    while (this.#pending.length >= this.#window) this.#count(await this.#pending.shift()!)
  }

  #count(ack: PubAck): void {
    this.messages++
    if (ack.duplicate) this.duplicates++
  }
}

/**
 * Seals record batches and publishes them as one sealed stream on `subject`: the signed header first, then every
 * frame, then the authenticated end frame, each acknowledged by JetStream before this resolves. If sealing or
 * publishing fails, no end frame is sent (readers see a truncated stream, never a short valid one) and an abort
 * message tells them so at once.
 *
 * @param nc - an open NATS connection (`@nats-io/transport-node`'s `connect`).
 * @param subject - the pipeline's subject, dot-separated tokens without wildcards.
 * @param input - a table, or record batches (of one schema) from an iterable, async iterable or ReadableStream.
 * @throws BrokerError `BROKER_UNAVAILABLE` when JetStream refuses a message or does not answer.
 * @example
 * ```ts
 * import { connect } from '@nats-io/transport-node'
 * import { tableFromArrays } from 'apache-arrow'
 * import { generateIdentity } from 'arrowseal'
 * import { publishSealed } from 'arrowseal/nats'
 * const writer = await generateIdentity()
 * const alice = await generateIdentity()
 * const nc = await connect({ servers: '127.0.0.1:4222' })
 * const sent = await publishSealed(nc, 'sensors', tableFromArrays({ id: Int32Array.from([1, 2]) }), {
 *   signer: writer, recipients: { analysts: [alice.publicKey] }, policy: { fields: { id: ['analysts'] } },
 * })
 * console.log(sent.streamId, sent.batches) // '…32 hex digits…' 1
 * await nc.close()
 * ```
 */
export async function publishSealed(
  nc: NatsConnection,
  subject: string,
  input: Table | Iterable<RecordBatch> | AsyncIterable<RecordBatch> | ReadableStream<RecordBatch>,
  options: NatsPublishOptions,
): Promise<PublishedStream> {
  const subjects = pipelineSubjects(subject, options.stream)
  const routeKeys = [...(options.route ?? [])]
  const maxPayload = nc.info?.max_payload ?? 1024 * 1024
  const chunk = options.chunkBytes ?? Math.min(DEFAULT_CHUNK_BYTES, maxPayload - 16 * 1024)
  if (!Number.isSafeInteger(chunk) || chunk < 4096 || chunk > maxPayload - 1024)
    throw new RangeError(`chunkBytes: 4096 … ${maxPayload - 1024} (the server's max_payload less room for headers)`)
  // The stream look-up (a round trip) runs while the header is sealed; the first publish waits for it.
  const pipeline = options.ensureStream !== false ? ensurePipeline(nc, subjects) : Promise.resolve()
  pipeline.catch(() => {}) // observed before the first publish
  const schema = input instanceof Table ? input.schema : options.schema
  const sealer = new SealStream(schema ? { ...options, schema } : options)
  const publisher = new PiecePublisher(jetstream(nc), subjects, chunk, options.inFlight)
  const writing = pump(toReadable(input), sealer.writable)
  const splitter = new FrameSplitter(HARD_LIMITS.maxFrameBytes)
  let batches = 0
  try {
    for await (const chunkBytes of sealer.readable) {
      for (const piece of splitter.push(chunkBytes)) {
        if (piece.type === 'header') {
          await pipeline
          await publisher.header(piece.bytes, routeOf(piece.bytes, routeKeys))
          continue
        }
        // The sealer writes the end frame last; its kind byte is 2 (format.md, "Frames").
        const end = piece.bytes[0] === 2
        await publisher.frame(withPrefix(piece.bytes), end ? 'end' : 'batch')
        if (end) splitter.markEnded()
        else batches++
      }
    }
    await writing
    await publisher.flush()
  } catch (err) {
    await writing.catch(() => {})
    await publisher.abort()
    if (
      !(err instanceof ArrowSealError) &&
      err instanceof Error &&
      /timeout|TIMEOUT|503|no responders|closed|CONNECTION/i.test(`${err.name} ${err.message}`)
    )
      throw new BrokerError('BROKER_UNAVAILABLE', 'JetStream did not acknowledge a message of the stream', {
        cause: err,
      })
    throw err
  }
  return {
    streamId: publisher.streamId,
    subject,
    batches,
    messages: publisher.messages,
    bytes: publisher.bytes,
    duplicates: publisher.duplicates,
  }
}

/** The frame's bytes with its 4-byte length field again: the splitter hands out the part after it. */
function withPrefix(body: Uint8Array): Uint8Array {
  if (body.byteOffset >= 4) {
    const view = new Uint8Array(body.buffer, body.byteOffset - 4, body.length + 4)
    if (new DataView(view.buffer, view.byteOffset, 4).getUint32(0) === body.length) return view
  }
  const out = new Uint8Array(body.length + 4)
  new DataView(out.buffer).setUint32(0, body.length)
  out.set(body, 4)
  return out
}

/** The routing values for `keys`, read from the public group's schema metadata of the header just sealed. */
function routeOf(header: Uint8Array, keys: readonly string[]): Record<string, string> {
  if (keys.length === 0) return {}
  const parsed = parseHeader(header)
  const pub = parsed.groups.find((g) => g.kind === GROUP_KIND_PUBLIC)
  const meta = pub
    ? decodeGroupSchema(pub.schema, { maxFields: HARD_LIMITS.maxFieldsPerGroup }).schema.metadata
    : new Map()
  const route: Record<string, string> = {}
  for (const k of keys) {
    const v = meta.get(k)
    if (v === undefined)
      throw new TypeError(`route: "${k}" is not public schema metadata (set policy.schemaMetadata to 'public')`)
    route[k] = v
  }
  checkRoute(route)
  return route
}

function toReadable(
  input: Table | Iterable<RecordBatch> | AsyncIterable<RecordBatch> | ReadableStream<RecordBatch>,
): ReadableStream<RecordBatch> {
  if (input instanceof ReadableStream) return input
  const source: Iterable<RecordBatch> | AsyncIterable<RecordBatch> = input instanceof Table ? input.batches : input
  const it: Iterator<RecordBatch> | AsyncIterator<RecordBatch> =
    Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source[Symbol.iterator]()
  // Pulled one batch at a time, so a large input is never all in memory.
  return new ReadableStream<RecordBatch>({
    async pull(controller) {
      const r = await it.next()
      if (r.done) return controller.close()
      if (!(r.value instanceof RecordBatch)) throw new TypeError('publishSealed: input must yield RecordBatch')
      controller.enqueue(r.value)
    },
    async cancel() {
      await it.return?.()
    },
  })
}

async function pump(from: ReadableStream<RecordBatch>, to: WritableStream<RecordBatch>): Promise<void> {
  await from.pipeTo(to)
}
