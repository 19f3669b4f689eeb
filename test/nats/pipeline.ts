// Test plumbing for arrowseal/nats: a pipeline on its own subject, crafted streams published piece by piece,
// and a reader that runs one claimed stream to its end or its error.

import { jetstream } from '@nats-io/jetstream'
import type { NatsConnection } from '@nats-io/nats-core'
import { type RecordBatch, tableFromArrays } from 'apache-arrow'
import { ArrowSealError } from '../../src/errors.js'
import { sealTable } from '../../src/index.node.js'
import type { Identity } from '../../src/keys/identity.js'
import { pipelineSubjects } from '../../src/nats/envelope.js'
import { PiecePublisher } from '../../src/nats/publish.js'
import { type NatsReaderOptions, NatsStreamReader } from '../../src/nats/reader.js'
import { ensurePipeline } from '../../src/nats/setup.js'
import { splitStream } from '../helpers/streams.js'
import { dropPipeline, uniqueSubject } from './broker.js'

export function rows(n: number, seed = 0) {
  return tableFromArrays({
    id: Int32Array.from({ length: n }, (_, i) => i + seed),
    v: Float64Array.from({ length: n }, (_, i) => i * 0.25 + seed),
  })
}

/** A sealed stream of `batches` batches of 10 rows each, cut into header and frames (with length prefixes). */
export async function sealedPieces(writer: Identity, reader: Identity, batches = 3, seed = 0) {
  const t = rows(10 * batches, seed)
  const sealed = await sealTable(
    {
      [Symbol.iterator]: () =>
        Array.from({ length: batches }, (_, i) => t.slice(i * 10, (i + 1) * 10).batches[0]!)[Symbol.iterator](),
    },
    { signer: writer, recipients: { r: [reader.publicKey] }, policy: { fields: { id: 'public', v: ['r'] } } },
  )
  return splitStream(sealed)
}

/** One test's pipeline: its own subject and JetStream stream, removed by `drop`. */
export async function testPipeline(nc: NatsConnection, tag: string) {
  const subject = uniqueSubject(tag)
  const subjects = pipelineSubjects(subject)
  await ensurePipeline(nc, subjects)
  return {
    subject,
    subjects,
    /** A publisher of hand-made pieces, without dedupe ids: duplicates reach the stream, as after a retry. */
    publisher: (chunk = 1024 * 1024) => new PiecePublisher(jetstream(nc), subjects, chunk, 64, false),
    drop: () => dropPipeline(nc, subjects.stream),
  }
}

/** The outcome of reading the group's next stream: batches released, then the error code (or 'END'). */
export interface Outcome {
  readonly released: RecordBatch[]
  readonly code: string
  readonly streamId?: string
}

export async function readNext(
  nc: NatsConnection,
  options: Omit<NatsReaderOptions, 'group'> & { group?: string },
  waitMs = 3000,
): Promise<Outcome> {
  const reader = await NatsStreamReader.join(nc, { group: 'g', ...options })
  const released: RecordBatch[] = []
  try {
    const s = await reader.next(waitMs)
    if (!s) return { released, code: 'NONE' }
    for await (const b of s) released.push(b)
    return { released, code: 'END', streamId: s.streamId }
  } catch (err) {
    if (err instanceof ArrowSealError) return { released, code: err.code }
    throw err
  }
}
