/**
 * Link checking for the built docs site, kept free of browser code so that it can be unit-tested.
 */
import { resolve } from 'node:path'
import { resolveFile } from './server.js'

/** What one page exposes: its element ids and the links found in it after hydration. */
export interface PageFacts {
  /** URL path of the page, e.g. `/guides/writer.html`. */
  path: string
  ids: string[]
  /** Absolute `href`s of every `<a>` on the page. */
  links: string[]
}

/** Path of the HTML file a URL lands on, normalised so that `/a/` and `/a/index.html` compare equal. */
function pageKey(root: string, pathname: string): string | null {
  const file = resolveFile(root, pathname)
  return file ? file.slice(resolve(root).length).replace(/\\/g, '/') : null
}

/**
 * Every internal link that points at no file, or at an anchor its target page lacks.
 * Returns readable descriptions; an empty list means the site is sound.
 */
export function brokenLinks(root: string, origin: string, pages: readonly PageFacts[]): string[] {
  const idsByKey = new Map<string, Set<string>>()
  for (const p of pages) {
    const key = pageKey(root, p.path)
    if (key) idsByKey.set(key, new Set(p.ids))
  }
  const problems: string[] = []
  for (const p of pages) {
    for (const href of p.links) {
      const url = new URL(href, origin + p.path)
      if (url.origin !== origin) continue
      const key = pageKey(root, url.pathname)
      if (!key) {
        problems.push(`${p.path}: link to missing ${url.pathname}`)
        continue
      }
      const hash = decodeURIComponent(url.hash.slice(1))
      if (!hash || !key.endsWith('.html')) continue
      const ids = idsByKey.get(key)
      if (ids && !ids.has(hash)) problems.push(`${p.path}: link to missing anchor ${url.pathname}#${hash}`)
    }
  }
  return problems
}
