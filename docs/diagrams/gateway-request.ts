/**
 * Picture 6 (docs/concepts/key-access.md): one key request through the gateway, as src/kas/node/server.ts
 * handles it: the reader's signed request, the gateway's checks in their order, the entitlement read and the
 * durable audit append, and the answer the reader verifies before it uses a key. A sequence diagram: one lifeline
 * per party, messages top to bottom.
 */
import { arrow, box, type Diagram, label, textWidth, wrap } from './svg.js'

const PARTIES = ['reader', 'gateway (kas serve)', 'store: entitlements, nonces', 'audit log (Merkle tree)']

/** Messages in order: from party, to party (same index: a step on one lifeline), text lines, colour role. */
const STEPS: { from: number; to: number; lines: string[]; kind: string }[] = [
  {
    from: 0,
    to: 1,
    lines: ['POST /v1/rewrap: header, roles, nonce, time,', 'fresh X-Wing key; signed by the reader'],
    kind: 'plain',
  },
  {
    from: 1,
    to: 1,
    lines: ['size, syntax, audience, time, signature,', 'throttle, header digest, writer signature'],
    kind: 'step',
  },
  { from: 1, to: 2, lines: ['nonce unseen? principal suspended?', 'entitlements now (no cache)'], kind: 'plain' },
  { from: 1, to: 1, lines: ['open its stanza; keep only the', 'groups of the roles granted'], kind: 'key' },
  { from: 1, to: 3, lines: ['append the decision (grant or deny)', 'and wait until it is durable'], kind: 'signature' },
  { from: 3, to: 1, lines: ['index, inclusion proof,', 'signed checkpoint'], kind: 'proof' },
  {
    from: 1,
    to: 0,
    lines: ['group keys sealed (HPKE, X-Wing) to the', 'fresh key + receipt; a denial: typed error'],
    kind: 'sealed',
  },
  {
    from: 0,
    to: 0,
    lines: ['verify receipt and key commitments,', 'then every frame by its frame signature'],
    kind: 'ok',
  },
]

export function gatewayRequestDiagram(): Diagram {
  const pad = 16
  const colW = 250
  const headH = 34
  const rowH = 58
  const x = (i: number) => pad + i * colW + colW / 2
  const boxW = Math.max(...STEPS.flatMap((s) => s.lines.map((l) => textWidth(l)))) + 20
  let body = ''
  PARTIES.forEach((p, i) => {
    body += box(x(i) - (colW - 24) / 2, pad, colW - 24, headH, [p], i === 0 ? 'ok' : 'step')
    const bottom = pad + headH + STEPS.length * rowH + 10
    body += `<path class="dg-edge-dropped" d="M${x(i)},${pad + headH} L${x(i)},${bottom}" fill="none"></path>`
  })
  STEPS.forEach((s, k) => {
    const y = pad + headH + 12 + k * rowH
    const h = rowH - 14
    if (s.from === s.to) {
      // A step on one lifeline: a box on it.
      // Kept inside the picture: the reader's lifeline is near the left edge.
      body += box(Math.max(pad, x(s.from) - boxW / 2), y, boxW, h, s.lines, s.kind)
      return
    }
    const [a, b] = [x(s.from), x(s.to)]
    const yArrow = y + h - 2
    body += arrow(`M${a},${yArrow} L${b + (b > a ? -3 : 3)},${yArrow}`)
    const mid = (a + b) / 2
    s.lines.forEach((line, j) => {
      body += label(mid, y + 6 + j * 16, line, 'middle')
    })
  })
  const foot = pad + headH + STEPS.length * rowH + 30
  const note = 'The gateway never sees data: only the header. No grant leaves it before its audit entry is durable.'
  body += label(pad, foot, note)
  const width = Math.max(pad * 2 + PARTIES.length * colW, pad * 2 + textWidth(note))
  const alt =
    'A sequence diagram with four lifelines: the reader, the gateway, its store of entitlements and nonces, and the audit log. ' +
    STEPS.map((s, k) => {
      const who = s.from === s.to ? `the ${PARTIES[s.from]}` : `the ${PARTIES[s.from]} to the ${PARTIES[s.to]}`
      return `Step ${k + 1}, ${who}: ${s.lines.join(' ')}.`
    }).join(' ') +
    ` ${note}`
  return wrap('gateway-request', 'A key request through the gateway, and the receipt', alt, width, foot + 24, body)
}
