/**
 * Picture 5 (docs/guides/pipelines.md): a sealed pipeline over NATS JetStream, as src/nats lays it out: writer
 * processes publish each stream's header on `<subject>.h.<id>` and its frames on `<subject>.f.<id>`; one durable
 * consumer on the headers is the reader group's work queue, and each claimed stream's frames are read in order,
 * through the group's per-stream position, by the one member that claimed it.
 */
import { arrow, box, curve, type Diagram, label, textWidth, wrap } from './svg.js'

const WRITERS = ['writer process 1', 'writer process 2', 'writer process 3']
const READERS = ['reader A (group analytics)', 'reader B (group analytics)']
const BROKER = [
  { lines: ['<subject>.h.<id>: signed headers', 'the work queue (durable consumer)'], kind: 'public' },
  { lines: ['<subject>.f.<id>: sealed frames,', 'in parts; one position per stream'], kind: 'sealed' },
]

export function pipelineFlowDiagram(): Diagram {
  const pad = 16
  const wW = Math.max(...WRITERS.map((t) => textWidth(t)), textWidth('SealStream → publish')) + 24
  const rW = Math.max(...READERS.map((t) => textWidth(t)), textWidth('verify → release → ack')) + 24
  const bInner = Math.max(...BROKER.flatMap((b) => b.lines.map((l) => textWidth(l)))) + 24
  const bW = bInner + 32
  const h = 48
  const gap = 18
  const top = 40
  const xB = pad + wW + 70
  const xR = xB + bW + 70
  let body = ''
  body += label(pad, 20, 'writers (any number of processes)')
  body += label(xB, 20, 'NATS JetStream: one stream per pipeline')
  body += label(xR, 20, 'reader group: one durable pull consumer')
  // The broker: a frame around the two subjects it stores.
  const bH = 2 * (h + 26) + 30
  body += box(xB, top, bW, bH, [], 'plain')
  const inner = BROKER.map((b, i) => ({ ...b, y: top + 16 + i * (h + 26 + 14) }))
  for (const b of inner) body += box(xB + 16, b.y, bInner, h + 10, b.lines, b.kind)
  WRITERS.forEach((t, i) => {
    const y = top + i * (h + gap)
    body += box(pad, y, wW, h, [t, 'SealStream → publish'], 'step')
    for (const b of inner) body += arrow(curve(pad + wW, y + h / 2, xB + 14, b.y + (h + 10) / 2))
  })
  READERS.forEach((t, i) => {
    const y = top + 20 + i * (h + 40)
    body += box(xR, y, rW, h, [t, 'verify → release → ack'], 'ok')
    body += arrow(curve(xB + 16 + bInner, inner[0]!.y + (h + 10) / 2, xR - 2, y + h / 3))
    body += arrow(curve(xB + 16 + bInner, inner[1]!.y + (h + 10) / 2, xR - 2, y + (2 * h) / 3))
  })
  const foot = top + Math.max(3 * (h + gap), bH) + 20
  const note1 =
    'Each stream is claimed by one reader and read in order; a reader that dies loses its claims after ack_wait.'
  const note2 = 'The broker stores and routes bytes: it sees what inspect shows, never a key or a sealed value.'
  body += label(pad, foot, note1)
  body += label(pad, foot + 20, note2)
  const width =
    Math.max(
      xR + rW,
      xR + textWidth('reader group: one durable pull consumer'),
      pad + textWidth(note1),
      pad + textWidth(note2),
    ) + pad
  const alt =
    `Three writer processes each seal streams and publish them to NATS JetStream: the signed header of a stream on the subject <subject>.h.<id>, ` +
    'which is the work queue read through one durable consumer, and its sealed frames, cut into parts, on <subject>.f.<id>. ' +
    'Two reader processes of the group analytics share that durable consumer: each claims one stream at a time, reads its frames in order ' +
    'through a per-stream position, verifies each batch, releases it and only then acknowledges it. ' +
    `${note1} ${note2}`
  return wrap(
    'pipeline-flow',
    'A sealed pipeline: writer processes → JetStream → a reader group',
    alt,
    width,
    foot + 36,
    body,
  )
}
