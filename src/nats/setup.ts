/**
 * JetStream objects a pipeline needs: the stream that stores `<subject>.h.*` and `<subject>.f.*`, a reader group's
 * shared work-queue consumer on the headers, and the per-stream consumer that holds one reader's position in one
 * sealed stream. Separate from the reader so the publisher can create the stream too, and so the configuration
 * that the delivery guarantees rest on (explicit acks, ack-all positions) is in one place.
 * @module
 */

import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiError,
  type JetStreamManager,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
} from '@nats-io/jetstream'
import type { NatsConnection } from '@nats-io/nats-core'
import { BrokerError } from '../errors.js'
import { HDR, type PipelineSubjects } from './envelope.js'

const NS_PER_MS = 1_000_000

/** JetStream's "not found" API codes for a stream (10059) and a consumer (10014). */
function isNotFound(err: unknown): boolean {
  return err instanceof JetStreamApiError && (err.code === 10059 || err.code === 10014)
}

/** Wraps a JetStream API failure as a typed error (the cause keeps the broker's own message). */
export function unavailable(what: string, err: unknown): BrokerError {
  if (err instanceof BrokerError) return err
  return new BrokerError('BROKER_UNAVAILABLE', `JetStream: ${what} failed`, { cause: err })
}

/** Creates the pipeline's stream unless it exists (file storage, limits retention: the operator sets max age). */
export async function ensurePipeline(nc: NatsConnection, s: PipelineSubjects): Promise<JetStreamManager> {
  let jsm: JetStreamManager
  try {
    jsm = await jetstreamManager(nc)
  } catch (err) {
    throw unavailable('opening the JetStream API (is JetStream enabled?)', err)
  }
  try {
    await jsm.streams.info(s.stream)
    return jsm
  } catch (err) {
    if (!isNotFound(err)) throw unavailable(`looking up stream ${s.stream}`, err)
  }
  try {
    await jsm.streams.add({
      name: s.stream,
      subjects: [s.headers, s.framesAll],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
    })
  } catch (err) {
    // Two writers racing to create it: the loser finds it there.
    try {
      await jsm.streams.info(s.stream)
    } catch {
      throw unavailable(`creating stream ${s.stream}`, err)
    }
  }
  return jsm
}

/**
 * The reader group's work queue: one durable pull consumer over every header, explicit acks, so each sealed
 * stream is held by one reader at a time and goes to another if that reader stops renewing it.
 */
export async function ensureGroup(jsm: JetStreamManager, s: PipelineSubjects, group: string, ackWaitMs: number) {
  try {
    await jsm.consumers.add(s.stream, {
      durable_name: group,
      filter_subject: s.headers,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: ackWaitMs * NS_PER_MS,
      max_deliver: -1,
    })
  } catch (err) {
    throw unavailable(`creating reader group ${group}`, err)
  }
}

/** Name of the per-stream consumer holding group `group`'s position in stream `id`. */
export function positionName(group: string, id: string): string {
  return `${group}_${id}`
}

/**
 * Binds the group's position in one sealed stream, in one look-up: `complete` if the group already finished it
 * (its position acknowledged everything on the frames subject, the last message acknowledged being the end frame),
 * else a durable consumer on its frames subject with ack-all, so acknowledging a frame's last part acknowledges
 * every message before it in one step; `resumed` if a position existed, `fresh` if it was just created.
 *
 * `complete` is what tells a header republished after its stream completed (outside the duplicate window) from a
 * new stream: a duplicate claim, acknowledged and skipped. Broker metadata, not authenticated: a lying broker can
 * make a reader skip a stream, which it can do anyway by withholding it.
 *
 * A resumed position is re-created at its acknowledged floor: the messages a dead reader had been handed but not
 * acknowledged would otherwise come back only after ack_wait, *after* newer ones, and a stream's frames must
 * arrive in order. The new consumer starts at the first message after the floor, with nothing pending.
 */
export async function claimPosition(
  jsm: JetStreamManager,
  s: PipelineSubjects,
  group: string,
  id: string,
  ackWaitMs: number,
): Promise<'complete' | 'resumed' | 'fresh'> {
  const name = positionName(group, id)
  let floor: number | null = null
  try {
    const info = await jsm.consumers.info(s.stream, name)
    floor = info.ack_floor.stream_seq
    if (info.num_pending === 0 && info.num_ack_pending === 0 && floor !== 0) {
      const last = await jsm.streams.getMessage(s.stream, { seq: floor })
      if (last?.header.get(HDR.kind) === 'end') return 'complete'
    }
  } catch (err) {
    if (!isNotFound(err)) throw unavailable(`reading position ${name}`, err)
  }
  try {
    if (floor !== null) await jsm.consumers.delete(s.stream, name)
    await jsm.consumers.add(s.stream, {
      durable_name: name,
      filter_subject: s.frames(id),
      ack_policy: AckPolicy.All,
      ...(floor
        ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: floor + 1 }
        : { deliver_policy: DeliverPolicy.All }),
      ack_wait: ackWaitMs * NS_PER_MS,
      max_deliver: -1,
      // A position whose reader group vanished is removed by the server after a day.
      inactive_threshold: 24 * 3600 * 1000 * NS_PER_MS,
    })
  } catch (err) {
    throw unavailable(`creating position ${name}`, err)
  }
  return floor !== null ? 'resumed' : 'fresh'
}

/** Removes a finished stream's position (best effort: the inactivity threshold removes it otherwise). */
export async function dropPosition(jsm: JetStreamManager, s: PipelineSubjects, group: string, id: string) {
  await jsm.consumers.delete(s.stream, positionName(group, id)).catch(() => {})
}
