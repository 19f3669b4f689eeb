/**
 * Writes the frozen golden audit vectors (test/vectors/golden-audit/) from test/golden/build-audit.ts.
 *
 *   npx tsx scripts/make-golden-audit.ts            write them if absent, or check that they are unchanged
 *   npx tsx scripts/make-golden-audit.ts --write    overwrite: only with a bump of AUDIT_GOLDEN_VERSION, after a
 *                                                   deliberate change (existing events must keep decoding)
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type AuditGoldenManifest, buildAuditGolden } from '../test/golden/build-audit.js'

const dir = fileURLToPath(new URL('../test/vectors/golden-audit/', import.meta.url))
const { files, manifest } = await buildAuditGolden()
const manifestText = `${JSON.stringify(manifest, null, 2)}\n`
const manifestPath = join(dir, 'manifest.json')
const stale = [...files].filter(([name, b]) => !existsSync(join(dir, name)) || !readFileSync(join(dir, name)).equals(b))
if (existsSync(manifestPath)) {
  if (stale.length === 0 && readFileSync(manifestPath, 'utf8') === manifestText) {
    console.log(`golden audit vectors unchanged (${files.size} files)`)
    process.exit(0)
  }
  const old = JSON.parse(readFileSync(manifestPath, 'utf8')) as AuditGoldenManifest
  if (!process.argv.includes('--write') || old.auditGoldenVersion === manifest.auditGoldenVersion) {
    console.error(`golden audit vectors differ (${stale.map(([n]) => n).join(', ') || 'manifest.json'}): bump`)
    console.error('AUDIT_GOLDEN_VERSION and rerun with --write, or fix the encoder')
    process.exit(1)
  }
}
mkdirSync(dir, { recursive: true })
for (const [name, bytes] of files) writeFileSync(join(dir, name), bytes)
writeFileSync(manifestPath, manifestText)
console.log(`wrote ${files.size} golden audit vectors and manifest.json to ${dir}`)
