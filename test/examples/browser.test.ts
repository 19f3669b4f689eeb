/**
 * examples/browser: the page's logic (open with WebCrypto, render escaped HTML) run in Node, whose
 * globalThis.crypto.subtle is WebCrypto. The built page in real Chromium: test/site/example-page.test.ts.
 */
import { readFileSync } from 'node:fs'
import { tableFromArrays } from 'apache-arrow'
import { describe, expect, it } from 'vitest'
import { escapeHtml, openSealed, renderTable } from '../../examples/browser/open-sealed.js'
import { exportIdentity, generateIdentity, sealTable } from '../../src/index.js'

describe('examples/browser', () => {
  it('opens a sealed file with the pasted identity and renders escaped HTML', async () => {
    const writer = await generateIdentity()
    const reader = await generateIdentity()
    const table = tableFromArrays({ id: Int32Array.of(1, 2), note: ['<script>alert(1)</script>', 'a & "b"'] })
    const sealed = await sealTable(table, {
      signer: writer,
      recipients: { r: [reader.publicKey] },
      policy: { fields: { id: 'public', note: ['r'] } },
    })
    const opened = await openSealed(sealed, `\n${exportIdentity(reader)}\n`, writer.publicKey)
    expect(opened.numRows).toBe(2)
    const html = renderTable(opened)
    expect(html).not.toContain('<script>')
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;')
    expect(html).toContain('a &amp; &quot;b&quot;')
    await expect(openSealed(sealed, exportIdentity(reader), reader.publicKey)).rejects.toMatchObject({
      code: 'SIGNER_UNTRUSTED',
    })
  })

  it('escapeHtml covers every HTML-significant character', () => {
    expect(escapeHtml(`<>&"'`)).toBe('&lt;&gt;&amp;&quot;&#39;')
  })

  it('the page has every element its script looks up', () => {
    const html = readFileSync(new URL('../../examples/browser/index.html', import.meta.url), 'utf8')
    const script = readFileSync(new URL('../../examples/browser/main.ts', import.meta.url), 'utf8')
    const ids = [...script.matchAll(/\$(?:<\w+>)?\('([\w-]+)'\)/g)].map((m) => m[1])
    expect(ids.length).toBeGreaterThan(4)
    for (const id of ids) expect(html).toContain(`id="${id}"`)
    expect(html).toContain('src="./main.ts"')
  })
})
