/**
 * Sealed pipeline throughput through NATS JetStream (issue 15), not a timed test:
 *
 *   npx tsx bench/nats.ts [--batches N] [--rows N] [--server HOST:PORT]
 *
 * - `nats/plain`: each 64k-row batch as plain Arrow IPC stream bytes, cut into parts below max_payload, published
 *   on the pipeline's frames subject with the same envelope headers, read back by a durable pull consumer with
 *   ack-all (a frame acknowledged after it decoded), decoded with apache-arrow.
 * - `nats/sealed`: the same batches through `publishSealed` and a `NatsStreamReader` (sealed, signed, verified and
 *   decrypted, the claim and position machinery included).
 *
 * Both write and read concurrently in this one process, through the same JetStream stream on file storage, and
 * run side by side: plain, sealed, sealed, plain, after a small warm-up of each. The figure is rows/s from the
 * first publish to the last batch decoded; the ratio is sealed over plain. Target (issue 15): ≥ 0.8.
 * @module
 */
import { loadavg } from 'node:os'
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream'
import type { NatsConnection } from '@nats-io/nats-core'
import { connect } from '@nats-io/transport-node'
import { type RecordBatch, Table, tableFromIPC, tableToIPC, Utf8, vectorFromArray } from 'apache-arrow'
import { identityFromSeed } from '../src/keys/identity.js'
import { pipelineSubjects, readEnvelope } from '../src/nats/envelope.js'
import { NatsStreamReader, publishSealed } from '../src/nats/index.js'
import { PiecePublisher } from '../src/nats/publish.js'
import { ensurePipeline } from '../src/nats/setup.js'

const args = process.argv.slice(2)
const opt = (name: string) => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 ? args[i + 1] : undefined
}
const BATCHES = Number(opt('batches') ?? 24)
const ROWS = Number(opt('rows') ?? 65_536)
const server = opt('server') ?? '127.0.0.1:4222'
const writer = identityFromSeed(new Uint8Array(32).fill(31))
const reader = identityFromSeed(new Uint8Array(32).fill(32))

function makeBatches(n: number): RecordBatch[] {
  const out: RecordBatch[] = []
  for (let b = 0; b < n; b++) {
    const t = new Table({
      id: vectorFromArray(Int32Array.from({ length: ROWS }, (_, i) => b * ROWS + i)),
      amount: vectorFromArray(Float64Array.from({ length: ROWS }, (_, i) => (i * 7919) % 100_003)),
      // Plain Utf8 (tableFromArrays would dictionary-encode strings, with a new dictionary id per table).
      code: vectorFromArray(
        Array.from({ length: ROWS }, (_, i) => `c${(i * 31) % 9973}`),
        new Utf8(),
      ),
    })
    out.push(...t.batches)
  }
  return out
}

async function plain(nc: NatsConnection, subject: string, batches: RecordBatch[], run: string): Promise<number> {
  const s = pipelineSubjects(subject)
  const jsm = await jetstreamManager(nc)
  const js = jetstream(nc)
  const id = Buffer.from(run).toString('hex').padStart(32, '0')
  await jsm.consumers.add(s.stream, {
    durable_name: `plain_${run}`,
    filter_subject: s.frames(id),
    ack_policy: AckPolicy.All,
    deliver_policy: DeliverPolicy.All,
  })
  const t0 = performance.now()
  const publishing = (async () => {
    const pub = new PiecePublisher(js, s, 1024 * 1024 - 16 * 1024)
    pub.useStreamId(id) // no header message: the work queue is for sealed streams
    for (const [i, b] of batches.entries()) await pub.frame(tableToIPC(new Table([b]), 'stream'), 'batch', i)
    await pub.flush()
  })()
  const consumer = await js.consumers.get(s.stream, `plain_${run}`)
  const messages = await consumer.consume({ max_messages: 32 })
  let rows = 0
  let parts: Uint8Array[] = []
  let done = 0
  for await (const m of messages) {
    const env = readEnvelope(m.subject, m.headers, s)
    parts.push(m.data)
    if (env.part + 1 < env.parts) continue
    const whole = parts.length === 1 ? parts[0]! : Buffer.concat(parts)
    parts = []
    rows += tableFromIPC(whole).numRows
    m.ack()
    if (++done === batches.length) break
  }
  messages.stop()
  await publishing
  const ms = performance.now() - t0
  await jsm.consumers.delete(s.stream, `plain_${run}`)
  if (rows !== batches.length * ROWS) throw new Error('plain: rows lost')
  return ms
}

