/**
 * Streams sealed on one Node runtime open on every other (issue 12): each Node binary installed by
 * `scripts/install-node.sh` (CI installs 22 and 24 before the tests) plus the one running the tests, in child
 * processes. With no other binary installed the test says so and skips; CI always has them.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { exportIdentity, generateIdentity } from '../../src/index.node.js'

const root = join(import.meta.dirname, '../..')
const child = join(import.meta.dirname, 'fixtures/runtime-child.ts')
const cache = join(root, '.cache/node')

function binaries(): string[] {
  const found = new Set([process.execPath])
  if (existsSync(cache)) {
    for (const v of readdirSync(cache)) {
      const bin = join(cache, v, 'bin/node')
      if (existsSync(bin)) found.add(bin)
    }
  }
  return [...found]
}

const bins = binaries()
const version = (bin: string) => execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim()
const run = (bin: string, args: string[], input?: string) =>
  execFileSync(bin, ['--import', 'tsx', child, ...args], { cwd: root, input, encoding: 'utf8', timeout: 60_000 })

if (bins.length < 2) console.warn('cross-runtime: only one Node binary; run scripts/install-node.sh 22 and 24')

describe.skipIf(bins.length < 2)('cross-runtime streams', () => {
  it('a table sealed on each runtime opens on every other one', { timeout: 240_000 }, async () => {
    const writer = await generateIdentity()
    const reader = await generateIdentity()
    const sealed = new Map(bins.map((bin) => [bin, run(bin, ['seal', exportIdentity(writer), reader.publicKey])]))
    for (const [from, bytes] of sealed) {
      for (const to of bins) {
        if (to === from) continue
        const opened = JSON.parse(run(to, ['open', exportIdentity(reader), writer.publicKey], bytes))
        expect(opened.runtime, `${version(from)} → ${version(to)}`).toBe(version(to))
        expect(opened.rows).toEqual([
          { id: 1, who: 'a' },
          { id: 2, who: 'b' },
          { id: 3, who: version(from) },
        ])
      }
    }
  })
})
