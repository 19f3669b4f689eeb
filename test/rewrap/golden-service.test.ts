/**
 * Frozen golden vectors of a rewrap that moves a role to a key-access gateway (test/vectors/golden-rewrap-service/,
 * built by test/golden/build-rewrap-service.ts): the encoder still writes these bytes, and each opens as listed,
 * directly or through the golden gateway (an in-process provider running the real unwrapForService), whole and
 * streamed. The earlier golden sets are checked by their own tests (test/golden, test/rewrap/golden.test.ts,
 * test/kas/format-golden.test.ts) and are not touched.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { ArrowSealError } from '../../src/errors.js'
import type { OpenOptions } from '../../src/seal/options.js'
import { openTable } from '../../src/table.js'
import { goldenIdentity } from '../golden/build.js'
import {
  buildRewrapServiceGolden,
  REWRAP_SERVICE_GOLDEN_VERSION,
  type RewrapServiceVector,
} from '../golden/build-rewrap-service.js'
import { goldenGateway } from '../golden/build-service.js'
import { rowsOf } from '../golden/check.js'
import { openStreamed } from '../helpers/streams.js'
import { fakeGateway } from '../kas/fake-gateway.js'

const dir = new URL('../vectors/golden-rewrap-service/', import.meta.url)
const manifestUrl = new URL('manifest.json', dir)

describe('golden vectors of a role moved to a gateway by rewrap', () => {
  it('are byte-identical to what the encoder writes today, and open as listed (whole and streamed)', async () => {
    const built = await buildRewrapServiceGolden()
    if (process.env['ARROWSEAL_WRITE_GOLDEN'] === 'rewrap-service' && !existsSync(manifestUrl)) {
      mkdirSync(dir, { recursive: true })
      for (const [file, bytes] of built.files) writeFileSync(new URL(file, dir), bytes)
      const manifest = { rewrapServiceGoldenVersion: REWRAP_SERVICE_GOLDEN_VERSION, vectors: built.vectors }
      writeFileSync(manifestUrl, `${JSON.stringify(manifest, null, 2)}\n`)
    }
    const manifest = JSON.parse(readFileSync(manifestUrl, 'utf8')) as {
      rewrapServiceGoldenVersion: number
      vectors: RewrapServiceVector[]
    }
    expect(manifest.rewrapServiceGoldenVersion).toBe(REWRAP_SERVICE_GOLDEN_VERSION)
    expect(JSON.parse(JSON.stringify(built.vectors))).toEqual(manifest.vectors)
    let checks = 0
    for (const v of manifest.vectors) {
      const frozen = new Uint8Array(readFileSync(new URL(v.file, dir)))
      expect(Buffer.from(frozen).equals(Buffer.from(built.files.get(v.file)!)), v.file).toBe(true)
      for (const e of v.expect) {
        const trust = e.trust.map((n) => goldenIdentity(n))
        const options: OpenOptions = {
          identity: goldenIdentity(e.identity),
          trustedSigners: trust.map((i) => i.publicKey),
          ...(e.gateway
            ? {
                keyAccess: fakeGateway(
                  goldenGateway(),
                  trust.map((i) => i.publicKeyObject),
                ),
              }
            : {}),
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
          const who = `${v.file} as ${e.identity}${e.gateway ? ' via the gateway' : ''} (${how})`
          expect(got, who).toEqual('rows' in e ? { rows: e.rows } : { error: e.error })
          checks++
        }
      }
    }
    expect(checks).toBe(22)
  })
})
