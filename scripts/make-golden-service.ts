/**
 * Writes the frozen golden vectors of service-access streams (test/vectors/golden-service/) from
 * test/golden/build-service.ts, as scripts/make-golden.ts does for the main set.
 *
 *   npx tsx scripts/make-golden-service.ts            write them if absent, or check that they are unchanged
 *   npx tsx scripts/make-golden-service.ts --write    overwrite: only after a deliberate format change, with a
 *                                                     bump of SERVICE_GOLDEN_VERSION or FORMAT_VERSION
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildServiceGolden, type ServiceManifest } from '../test/golden/build-service.js'

const dir = fileURLToPath(new URL('../test/vectors/golden-service/', import.meta.url))
const write = process.argv.includes('--write')

const { files, manifest } = await buildServiceGolden()
const manifestPath = join(dir, 'manifest.json')
const old: ServiceManifest | null = existsSync(manifestPath) ? JSON.parse(readFileSync(manifestPath, 'utf8')) : null
const changed = [...files].filter(([name, bytes]) => {
  const p = join(dir, name)
  return !existsSync(p) || !Buffer.from(bytes).equals(readFileSync(p))
})
if (old && changed.length === 0 && JSON.stringify(old) === JSON.stringify(manifest)) {
  console.log(`service golden vectors unchanged (${files.size} files)`)
  process.exit(0)
}
if (old && !write) {
  console.error(
    `service golden vectors differ: ${changed.map(([n]) => n).join(', ') || 'manifest.json'}; rerun with --write`,
  )
  process.exit(1)
}
if (old && old.formatVersion === manifest.formatVersion && old.serviceGoldenVersion === manifest.serviceGoldenVersion) {
  console.error('refusing to overwrite: the bytes changed but no version did. A format change needs a version bump.')
  process.exit(1)
}
mkdirSync(dir, { recursive: true })
for (const [name, bytes] of files) writeFileSync(join(dir, name), bytes)
writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`)
console.log(`wrote ${files.size} service golden vectors and manifest.json to ${dir}`)
