/**
 * The envelope of a sealed stream on NATS: subjects, the JetStream stream that stores them, and the message headers
 * (stream id, kind, frame index, part, routing fields, dedupe id). Kept apart from the publisher and the reader
 * because both must agree on it byte for byte, and because everything here is *unauthenticated* broker metadata:
 * the reader parses it strictly and then holds it to the verified stream (docs/guides/pipelines.md).
 * @module
 */
import type { MsgHdrs } from '@nats-io/nats-core'
import { headers as natsHeaders } from '@nats-io/nats-core'
import { BrokerError } from '../errors.js'

/** NATS header names used by arrowseal; `Nats-Msg-Id` is JetStream's own dedupe header. */
export const HDR = {
  stream: 'Arrowseal-Stream',
  kind: 'Arrowseal-Kind',
  index: 'Arrowseal-Index',
  part: 'Arrowseal-Part',
  routePrefix: 'Arrowseal-Route-',
  msgId: 'Nats-Msg-Id',
} as const

/** What one message carries: the header, a part of a batch or end frame, or the writer's (unauthenticated) abort. */
export type MessageKind = 'header' | 'batch' | 'end' | 'abort'

const KINDS: ReadonlySet<string> = new Set(['header', 'batch', 'end', 'abort'])
const TOKEN = /^[A-Za-z0-9_-]{1,64}$/
const STREAM_HEX = /^[0-9a-f]{32}$/
const ROUTE_VALUE = /^[\x20-\x7e]{0,256}$/
const DECIMAL = /^(0|[1-9][0-9]{0,15})$/
/** Frames are cut into parts of at most this many bytes, below NATS's default 1 MiB max_payload with headroom. */
export const DEFAULT_CHUNK_BYTES = 1024 * 1024 - 16 * 1024
/** Hard cap on parts per frame: a 1 GiB frame (the format's hard limit) in 4 KiB parts. */
export const MAX_PARTS = 262_144

/**
 * Subjects of a pipeline rooted at `subject`: headers (the work queue) on `subject.h.<id>`, frames on
 * `subject.f.<id>`, both captured by one JetStream stream.
 *
 * @example
 * ```ts
 * const s = pipelineSubjects('sensors')
 * s.frames('00112233445566778899aabbccddeeff') // 'sensors.f.00112233445566778899aabbccddeeff'
 * ```
 */
export function pipelineSubjects(subject: string, stream?: string) {
  checkSubject(subject)
  const name = stream ?? `ASEAL_${subject.replace(/[^A-Za-z0-9_-]/g, '_')}`
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(name))
    throw new TypeError('stream: a JetStream stream name of letters, digits, - and _ (at most 128)')
  return {
    root: subject,
    stream: name,
    headers: `${subject}.h.*`,
    framesAll: `${subject}.f.*`,
    header: (id: string) => `${subject}.h.${id}`,
    frames: (id: string) => `${subject}.f.${id}`,
  }
}

/** The subjects of one pipeline (see {@link pipelineSubjects}). */
export type PipelineSubjects = ReturnType<typeof pipelineSubjects>

/** A subject of plain tokens: no wildcards, so that `.h.*` and `.f.*` below it are exactly arrowseal's. */
export function checkSubject(subject: unknown): asserts subject is string {
  if (typeof subject !== 'string' || subject.length > 200 || !subject.split('.').every((t) => TOKEN.test(t)))
    throw new TypeError('subject: dot-separated tokens of letters, digits, - and _ (no wildcards, at most 200 chars)')
}

/** A durable consumer (reader group) name. */
export function checkGroup(group: unknown): asserts group is string {
  if (typeof group !== 'string' || !TOKEN.test(group)) throw new TypeError('group: 1–64 letters, digits, - and _')
}

/** Routing fields as NATS headers: keys are header-safe tokens, values printable ASCII. */
export function checkRoute(route: Readonly<Record<string, string>>): void {
  for (const [k, v] of Object.entries(route)) {
    if (!TOKEN.test(k)) throw new TypeError(`route key "${k.slice(0, 64)}": 1–64 letters, digits, - and _`)
    if (typeof v !== 'string' || !ROUTE_VALUE.test(v))
      throw new TypeError(`route value of "${k}": at most 256 printable ASCII characters`)
  }
}

/** Headers of one message of stream `id`. */
export function envelopeHeaders(
  id: string,
  kind: MessageKind,
  slot?: number,
  part?: { index: number; count: number },
  route?: Readonly<Record<string, string>>,
  dedupe = true,
): MsgHdrs {
  const h = natsHeaders()
  h.set(HDR.stream, id)
  h.set(HDR.kind, kind)
  if (slot !== undefined) h.set(HDR.index, String(slot))
  if (part) h.set(HDR.part, `${part.index}/${part.count}`)
  for (const [k, v] of Object.entries(route ?? {})) h.set(`${HDR.routePrefix}${k}`, v)
  // JetStream drops a second message with the same id inside the stream's duplicate window: a writer's retry.
  if (dedupe)
    h.set(HDR.msgId, `${id}.${kind === 'header' ? 'h' : kind === 'abort' ? 'x' : `${slot}.${part?.index ?? 0}`}`)
  return h
}

/** A message's envelope as parsed, not yet trusted. */
export interface Envelope {
  readonly stream: string
  readonly kind: MessageKind
  /** Frame slot: a batch's index, or for the end frame the batch count. */
  readonly slot: number
  readonly part: number
  readonly parts: number
}

const bad = (what: string) => new BrokerError('BROKER_MISMATCH', `message envelope: ${what}`)

/**
 * Parses a message's arrowseal headers strictly (each read once, each format checked), and checks the stream id
 * against the subject the message came on.
 */
export function readEnvelope(subject: string, hdrs: MsgHdrs | undefined, subjects: PipelineSubjects): Envelope {
  if (!hdrs) throw bad('no headers')
  const stream = hdrs.get(HDR.stream)
  if (!STREAM_HEX.test(stream)) throw bad('missing or malformed stream id')
  const kind = hdrs.get(HDR.kind)
  if (!KINDS.has(kind)) throw bad('unknown kind')
  const expectedSubject = kind === 'header' ? subjects.header(stream) : subjects.frames(stream)
  if (subject !== expectedSubject) throw bad('the subject names another stream than the headers')
  if (kind === 'header' || kind === 'abort') return { stream, kind: kind as MessageKind, slot: 0, part: 0, parts: 1 }
  const slotText = hdrs.get(HDR.index)
  const m = /^(\d{1,6})\/(\d{1,6})$/.exec(hdrs.get(HDR.part))
  if (!DECIMAL.test(slotText) || !m) throw bad('missing or malformed index or part')
  const slot = Number(slotText)
  const part = Number(m[1])
  const parts = Number(m[2])
  if (!Number.isSafeInteger(slot) || parts < 1 || parts > MAX_PARTS || part >= parts)
    throw bad('index or part out of range')
  return { stream, kind: kind as MessageKind, slot, part, parts }
}

/** The routing fields a message claims (`Arrowseal-Route-*` headers). */
export function readRoute(hdrs: MsgHdrs | undefined): Record<string, string> {
  const route: Record<string, string> = Object.create(null)
  if (!hdrs) return route
  for (const key of hdrs.keys()) {
    if (!key.startsWith(HDR.routePrefix)) continue
    const name = key.slice(HDR.routePrefix.length)
    const value = hdrs.get(key)
    if (!TOKEN.test(name) || !ROUTE_VALUE.test(value)) throw bad('malformed routing header')
    route[name] = value
  }
  return route
}
