/**
 * Writes the frozen golden vectors (test/vectors/golden/*.aseal and manifest.json) from test/golden/build.ts.
 *
 *   npx tsx scripts/make-golden.ts            write them if absent, or check that they are unchanged
 *   npx tsx scripts/make-golden.ts --write    overwrite: only after a deliberate format change, which must also
 *                                             bump FORMAT_VERSION (src/format/constants.ts) or GOLDEN_SET_VERSION
 *
 * Refuses to overwrite changed vectors under the same format and golden-set versions: a change in the format's
 * bytes must be a decision, not a side effect.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildGolden, type GoldenManifest } from '../test/golden/build.js'

const dir = fileURLToPath(new URL('../test/vectors/golden/', import.meta.url))
const write = process.argv.includes('--write')

const { files, manifest } = await buildGolden()
const manifestPath = join(dir, 'manifest.json')
const old: GoldenManifest | null = existsSync(manifestPath) ? JSON.parse(readFileSync(manifestPath, 'utf8')) : null
const changed = [...files].filter(([name, bytes]) => {
  const p = join(dir, name)
  return !existsSync(p) || !Buffer.from(bytes).equals(readFileSync(p))
})
if (old && changed.length === 0 && JSON.stringify(old) === JSON.stringify(manifest)) {
  console.log(`golden vectors unchanged (${files.size} files)`)
  process.exit(0)
}
if (old && !write) {
  console.error(`golden vectors differ: ${changed.map(([n]) => n).join(', ') || 'manifest.json'}; rerun with --write`)
  process.exit(1)
}
if (old && old.formatVersion === manifest.formatVersion && old.goldenSetVersion === manifest.goldenSetVersion) {
  console.error(
    'refusing to overwrite: the bytes changed but neither FORMAT_VERSION nor GOLDEN_SET_VERSION did. ' +
      'A format change needs a version bump.',
  )
  process.exit(1)
}
mkdirSync(dir, { recursive: true })
for (const [name, bytes] of files) writeFileSync(join(dir, name), bytes)
writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`)
console.log(`wrote ${files.size} golden vectors and manifest.json to ${dir}`)
