/**
 * Picture 3 (docs/concepts/streams.md): the reader's order of checks before a batch is released, as
 * docs/format.md ("Reading the header — order of checks", "Reading a frame — order of checks") specifies them,
 * each with the error code that stops the stream.
 */
import { arrow, box, type Diagram, label, textWidth, wrap } from './svg.js'

/** One check: what is checked and the codes it fails with. */
export interface Check {
  what: string
  fails: string
}

/** The header checks, in the spec's order (docs/format.md, "Reading the header — order of checks"). */
export const HEADER_CHECKS: readonly Check[] = [
  { what: 'magic, version, suite, body length', fails: 'FORMAT_INVALID · FORMAT_UNSUPPORTED · LIMIT_EXCEEDED' },
  { what: 'structure: every count and length', fails: 'FORMAT_INVALID · LIMIT_EXCEEDED · TRUNCATED' },
  { what: 'signer is a trusted signer', fails: 'SIGNER_UNTRUSTED' },
  { what: 'signatures verify; stream id as expected', fails: 'SIGNATURE_INVALID · SESSION_* · STREAM_UNEXPECTED' },
  { what: "the reader's own stanza is there", fails: 'NOT_A_RECIPIENT · FORMAT_INVALID' },
  { what: 'HPKE opens the stanza', fails: 'AUTH_FAILED · FORMAT_INVALID' },
  { what: 'each key matches its commitment', fails: 'AUTH_FAILED (constant time)' },
  { what: 'readable hidden schemas open', fails: 'AUTH_FAILED · ARROW_INVALID' },
  { what: 'no field position claimed twice', fails: 'FORMAT_INVALID' },
]

/** The checks on every frame, in the spec's order (docs/format.md, "Reading a frame — order of checks"). */
export const FRAME_CHECKS: readonly Check[] = [
  { what: 'frame length within the limit', fails: 'LIMIT_EXCEEDED (before buffering)' },
  { what: 'frame structure', fails: 'FORMAT_INVALID · FORMAT_UNSUPPORTED · LIMIT_EXCEEDED' },
  { what: 'index = batches read so far', fails: 'FRAME_OUT_OF_ORDER' },
  { what: "the reader's own MAC", fails: 'AUTH_FAILED (constant time)' },
  { what: 'end frame: nothing after it', fails: 'TRAILING_DATA' },
  { what: 'units decrypt (AES-GCM), decode, match', fails: 'AUTH_FAILED · ARROW_INVALID · LIMIT_EXCEEDED' },
]

export function readerChecksDiagram(): Diagram {
  const all = [...HEADER_CHECKS, ...FRAME_CHECKS]
  const stepW = Math.max(...all.map((c) => textWidth(`${all.length}. ${c.what}`))) + 24
  const codeW = Math.max(...all.map((c) => textWidth(c.fails))) + 20
  const x0 = 16
  const codeX = x0 + stepW + 40
  const h = 30
  const pitch = 40
  let y = 16
  let body = ''
  let n = 0
  const section = (title: string, checks: readonly Check[]) => {
    body += label(x0, y, title)
    y += 16
    for (const c of checks) {
      n++
      body += box(x0, y, stepW, h, [`${n}. ${c.what}`], 'step')
      body += box(codeX, y, codeW, h, [c.fails], 'fail')
      body += arrow(`M${x0 + stepW},${y + h / 2} H${codeX - 2}`, 'edge-fail')
      body += arrow(`M${x0 + stepW / 2},${y + h} V${y + pitch - 2}`)
      y += pitch
    }
  }
  section('Once per stream: the header', HEADER_CHECKS)
  y += 8
  section('Every frame, in order', FRAME_CHECKS)
  body += box(x0, y, stepW, h + 8, ['release the batch (readable fields only)'], 'ok')
  body += label(codeX, y + h / 2 + 4, 'end of input before a verified end frame: TRUNCATED')
  y += h + 8
  const width = Math.max(codeX + codeW, codeX + textWidth('end of input before a verified end frame: TRUNCATED')) + 16
  const alt =
    `The reader's checks, top to bottom; the first that fails stops the stream with the code on its right. Header: ${HEADER_CHECKS.map((c, i) => `${i + 1}. ${c.what} (${c.fails})`).join('; ')}. ` +
    `Each frame: ${FRAME_CHECKS.map((c, i) => `${HEADER_CHECKS.length + i + 1}. ${c.what} (${c.fails})`).join('; ')}. Only then is the batch released. ` +
    'End of input before a verified end frame is TRUNCATED.'
  return wrap('reader-checks', 'What a reader checks before it releases a batch', alt, width, y + 16, body)
}
