/**
 * The diagram sources agree with what they picture (issue 17): the access groups with the sealer's, the stream
 * layout with the encoder's worked example, the reader's checks with the spec, and the Merkle proof with
 * RFC 9162. Run with the site check (`npx vitest run --config vitest.site.config.ts`).
 */
import { readFileSync } from 'node:fs'
import { sha256 } from '@noble/hashes/sha2.js'
import { tableFromArrays } from 'apache-arrow'
import { describe, expect, it } from 'vitest'
import { EXAMPLE, groupFields } from '../../docs/diagrams/access-groups.js'
import { diagramHtml, renderDiagram } from '../../docs/diagrams/index.js'
import { auditPath, tree } from '../../docs/diagrams/merkle-proof.js'
import { FRAME_CHECKS, HEADER_CHECKS } from '../../docs/diagrams/reader-checks.js'
import { exampleRows, streamParts } from '../../docs/diagrams/stream-layout.js'
import { formatExample } from '../../scripts/format-example.js'
import { inspect } from '../../src/inspect.js'
import { identityFromSeed } from '../../src/keys/identity.js'
import { sealTable } from '../../src/table.js'

const spec = readFileSync(new URL('../../docs/format.md', import.meta.url), 'utf8')

describe('access-groups picture', () => {
  it('groups the fields exactly as the sealer does', async () => {
    const writer = identityFromSeed(new Uint8Array(32).fill(1))
    const [analyst, auditor] = [2, 3].map((b) => identityFromSeed(new Uint8Array(32).fill(b)))
    const table = tableFromArrays({
      id: Int32Array.from([1]),
      amount: Float64Array.from([1]),
      region: ['eu'],
      email: ['a@example.org'],
      internal_note: ['x'],
    })
    const sealed = await sealTable(table, {
      signer: writer,
      recipients: { analysts: [analyst!.publicKey], auditors: [auditor!.publicKey] },
      policy: { fields: EXAMPLE.fields },
      revealSchema: true,
    })
    const real = inspect(sealed).groups.map((g) => (g.fields ?? []).map((f) => f.name))
    const { groups, dropped } = groupFields(EXAMPLE.fields)
    expect(groups.map((g) => g.fields)).toEqual(real)
    expect(dropped).toEqual(['internal_note'])
  })
})

describe('stream-layout picture', () => {
  it('reads every row of the worked example and accounts for every byte', async () => {
    const example = await formatExample()
    const rows = exampleRows(spec)
    expect(rows).toHaveLength(example.split('\n').length - 2)
    const total = Number(/total (\d+) bytes/.exec(example)![1])
    expect(streamParts(rows).reduce((n, p) => n + p.bytes, 0)).toBe(total)
    // Rows are contiguous: no byte of the example is skipped or counted twice.
    for (let i = 1; i < rows.length; i++) expect(rows[i]!.offset).toBe(rows[i - 1]!.offset + rows[i - 1]!.len)
  })
  it('refuses a spec without a readable worked example', () => {
    expect(() => exampleRows('# no example')).toThrow(/no worked example/)
    expect(() => exampleRows('## Worked example\n```text\nheader\nnot a row\n```')).toThrow(/cannot read line/)
  })
})

describe('reader-checks picture', () => {
  // Each numbered item of the spec's two "order of checks" lists is one step of the picture, and every error
  // code the spec names there is in the picture.
  const section = (title: string) => spec.split(title)[1]!.split('\n## ')[0]!.split('\nOnly then')[0]!
  for (const [title, checks] of [
    ['### Reading the header — order of checks', HEADER_CHECKS],
    ['### Reading a frame — order of checks', FRAME_CHECKS],
  ] as const) {
    it(`has one step per item of "${title.slice(4)}"`, () => {
      const text = section(title)
      expect(text.match(/^\d+\. /gm)).toHaveLength(checks.length)
      const codes = new Set(text.match(/`[A-Z_]{6,}`/g)?.map((c) => c.slice(1, -1)))
      const drawn = checks.map((c) => c.fails).join(' ')
      for (const code of codes) expect(drawn, code).toContain(code.startsWith('SESSION_') ? 'SESSION_*' : code)
    })
  }
})

describe('merkle-proof picture', () => {
  const leafHash = (i: number) => sha256(new Uint8Array([0, i]))
  const nodeHash = (l: Uint8Array, r: Uint8Array) => sha256(new Uint8Array([1, ...l, ...r]))
  const mth = (lo: number, hi: number): Uint8Array => {
    if (hi - lo === 1) return leafHash(lo)
    let k = 1
    while (k * 2 < hi - lo) k *= 2
    return nodeHash(mth(lo, lo + k), mth(lo + k, hi))
  }
  it('highlights a proof that verifies against the root (RFC 9162 section 2.1.3.2) for every tree up to 17', () => {
    for (let n = 1; n <= 17; n++) {
      for (let m = 0; m < n; m++) {
        // Recompute the root from the leaf and the drawn path, bottom up.
        let h = leafHash(m)
        let [lo, hi] = [m, m + 1]
        for (const [plo, phi] of auditPath(tree(0, n), m)) {
          h = plo < lo ? nodeHash(mth(plo, phi), h) : nodeHash(h, mth(plo, phi))
          ;[lo, hi] = [Math.min(lo, plo), Math.max(hi, phi)]
        }
        expect([lo, hi, Buffer.from(h).toString('hex')]).toEqual([0, n, Buffer.from(mth(0, n)).toString('hex')])
      }
    }
  })
})

describe('diagram registry', () => {
  it('fails the build on an unknown picture name', () => {
    expect(() => diagramHtml('stream-layuot')).toThrow(/unknown diagram/)
  })
  it('escapes text and names every picture for screen readers', () => {
    for (const name of [
      'access-groups',
      'stream-layout',
      'reader-checks',
      'merkle-proof',
      'pipeline-flow',
      'gateway-request',
    ]) {
      const d = renderDiagram(name)
      expect(d.svg).toMatch(/^<svg [^>]*role="img"[^>]*aria-labelledby="dg-[a-z-]+-title dg-[a-z-]+-desc"/)
      expect(d.svg).toContain(`<desc id="dg-${name}-desc">`)
      expect(d.svg).not.toMatch(/<text[^>]*>[^<]*[<>][^<]*<\/text>/)
    }
  })
})
