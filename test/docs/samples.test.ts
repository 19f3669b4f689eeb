/**
 * No drift (issue 6): every ```ts block in docs/**\/*.md is type-checked against the real sources and then run.
 *
 * Each block is written to test/docs/.samples/ (inside the repo, so vitest's `arrowseal` → src aliases and the
 * repo's node_modules apply), compiled with the project's strict tsconfig plus `paths` for `arrowseal`, and
 * imported. A sample passes when it type-checks and runs without throwing. Samples state their claims with
 * `assert` or by throwing, so a behaviour change in the library fails here.
 */

import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { natsSkip } from '../nats/broker.js'
import { sqliteSkip } from '../store/backends.js'
import { extractSamples, markdownPages, type Sample } from './extract.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const docsDir = join(root, 'docs')
const outDir = join(root, 'test', 'docs', '.samples')

const samples: Sample[] = markdownPages(docsDir).flatMap((page) => extractSamples(docsDir, page, ['ts']))
// Samples that open a SQLite audit log need the better-sqlite3 addon, which is built for one Node ABI: on another
// runtime's suite (.ci/run's Node 22/24 runs) they are type-checked but not run, with the printed reason.
const sqliteMissing = /from 'arrowseal\/store'/
const sqliteWhy = samples.some((s) => sqliteMissing.test(s.code)) ? sqliteSkip() : null
if (sqliteWhy !== null) console.warn(`skipping the audit-store samples: ${sqliteWhy}`)
// Samples that talk to NATS run (and are type-checked) where the NATS tests run (test/nats/broker.ts): CI's node20
// suite, and any machine with a server; elsewhere they are skipped with the printed reason.
const natsMissing = /from 'arrowseal\/nats'/
if (natsSkip !== null && samples.some((s) => natsMissing.test(s.code)))
  console.warn(`skipping the NATS samples: ${natsSkip}`)
const runnable = samples.filter(
  (s) =>
    !s.skipped &&
    !(sqliteWhy !== null && sqliteMissing.test(s.code)) &&
    !(natsSkip !== null && natsMissing.test(s.code)),
)
const fileOf = (s: Sample): string =>
  join(outDir, `${s.page.replace(/\.md$/, '').replace(/[^\w]+/g, '_')}_L${s.line}.ts`)

beforeAll(() => {
  rmSync(outDir, { recursive: true, force: true })
  mkdirSync(outDir, { recursive: true })
  // `export {}` makes every sample a module, so top-level await is allowed and names do not clash.
  for (const s of runnable) writeFileSync(fileOf(s), `${s.code}\nexport {}\n`)
})

// Generated files must never linger where biome or tsc would pick them up.
afterAll(() => rmSync(outDir, { recursive: true, force: true }))

describe('docs code samples', () => {
  it('finds samples in the guides', () => {
    expect(runnable.length).toBeGreaterThan(0)
  })

  it('uses <!-- no-test --> sparingly', () => {
    const skipped = samples.filter((s) => s.skipped)
    expect(skipped.length).toBeLessThanOrEqual(Math.ceil(samples.length / 5))
  })

  it('type-check against the sources under the strict tsconfig', () => {
    const configPath = join(root, 'tsconfig.json')
    const parsed = ts.parseJsonConfigFileContent(ts.readConfigFile(configPath, ts.sys.readFile).config, ts.sys, root)
    const options: ts.CompilerOptions = {
      ...parsed.options,
      noEmit: true,
      baseUrl: root,
      paths: {
        arrowseal: ['src/index.ts'],
        'arrowseal/node': ['src/node/index.ts'],
        'arrowseal/store': ['src/store/index.ts'],
        'arrowseal/kas': ['src/kas/index.ts'],
        'arrowseal/nats': ['src/nats/index.ts'],
      },
    }
    const files = runnable.map(fileOf)
    const program = ts.createProgram(files, options)
    const wanted = new Set(files.map((f) => f.replace(/\\/g, '/')))
    const problems: string[] = []
    for (const sf of program.getSourceFiles()) {
      if (!wanted.has(sf.fileName)) continue
      const sample = runnable.find((s) => fileOf(s).replace(/\\/g, '/') === sf.fileName)
      for (const d of [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)]) {
        const pos = d.start === undefined ? '' : `:${sf.getLineAndCharacterOfPosition(d.start).line + 1}`
        problems.push(
          `docs/${sample?.page} (block at line ${sample?.line})${pos}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`,
        )
      }
    }
    expect(problems).toEqual([])
  }, 180_000) // a whole-program type-check of src plus every sample

  for (const s of runnable) {
    it(`runs docs/${s.page}:${s.line}`, async () => {
      await import(/* @vite-ignore */ fileOf(s))
    })
  }
})
