/**
 * Picture 2 (docs/format.md): the layout of a sealed stream, with the byte counts of the spec's worked example.
 * The sizes are read from the worked example in docs/format.md itself, which test/format/spec-example.test.ts
 * proves is exactly what the encoder writes (scripts/format-example.ts): if the format changes, the spec test
 * fails until the example is updated, and the picture follows the example at the next docs build.
 */
import { readFileSync } from 'node:fs'
import { box, type Diagram, esc, label, textWidth, wrap } from './svg.js'

/** One row of the worked example: offset, length, field name. */
export interface ExampleRow {
  offset: number
  len: number
  name: string
}

/** The rows of the worked example in a copy of docs/format.md; throws if the block is missing or malformed. */
export function exampleRows(spec: string): ExampleRow[] {
  const block = spec.split('## Worked example')[1]?.split('```text\n')[1]?.split('\n```')[0]
  if (!block) throw new Error('docs/format.md has no worked example block')
  const rows: ExampleRow[] = []
  for (const line of block.split('\n').slice(1)) {
    if (line.startsWith('total ')) continue
    const m = /^\s*(\d+)\s+(\d+)\s\s(.+?)\s{2,}|^\s*(\d+)\s+(\d+)\s\s(\S.*?)\s\S+$/.exec(line)
    if (!m) throw new Error(`worked example: cannot read line ${JSON.stringify(line)}`)
    rows.push({ offset: Number(m[1] ?? m[4]), len: Number(m[2] ?? m[5]), name: (m[3] ?? m[6])!.trim() })
  }
  return rows
}

/** A drawn part of the stream: consecutive example rows that form one piece of the picture. */
export interface Part {
  section: string
  label: string
  detail: string
  kind: 'plain' | 'public' | 'sealed' | 'signature' | 'mac' | 'stanza'
  bytes: number
}

/** Gathers the example's rows into the parts the picture shows, in stream order. */
export function streamParts(rows: ExampleRow[]): Part[] {
  const parts: Part[] = []
  let section = 'header'
  const add = (s: string, full: string, kind: Part['kind'], bytes: number) => {
    const [lab, detail = ''] = full.split(': ') as [string, string?]
    const last = parts.at(-1)
    if (last && last.section === s && last.label === lab) last.bytes += bytes
    else parts.push({ section: s, label: lab, detail, kind, bytes })
  }
  for (const { name, len } of rows) {
    const frameField = /^(frame \d+|end frame) (length|kind|batch index|row count|unit count)$/.exec(name)
    const unit = /^unit (\d+) /.exec(name)
    const group = /^group (\d+) /.exec(name)
    const stanza = /^stanza (\d+) /.exec(name)
    if (name.startsWith('signature')) add('header', 'signature: Ed25519 ‖ ML-DSA-65', 'signature', len)
    else if (frameField) {
      section = frameField[1]!
      add(
        section,
        section === 'end frame' ? 'frame header: count, no units' : 'frame header: index, rows',
        'plain',
        len,
      )
    } else if (/^(?:frame \d+|end frame) MAC/.test(name)) add(section, 'MACs: 16 B per recipient', 'mac', len)
    else if (unit) {
      const pub = rows.some((r) => r.name === `unit ${unit[1]} IPC (public)`)
      add(section, `unit ${unit[1]}: ${pub ? 'public Arrow IPC' : 'AES-GCM ct ‖ tag'}`, pub ? 'public' : 'sealed', len)
    } else if (group) {
      const sealed = rows.some((r) => r.name === `group ${group[1]} commitment`)
      add(
        'header',
        `group ${group[1]}: ${sealed ? 'commitment, schema' : 'public schema'}`,
        sealed ? 'sealed' : 'public',
        len,
      )
    } else if (stanza || name === 'recipient count') {
      // The recipient count is drawn with the first stanza: two bytes are too few for a box of their own.
      add('header', `stanza ${stanza ? stanza[1] : 0}: X-Wing + HPKE`, 'stanza', len)
    } else add('header', 'preamble: magic, ids, signer', 'plain', len)
  }
  return parts
}

const SECTION_NOTE: Record<string, string> = {
  header: 'signature covers every header byte before it',
  'end frame': 'its count is the number of batches; no units',
}

export function streamLayoutDiagram(specPath = new URL('../format.md', import.meta.url)): Diagram {
  const parts = streamParts(exampleRows(readFileSync(specPath, 'utf8')))
  const sections = [...new Set(parts.map((p) => p.section))]
  const total = parts.reduce((n, p) => n + p.bytes, 0)
  const rowW = 760
  const h = 58
  const x0 = 16
  let y = 16
  let body = ''
  // The whole stream to scale first, so the reader sees that the header (mostly the signature) dominates.
  body += label(x0, y + 6, `the whole stream to scale: ${total} bytes`)
  y += 18
  let x = x0
  for (const s of sections) {
    const bytes = parts.filter((p) => p.section === s).reduce((n, p) => n + p.bytes, 0)
    const w = (bytes / total) * rowW
    const kind = s === 'header' ? 'signature' : s === 'end frame' ? 'mac' : 'sealed'
    body += `<rect class="dg-box dg-${kind}" x="${x}" y="${y}" width="${w.toFixed(1)}" height="12"><title>${esc(`${s}: ${bytes} B`)}</title></rect>`
    x += w
  }
  y += 34
  const alt: string[] = []
  for (const s of sections) {
    const ps = parts.filter((p) => p.section === s)
    const bytes = ps.reduce((n, p) => n + p.bytes, 0)
    body += label(
      x0,
      y,
      `${s}${s === 'header' ? ' (signed)' : ''}: ${bytes} bytes — ${SECTION_NOTE[s] ?? 'one per record batch; the MACs cover its body'}`,
    )
    y += 14
    // Each part gets the width its label needs; what is left of the row is shared out in proportion to size.
    const min = ps.map((p) => Math.max(textWidth(p.label), textWidth(p.detail), textWidth(`${p.bytes} B`)) + 14)
    const spare = Math.max(0, rowW - min.reduce((a, b) => a + b, 0))
    let px = x0
    ps.forEach((p, i) => {
      const w = Math.round(min[i]! + (spare * p.bytes) / bytes)
      body += box(px, y, w, h, [p.label, p.detail, `${p.bytes} B`], p.kind)
      px += w
    })
    alt.push(`${s}, ${bytes} bytes: ${ps.map((p) => `${p.label} (${p.detail}, ${p.bytes} B)`).join(', ')}`)
    y += h + 26
  }
  const width = rowW + 2 * x0
  return wrap(
    'stream-layout',
    `Layout of the worked example's sealed stream, ${total} bytes`,
    `A sealed stream is a signed header, one frame per record batch, and an end frame. In the worked example (${total} bytes): ${alt.join('. ')}.`,
    width,
    y - 16,
    body,
  )
}
