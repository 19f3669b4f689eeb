/**
 * No drift for the CLI guide: every ```sh block of docs/guides/cli.md runs, in order, in one scratch directory,
 * against the CLI sources (`arrowseal` is a shell function running src/cli/main.ts through tsx). Each block
 * runs under `set -euo pipefail`, so a command that fails or an assertion (`test`, `grep -q`, `cmp`) that does not
 * hold fails the test.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { extractSamples } from './extract.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const docsDir = join(root, 'docs')
const page = join(docsDir, 'guides', 'cli.md')
const blocks = extractSamples(docsDir, page, ['sh', 'bash']).filter((s) => !s.skipped)
const work = mkdtempSync(join(tmpdir(), 'arrowseal-cli-guide-'))

const prelude = [
  'set -euo pipefail',
  `arrowseal() { "${join(root, 'node_modules', '.bin', 'tsx')}" "${join(root, 'src', 'cli', 'main.ts')}" "$@"; }`,
].join('\n')

afterAll(() => rmSync(work, { recursive: true, force: true }))

describe('CLI guide', () => {
  it('has blocks to run', () => {
    expect(blocks.length).toBeGreaterThan(3)
  })

  for (const block of blocks) {
    it(`runs docs/${block.page}:${block.line}`, () => {
      const result = spawnSync('bash', ['-c', `${prelude}\n${block.code}`], {
        cwd: work,
        encoding: 'utf8',
        timeout: 120_000,
        env: { ...process.env, NO_COLOR: '1' },
      })
      expect(result.status, `stdout:\n${result.stdout}\nstderr:\n${result.stderr}`).toBe(0)
    }, 180_000) // each CLI call starts tsx; a loaded CI machine needs the headroom
  }
})
