/**
 * Finds the code samples in the docs so that tests can run them (issue 6: no drift between docs and code).
 *
 * Markers, written on the line right before a fence:
 * - `<!-- no-test -->` skips the block (only for fragments that cannot run on their own);
 * - `<!-- continues -->` runs the block appended to the previous block of the same language on the same page,
 *   so a guide can build one program over several blocks without repeating its set-up.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'

/** One fenced block found in a page. */
export interface Sample {
  /** Page path relative to docs/, e.g. `guides/writer.md`. */
  page: string
  /** 1-based line of the opening fence. */
  line: number
  /** Fence language as written (`ts`, `sh`, …). */
  lang: string
  /** Source to run: the block itself, or with `<!-- continues -->` the earlier blocks plus this one. */
  code: string
  skipped: boolean
}

const SKIP_DIRS = new Set(['api', 'node_modules', '.vitepress', 'public'])

/** Every Markdown page under `docsDir`, except generated API pages and VitePress internals. */
export function markdownPages(docsDir: string): string[] {
  const out: string[] = []
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) {
        if (!SKIP_DIRS.has(entry.name)) walk(join(dir, entry.name))
      } else if (entry.name.endsWith('.md')) out.push(join(dir, entry.name))
    }
  }
  walk(docsDir)
  return out.sort()
}

const FENCE = /^(\s*)(`{3,}|~{3,})\s*([\w-]*)/

/** Fenced blocks of the given languages in one page, in order. */
export function extractSamples(docsDir: string, file: string, langs: readonly string[]): Sample[] {
  const page = relative(docsDir, file).replace(/\\/g, '/')
  const lines = readFileSync(file, 'utf8').split('\n')
  const samples: Sample[] = []
  const previous = new Map<string, string>()
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i] ?? '')
    if (!open) continue
    const [, indent = '', fence = '```', rawLang = ''] = open
    const body: string[] = []
    let j = i + 1
    for (; j < lines.length; j++) {
      const l = lines[j] ?? ''
      if (l.trimStart().startsWith(fence) && l.trim().replace(/[`~]/g, '') === '') break
      body.push(l.startsWith(indent) ? l.slice(indent.length) : l)
    }
    const lang = rawLang === 'typescript' ? 'ts' : rawLang
    if (langs.includes(lang)) {
      let k = i - 1
      while (k >= 0 && (lines[k] ?? '').trim() === '') k--
      const marker = (lines[k] ?? '').trim()
      const own = body.join('\n')
      const code = marker === '<!-- continues -->' ? `${previous.get(lang) ?? ''}\n${own}` : own
      const skipped = marker === '<!-- no-test -->'
      if (!skipped) previous.set(lang, code)
      samples.push({ page, line: i + 1, lang, code, skipped })
    }
    i = j
  }
  return samples
}
