/**
 * The built docs site, checked in a real browser (issue 6).
 *
 * Serves docs/.vitepress/dist on 127.0.0.1, opens every page in headless Chromium, and fails on a console error,
 * an uncaught page error, a failed request, or an internal link to a missing page or anchor. Screenshots of the
 * landing page and one guide go to test-results/.
 *
 * Run after building: `npm run docs:build && npx vitest run --config vitest.site.config.ts`.
 */
import { existsSync, mkdirSync, readdirSync } from 'node:fs'
import type { Server } from 'node:http'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Browser } from 'playwright'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchChromium } from './chromium.js'
import { brokenLinks, type PageFacts } from './links.js'
import { resolveFile, serve } from './server.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
// DOCS_DIST lets a check run against a build made elsewhere (e.g. a scratch copy of docs/).
const dist = process.env.DOCS_DIST ?? join(root, 'docs', '.vitepress', 'dist')
const shots = join(root, 'test-results')

function htmlPages(dir: string): string[] {
  const out: string[] = []
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) out.push(...htmlPages(path))
    else if (entry.name.endsWith('.html')) out.push('/' + relative(dist, path).replace(/\\/g, '/'))
  }
  return out.sort()
}

describe('link checker', () => {
  // The checker must be able to fail, or the site test proves nothing.
  const here = fileURLToPath(new URL('.', import.meta.url))
  const origin = 'http://127.0.0.1:1'
  it('reports a link to a missing page', () => {
    const pages: PageFacts[] = [{ path: '/site.test.ts', ids: [], links: [`${origin}/nope.html`] }]
    expect(brokenLinks(here, origin, pages)).toEqual(['/site.test.ts: link to missing /nope.html'])
  })
  it('ignores external links and accepts existing files', () => {
    const pages: PageFacts[] = [
      { path: '/site.test.ts', ids: [], links: ['https://example.org/x', `${origin}/links.ts`] },
    ]
    expect(brokenLinks(here, origin, pages)).toEqual([])
  })
  it('never serves a file outside the site root', () => {
    expect(resolveFile(join(here, 'x'), '/../site.test.ts')).toBeNull()
    expect(resolveFile(join(here, 'x'), '/%2e%2e/site.test.ts')).toBeNull()
  })
})

describe('built docs site in Chromium', () => {
  let browser: Browser
  let server: Server
  let origin: string
  const facts: PageFacts[] = []
  const pages = existsSync(dist) ? htmlPages(dist) : []

  beforeAll(async () => {
    // Fail loudly rather than skip: a site test that silently passes without a site checks nothing.
    if (!existsSync(dist)) throw new Error('docs/.vitepress/dist is missing: run `npm run docs:build` first')
    ;({ origin, server } = await serve(dist))
    browser = await launchChromium()
  })

  afterAll(async () => {
    await browser?.close()
    await new Promise((resolve) => server?.close(resolve))
  })

  it('has the pages the issue asks for', () => {
    for (const p of [
      '/index.html',
      '/quick-start.html',
      '/guides/writer.html',
      '/guides/browser.html',
      '/format.html',
      '/threat-model.html',
      '/benchmarks.html',
      '/comparison.html',
      '/faq.html',
      '/changelog.html',
      '/api/index.html',
    ]) {
      expect(pages, p).toContain(p)
    }
  })

  it('opens every page without a console error, page error or failed request', async () => {
    const problems: string[] = []
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
    let current = ''
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(`${current}: console error: ${msg.text()}`)
    })
    page.on('pageerror', (err) => problems.push(`${current}: page error: ${err.message}`))
    page.on('requestfailed', (req) => {
      // Leaving a page cancels VitePress's link prefetches; a cancelled request is not a broken one.
      if (req.failure()?.errorText !== 'net::ERR_ABORTED') problems.push(`${current}: request failed: ${req.url()}`)
    })
    page.on('response', (res) => {
      if (res.status() >= 400) problems.push(`${current}: HTTP ${res.status()} for ${res.url()}`)
    })
    for (const path of pages) {
      if (path === '/404.html') continue
      current = path
      await page.goto(origin + path, { waitUntil: 'networkidle' })
      // VitePress renders its not-found component when the client router cannot match the page.
      if (await page.locator('.NotFound').count()) problems.push(`${path}: rendered the not-found page`)
      const found = await page.evaluate(() => ({
        ids: [...document.querySelectorAll('[id]')].map((e) => e.id),
        links: [...document.querySelectorAll('a[href]')].map((a) => (a as HTMLAnchorElement).href),
      }))
      facts.push({ path, ...found })
    }
    await page.close()
    expect(problems).toEqual([])
    expect(facts.length).toBeGreaterThan(10)
  })

  it('has no broken internal links or anchors', () => {
    expect(facts.length).toBeGreaterThan(0)
    expect(brokenLinks(dist, origin, facts)).toEqual([])
  })

  it('lists every page in the sidebar (no orphans)', () => {
    const guide = facts.find((f) => f.path === '/quick-start.html')
    expect(guide).toBeDefined()
    const linked = new Set(guide!.links.map((href) => new URL(href).pathname.replace(/\.html$/, '')))
    const orphans = pages
      .filter((p) => p !== '/404.html' && !p.startsWith('/api/'))
      .map((p) => p.replace(/(index)?\.html$/, ''))
      .filter((p) => !linked.has(p))
    expect(orphans).toEqual([])
  })

  it('navigates client-side from the landing page to a guide', async () => {
    const page = await browser.newPage()
    const errors: string[] = []
    page.on('pageerror', (err) => errors.push(err.message))
    await page.goto(origin + '/', { waitUntil: 'networkidle' })
    await page.getByRole('link', { name: 'Quick start' }).first().click()
    await page.waitForURL(/quick-start/)
    // The router swaps the content after the URL changes: wait for the new page's heading, not just the URL.
    await page.getByRole('heading', { level: 1, name: /quick start/i }).waitFor({ timeout: 15_000 })
    await page.close()
    expect(errors).toEqual([])
  })

  it('saves screenshots of the landing page and a guide', async () => {
    mkdirSync(shots, { recursive: true })
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
    await page.goto(origin + '/', { waitUntil: 'networkidle' })
    await page.screenshot({ path: join(shots, 'site-landing.png') })
    await page.goto(origin + '/guides/writer.html', { waitUntil: 'networkidle' })
    await page.screenshot({ path: join(shots, 'site-guide-writer.png'), fullPage: false })
    await page.close()
    expect(existsSync(join(shots, 'site-landing.png'))).toBe(true)
  })
})
