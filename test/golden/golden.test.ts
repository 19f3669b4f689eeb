/**
 * Frozen golden vectors of format v1 (test/vectors/golden/, written by scripts/make-golden.ts): each opens to
 * exactly the rows or the error code its manifest names, for every identity listed; and rebuilding them from the
 * same seeds gives the same bytes, so any change to the format's bytes fails here until the vectors are
 * deliberately regenerated with a version bump.
 */
import { readFileSync } from 'node:fs'
import { beforeAll, describe, expect, it } from 'vitest'
import { nobleBackend } from '../../src/aead/noble.js'
import { webCryptoBackend } from '../../src/aead/webcrypto.js'
import { FORMAT_VERSION } from '../../src/format/constants.js'
import { buildGolden, GOLDEN_SET_VERSION, type GoldenManifest } from './build.js'
import { checkGolden, sha256Hex } from './check.js'

const dir = new URL('../vectors/golden/', import.meta.url)
const manifest: GoldenManifest = JSON.parse(readFileSync(new URL('manifest.json', dir), 'utf8'))
const read = async (file: string) => new Uint8Array(readFileSync(new URL(file, dir)))

let rebuilt: Awaited<ReturnType<typeof buildGolden>>
beforeAll(async () => {
  rebuilt = await buildGolden()
})

describe('golden vectors', () => {
  it('cover every case the issue lists, in small files whose digests match the manifest', async () => {
    const errors = new Set(manifest.vectors.flatMap((v) => v.expect.flatMap((e) => ('error' in e ? [e.error] : []))))
    for (const code of [
      'SIGNER_UNTRUSTED',
      'TRUNCATED',
      'FRAME_OUT_OF_ORDER',
      'AUTH_FAILED',
      'SIGNATURE_INVALID',
      'NOT_A_RECIPIENT',
      'TRAILING_DATA',
    ])
      expect(errors).toContain(code)
    for (const v of manifest.vectors) {
      const bytes = await read(v.file)
      expect(bytes.length, v.file).toBeLessThan(16 * 1024)
      expect(await sha256Hex(bytes), v.file).toBe(v.sha256)
    }
  })

  it.each([
    ['the default backend', undefined],
    ['noble', nobleBackend()],
    ['WebCrypto', webCryptoBackend()],
  ])('open to the expected rows or error code for each identity (%s)', async (_name, backend) => {
    const results = await checkGolden(manifest, read, backend)
    expect(results.length).toBeGreaterThanOrEqual(manifest.vectors.length * 2)
    for (const r of results) expect(r.actual, `${r.file} as ${r.identity} trusting ${r.trust}`).toEqual(r.expected)
  })

  it('open the same way through OpenStream in 113-byte chunks', async () => {
    const results = await checkGolden(manifest, read, undefined, 113)
    for (const r of results) expect(r.actual, `${r.file} as ${r.identity} (streamed)`).toEqual(r.expected)
  })

  it('are byte-identical to what the encoder writes today from the same seeds (a format change must bump a version)', async () => {
    expect(manifest.formatVersion).toBe(FORMAT_VERSION)
    expect(manifest.goldenSetVersion).toBe(GOLDEN_SET_VERSION)
    expect([...rebuilt.files.keys()].sort()).toEqual(manifest.vectors.map((v) => v.file).sort())
    for (const [file, bytes] of rebuilt.files) {
      const frozen = await read(file)
      if (frozen.length !== bytes.length || frozen.some((b, i) => b !== bytes[i])) {
        throw new Error(
          `${file}: the encoder no longer writes the frozen bytes. If the format changed on purpose, bump ` +
            'FORMAT_VERSION or GOLDEN_SET_VERSION and run `npx tsx scripts/make-golden.ts --write`.',
        )
      }
    }
    expect(JSON.parse(JSON.stringify(rebuilt.manifest))).toEqual(manifest)
  })

  // Golden set 2, written before issue 19 (no validity bitmaps without nulls, unpadded stanzas): frozen, never
  // rewritten, and it must keep opening exactly as its manifest says.
  it('the earlier set 2 (unpadded stanzas, no bitmaps without nulls) still opens as its manifest says', async () => {
    const oldDir = new URL('../vectors/golden-set2/', import.meta.url)
    const old: GoldenManifest = JSON.parse(readFileSync(new URL('manifest.json', oldDir), 'utf8'))
    expect(old.goldenSetVersion).toBe(2)
    const readOld = async (file: string) => new Uint8Array(readFileSync(new URL(file, oldDir)))
    for (const v of old.vectors) expect(await sha256Hex(await readOld(v.file)), v.file).toBe(v.sha256)
    const results = await checkGolden(old, readOld, undefined)
    expect(results.length).toBeGreaterThanOrEqual(old.vectors.length * 2)
    for (const r of results) expect(r.actual, `${r.file} as ${r.identity} trusting ${r.trust}`).toEqual(r.expected)
  })

  it('a changed frozen byte is noticed (the comparison can fail)', async () => {
    const frozen = await read('basic.aseal')
    const changed = frozen.slice()
    changed[100]! ^= 1
    expect(await sha256Hex(changed)).not.toBe(manifest.vectors.find((v) => v.file === 'basic.aseal')!.sha256)
  })
})
