/**
 * Frozen golden vectors of rewrapped streams (test/vectors/golden-rewrap/, built by test/golden/build-rewrap.ts):
 * the encoder still writes these bytes, each opens as listed for every identity and trust list, and the older
 * golden sets (which this change must not touch) still rebuild byte for byte (test/golden, test/core).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { ArrowSealError } from '../../src/errors.js'
import { openTable } from '../../src/table.js'
import { goldenIdentity } from '../golden/build.js'
import { buildRewrapGolden, REWRAP_GOLDEN_VERSION, type RewrapVector } from '../golden/build-rewrap.js'
import { rowsOf } from '../golden/check.js'
import { openStreamed } from '../helpers/streams.js'

const dir = new URL('../vectors/golden-rewrap/', import.meta.url)
const manifestUrl = new URL('manifest.json', dir)

describe('rewrapped golden vectors', () => {
  it('are byte-identical to what the encoder writes today, and open as listed (whole and streamed)', async () => {
    const built = await buildRewrapGolden()
    if (process.env['ARROWSEAL_WRITE_GOLDEN'] === 'rewrap' && !existsSync(manifestUrl)) {
      for (const [file, bytes] of built.files) writeFileSync(new URL(file, dir), bytes)
      const manifest = { rewrapGoldenVersion: REWRAP_GOLDEN_VERSION, vectors: built.vectors }
      writeFileSync(manifestUrl, `${JSON.stringify(manifest, null, 2)}\n`)
    }
    const manifest = JSON.parse(readFileSync(manifestUrl, 'utf8')) as {
      rewrapGoldenVersion: number
      vectors: RewrapVector[]
    }
    expect(manifest.rewrapGoldenVersion).toBe(REWRAP_GOLDEN_VERSION)
    expect(JSON.parse(JSON.stringify(built.vectors))).toEqual(manifest.vectors)
    for (const v of manifest.vectors) {
      const frozen = new Uint8Array(readFileSync(new URL(v.file, dir)))
      expect(Buffer.from(frozen).equals(Buffer.from(built.files.get(v.file)!)), v.file).toBe(true)
      for (const e of v.expect) {
        const options = {
          identity: goldenIdentity(e.identity),
          trustedSigners: e.trust.map((n) => goldenIdentity(n).publicKey),
        }
        for (const how of ['whole', 'streamed'] as const) {
          let got: unknown
          try {
            const t = how === 'whole' ? await openTable(frozen, options) : await openStreamed(frozen, options, 997)
            got = { rows: rowsOf(t) }
          } catch (err) {
            if (!(err instanceof ArrowSealError)) throw err
            got = { error: err.code }
          }
          expect(got, `${v.file} as ${e.identity} (${how})`).toEqual(
            'rows' in e ? { rows: e.rows } : { error: e.error },
          )
        }
      }
    }
  })
})
