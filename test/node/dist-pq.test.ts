/**
 * The built package, not only the sources, installs the native post-quantum provider on Node 24: the package is
 * `"sideEffects": false`, and a bare side-effect import of src/node/install-pq.ts was dropped from
 * dist/index.node.js, which left the shipped entry on noble while every source-level test passed.
 */
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const root = join(import.meta.dirname, '../..')
const entry = join(root, 'dist/index.node.js')
const major = Number(process.versions.node.split('.')[0])
const built = existsSync(entry)
if (!built && process.env['CI'] !== 'true') console.log(`dist-pq: skipped, ${entry} is not built (npm run build)`)

describe.skipIf(!built && process.env['CI'] !== 'true')('built Node entry', () => {
  it('uses the native post-quantum backend exactly where the runtime has it', () => {
    const name = execFileSync(
      process.execPath,
      ['--input-type=module', '-e', `const m = await import(${JSON.stringify(entry)}); console.log(m.pqBackend())`],
      { cwd: root, encoding: 'utf8', env: { ...process.env, ARROWSEAL_PQ_BACKEND: 'auto' } },
    ).trim()
    expect(name).toBe(major >= 24 ? 'native' : 'noble')
  })
})