async function sealed(nc: NatsConnection, subject: string, batches: RecordBatch[], run: string): Promise<number> {
  const group = `sealed_${run}`
  const r = await NatsStreamReader.join(nc, { subject, group, identity: reader, trustedSigners: [writer.publicKey] })
  const t0 = performance.now()
  const publishing = publishSealed(nc, subject, batches, {
    signer: writer,
    recipients: { r: [reader.publicKey] },
    policy: { fields: { id: 'public', amount: ['r'], code: ['r'] } },
  })
  // The subject holds no other sealed stream (plain runs publish no header), so the group's first claim is ours.
  const stream = await r.next(30_000)
  if (!stream) throw new Error('sealed: no stream')
  let rows = 0
  for await (const b of stream) rows += b.numRows
  await publishing
  const ms = performance.now() - t0
  if (rows !== batches.length * ROWS) throw new Error('sealed: rows lost')
  return ms
}

const nc = await connect({ servers: server })
const tag = Date.now().toString(36)
// Two pipelines, one per pair of runs, so that a plain run and a sealed run share one subject.
const subjects = [`aseal-bench-${tag}-a`, `aseal-bench-${tag}-b`, `aseal-bench-${tag}-w`]
for (const subject of subjects) await ensurePipeline(nc, pipelineSubjects(subject))
try {
  const [a, b, w] = subjects as [string, string, string]
  const batches = makeBatches(BATCHES)
  const warm = makeBatches(2)
  const ipcBytes = batches.reduce((n, x) => n + tableToIPC(new Table([x]), 'stream').length, 0)
  await plain(nc, w, warm, 'w0')
  await sealed(nc, w, warm, 'w1')
  const load0 = loadavg()[0]!
  const p1 = await plain(nc, a, batches, 'p1')
  const s1 = await sealed(nc, a, batches, 's1')
  const s2 = await sealed(nc, b, batches, 's2')
  const p2 = await plain(nc, b, batches, 'p2')
  const load1 = loadavg()[0]!
  const rate = (ms: number) => (BATCHES * ROWS) / (ms / 1000)
  const mb = (ms: number) => ipcBytes / 1e6 / (ms / 1000)
  const plainMs = (p1 + p2) / 2
  const sealedMs = (s1 + s2) / 2
  console.log(`nats: ${BATCHES} batches × ${ROWS} rows, ${(ipcBytes / 1e6).toFixed(1)} MB of Arrow IPC per pass`)
  console.log(`load average (1 min) ${load0.toFixed(2)} → ${load1.toFixed(2)}, Node ${process.version}`)
  for (const [name, ms] of [
    ['nats/plain #1', p1],
    ['nats/sealed #1', s1],
    ['nats/sealed #2', s2],
    ['nats/plain #2', p2],
  ] as const)
    console.log(
      `${name.padEnd(16)} ${(ms / 1000).toFixed(2)} s  ${Math.round(rate(ms)).toLocaleString('en')} rows/s  ${mb(ms).toFixed(1)} MB/s`,
    )
  console.log(`ratio sealed/plain: ${(plainMs / sealedMs).toFixed(3)} (target ≥ 0.8)`)
} finally {
  const jsm = await jetstreamManager(nc)
  for (const subject of subjects) await jsm.streams.delete(pipelineSubjects(subject).stream).catch(() => {})
  await nc.close()
}
