/**
 * One side of one bench/nats.ts run, in its own process (forked by the parent with an IPC channel): a writer or
 * a reader, plain or sealed. It connects and prepares (batches built, group joined, consumer bound), sends
 * `ready`, waits for `go`, runs, and sends `done` with its own wall and CPU time. Nothing here is timed against
 * the other process: the parent times from `go` to the last `done`.
 * @module
 */

import { writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream'
import type { NatsConnection } from '@nats-io/nats-core'
import { connect } from '@nats-io/transport-node'
import { type RecordBatch, Table, tableFromIPC, tableToIPC } from 'apache-arrow'
import { OpenStream, SealStream } from '../src/index.node.js'
import { pipelineSubjects, readEnvelope } from '../src/nats/envelope.js'
import { NatsStreamReader, publishSealed } from '../src/nats/index.js'
import { PiecePublisher } from '../src/nats/publish.js'
import {
  drain,
  makeBatches,
  openOptions,
  PART_BYTES,
  PULL_MESSAGES,
  plainStreamId,
  sealOptions,
  streamOf,
} from './nats-data.js'

/** What the parent asks of this process (argv[2], JSON). */
export interface PeerArgs {
  role: 'plain-write' | 'plain-read' | 'sealed-write' | 'sealed-read'
  server: string
  subject: string
  run: string
  batches: number
  rows: number
  /** The sealed writer's and reader's `workers` option (0: seal and open in the process's main thread). */
  workers: number
  /** Write a V8 CPU profile of the timed part (from `go` to `done`) to this directory. */
  profDir?: string
}

/** What this process reports back. */
export type PeerReport =
  | { type: 'ready' }
  | { type: 'done'; ms: number; cpuMs: number; rows: number }
  | { type: 'error'; message: string }

const args = JSON.parse(process.argv[2]!) as PeerArgs
const send = (m: PeerReport) => process.send!(m)
const go = new Promise<void>((resolve) => process.once('message', () => resolve()))

/**
 * Warms this process's JIT on the work it is about to do, in memory, so that both cases are measured as the
 * long-running services they are in a deployment, not as cold starts: encode and decode, or seal and open.
 */
async function warmUp(kind: 'plain' | 'sealed'): Promise<void> {
  const batches = makeBatches(2, args.rows)
  for (let round = 0; round < 3; round++) {
    if (kind === 'plain') {
      for (const b of batches) tableFromIPC(tableToIPC(new Table([b]), 'stream'))
      continue
    }
    const sealed = await drain(streamOf(batches).pipeThrough(new SealStream(sealOptions)))
    await drain(streamOf(sealed).pipeThrough(new OpenStream(openOptions)))
  }
}

async function plainWrite(nc: NatsConnection): Promise<() => Promise<number>> {
  const batches = makeBatches(args.batches, args.rows)
  const pub = new PiecePublisher(jetstream(nc), pipelineSubjects(args.subject), PART_BYTES)
  pub.useStreamId(plainStreamId(args.run)) // no header message: the work queue is for sealed streams
  return async () => {
    // The honest plain usage: encode each batch as Arrow IPC, publish it in parts, the same acks in flight.
    for (const [i, b] of batches.entries()) await pub.frame(tableToIPC(new Table([b]), 'stream'), 'batch', i)
    await pub.flush()
    return batches.length * args.rows
  }
}

async function plainRead(nc: NatsConnection): Promise<() => Promise<number>> {
  const s = pipelineSubjects(args.subject)
  const name = `plain_${args.run}`
  await (await jetstreamManager(nc)).consumers.add(s.stream, {
    durable_name: name,
    filter_subject: s.frames(plainStreamId(args.run)),
    ack_policy: AckPolicy.All,
    deliver_policy: DeliverPolicy.All,
  })
  const consumer = await jetstream(nc).consumers.get(s.stream, name)
  return async () => {
    const messages = await consumer.consume({ max_messages: PULL_MESSAGES })
    let rows = 0
    let done = 0
    let parts: Uint8Array[] = []
    for await (const m of messages) {
      const env = readEnvelope(m.subject, m.headers, s)
      parts.push(m.data)
      if (env.part + 1 < env.parts) continue
      const whole = parts.length === 1 ? parts[0]! : Buffer.concat(parts)
      parts = []
      rows += tableFromIPC(whole).numRows
      m.ack() // ack-all, after the batch decoded: as the sealed reader does
      if (++done === args.batches) break
    }
    messages.stop()
    return rows
  }
}

async function sealedWrite(nc: NatsConnection): Promise<() => Promise<number>> {
  const batches: RecordBatch[] = makeBatches(args.batches, args.rows)
  return async () => {
    const sent = await publishSealed(nc, args.subject, batches, { ...sealOptions, workers: args.workers })
    return sent.batches * args.rows
  }
}

async function sealedRead(nc: NatsConnection): Promise<() => Promise<number>> {
  const r = await NatsStreamReader.join(nc, {
    ...openOptions,
    subject: args.subject,
    group: `sealed_${args.run}`,
    workers: args.workers,
  })
  return async () => {
    // The subject holds no other sealed stream (plain runs publish no header), so the first claim is this run's.
    const stream = await r.next(30_000)
    if (!stream) throw new Error('sealed: no stream claimed')
    let rows = 0
    for await (const b of stream) rows += b.numRows
    return rows
  }
}

/** The same V8 profiler as `node --cpu-prof`, started at `go` so that start-up and preparation stay out of it. */
async function startProfile(): Promise<() => Promise<void>> {
  const session = new Session()
  session.connect()
  await session.post('Profiler.enable')
  await session.post('Profiler.setSamplingInterval', { interval: 200 })
  await session.post('Profiler.start')
  return async () => {
    const { profile } = await session.post('Profiler.stop')
    writeFileSync(`${args.profDir}/${args.role}-${args.run}.cpuprofile`, JSON.stringify(profile))
    session.disconnect()
  }
}

const roles = {
  'plain-write': plainWrite,
  'plain-read': plainRead,
  'sealed-write': sealedWrite,
  'sealed-read': sealedRead,
}
const nc = await connect({ servers: args.server })
try {
  const work = await roles[args.role](nc)
  await warmUp(args.role.startsWith('plain') ? 'plain' : 'sealed')
  send({ type: 'ready' })
  await go
  const prof = args.profDir ? await startProfile() : undefined
  const c0 = process.cpuUsage()
  const t0 = performance.now()
  const rows = await work()
  const ms = performance.now() - t0
  const c = process.cpuUsage(c0)
  await prof?.()
  send({ type: 'done', ms, cpuMs: (c.user + c.system) / 1000, rows })
} catch (err) {
  send({ type: 'error', message: err instanceof Error ? err.message : String(err) })
} finally {
  await nc.close()
  process.disconnect()
}
