/**
 * examples/browser, built with Vite the way its README says (`npm run build && npx vite examples/browser`) and
 * used in headless Chromium like a person would: choose a sealed file, paste an identity and the writer's key,
 * press Open. Checks what the page shows for a reader, for an untrusted writer and for a tampered file, that
 * hostile cell values stay text, that the pasted secret is cleared, and that the page logs no error (its
 * Content-Security-Policy included). test/examples/browser.test.ts covers the page's logic in Node.
 *
 * Needs `dist/` (`npm run build`), which the page imports as the `arrowseal` package.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import type { Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { tableFromArrays } from 'apache-arrow'
import type { Browser, Page } from 'playwright'
import { build } from 'vite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { exportIdentity, generateIdentity, type Identity, sealTable } from '../../src/index.node.js'
import { launchChromium } from './chromium.js'
import { serve } from './server.js'

const root = fileURLToPath(new URL('../..', import.meta.url))

describe('examples/browser page in Chromium', () => {
  let out: string
  let browser: Browser
  let server: Server
  let origin: string
  let writer: Identity
  let reader: Identity
  let sealed: Uint8Array

  beforeAll(async () => {
    // Fail loudly: without dist/ the page would not build, and a skipped check proves nothing.
    if (!existsSync(join(root, 'dist', 'index.js'))) throw new Error('dist/ is missing: run `npm run build` first')
    out = mkdtempSync(join(tmpdir(), 'arrowseal-example-'))
    await build({
      root: join(root, 'examples', 'browser'),
      base: './',
      logLevel: 'silent',
      configFile: false,
      build: { outDir: out, emptyOutDir: true },
    })
    ;({ origin, server } = await serve(out))
    browser = await launchChromium()
    writer = await generateIdentity()
    reader = await generateIdentity()
    const table = tableFromArrays({
      id: Int32Array.of(1, 2),
      note: ['<img src=x onerror="window.pwned=1">', 'a & "b"'],
      secret: ['only', 'others'],
    })
    sealed = await sealTable(table, {
      signer: writer,
      recipients: { readers: [reader.publicKey], others: [writer.publicKey] },
      policy: { fields: { id: 'public', note: ['readers'], secret: ['others'] } },
    })
  })

  afterAll(async () => {
    await browser?.close()
    await new Promise((resolve) => server?.close(resolve))
    if (out) rmSync(out, { recursive: true, force: true })
  })

  /** Opens the page, submits the form, and returns the status line once it has settled. */
  async function submit(page: Page, file: Uint8Array, secret: string, writerKey: string): Promise<string> {
    await page.goto(`${origin}/index.html`, { waitUntil: 'networkidle' })
    await page.setInputFiles('#file', {
      name: 'data.aseal',
      mimeType: 'application/octet-stream',
      buffer: Buffer.from(file),
    })
    await page.fill('#identity', secret)
    await page.fill('#writer', writerKey)
    await page.click('button[type=submit]')
    await page.waitForFunction(() => {
      const text = document.getElementById('status')?.textContent ?? ''
      return text !== '' && text !== 'Opening…'
    })
    return (await page.textContent('#status')) ?? ''
  }

  async function withPage(use: (page: Page, problems: string[]) => Promise<void>): Promise<void> {
    const page = await browser.newPage()
    const problems: string[] = []
    // The example has no icon and Chromium asks for one; that 404 is the only one allowed.
    const favicon = (url: string) => new URL(url).pathname === '/favicon.ico'
    page.on('console', (msg) => {
      if (msg.type() === 'error' && !favicon(msg.location().url)) problems.push(`console error: ${msg.text()}`)
    })
    page.on('response', (res) => {
      if (res.status() >= 400 && !favicon(res.url())) problems.push(`HTTP ${res.status()} for ${res.url()}`)
    })
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`))
    page.on('requestfailed', (req) => problems.push(`request failed: ${req.url()}`))
    try {
      await use(page, problems)
    } finally {
      await page.close()
    }
  }

  it("shows the reader's columns, escaped, and clears the pasted identity", async () => {
    await withPage(async (page, problems) => {
      const status = await submit(page, sealed, `\n${exportIdentity(reader)}\n`, writer.publicKey)
      expect(status).toBe('2 rows; you may read: id, note')
      expect(await page.locator('#output th').allTextContents()).toEqual(['id', 'note'])
      expect(await page.locator('#output td').allTextContents()).toEqual([
        '1',
        '<img src=x onerror="window.pwned=1">',
        '2',
        'a & "b"',
      ])
      // The hostile value is text in a cell, not an element, and its handler never ran.
      expect(await page.locator('#output img').count()).toBe(0)
      expect(await page.evaluate(() => (window as { pwned?: number }).pwned)).toBeUndefined()
      expect(await page.inputValue('#identity')).toBe('')
      expect(problems).toEqual([])
    })
  })

  it('refuses a stream from a writer the reader does not trust', async () => {
    await withPage(async (page, problems) => {
      const status = await submit(page, sealed, exportIdentity(reader), reader.publicKey)
      expect(status).toMatch(/^Refused: SIGNER_UNTRUSTED — /)
      expect(await page.locator('#output table').count()).toBe(0)
      expect(await page.inputValue('#identity')).toBe('')
      expect(problems).toEqual([])
    })
  })

  it('refuses a tampered file and shows nothing of it', async () => {
    await withPage(async (page, problems) => {
      const tampered = sealed.slice()
      tampered[tampered.length - 40]! ^= 1 // inside the end frame's MACs or the last batch
      const status = await submit(page, tampered, exportIdentity(reader), writer.publicKey)
      expect(status).toMatch(/^Refused: [A-Z_]+ — /)
      expect(await page.locator('#output table').count()).toBe(0)
      expect(problems).toEqual([])
    })
  })
})
