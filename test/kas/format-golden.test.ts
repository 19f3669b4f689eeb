/**
 * Frozen golden vectors of service-access streams (test/vectors/golden-service/, written by
 * scripts/make-golden-service.ts): the encoder still writes these bytes from the same seeds, and each file opens
 * as its manifest says, for a direct reader and for a reader through the golden gateway (an in-process provider
 * running the real unwrapForService), whole and streamed.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { ArrowSealError } from '../../src/errors.js'
import { FORMAT_VERSION } from '../../src/format/constants.js'
import { importIdentity } from '../../src/keys/identity.js'
import type { OpenOptions } from '../../src/seal/options.js'
import { openTable } from '../../src/table.js'
import { buildServiceGolden, SERVICE_GOLDEN_VERSION, type ServiceManifest } from '../golden/build-service.js'
import { rowsOf, sha256Hex } from '../golden/check.js'
import { openStreamed } from '../helpers/streams.js'
import { fakeGateway } from './fake-gateway.js'

const dir = new URL('../vectors/golden-service/', import.meta.url)
const manifest: ServiceManifest = JSON.parse(readFileSync(new URL('manifest.json', dir), 'utf8'))
const main = JSON.parse(readFileSync(new URL('../vectors/golden/manifest.json', import.meta.url), 'utf8')) as {
  identities: Record<string, { secretKey: string }>
}
const read = (file: string) => new Uint8Array(readFileSync(new URL(file, dir)))

async function outcome(bytes: Uint8Array, options: OpenOptions, chunk?: number): Promise<unknown> {
  try {
    const t = chunk === undefined ? await openTable(bytes, options) : await openStreamed(bytes, options, chunk)
    return { rows: rowsOf(t) }
  } catch (err) {
    if (err instanceof ArrowSealError) return { error: err.code }
    throw err
  }
}

describe('service golden vectors', () => {
  it('are byte-identical to what the encoder writes today from the same seeds', async () => {
    expect(manifest.formatVersion).toBe(FORMAT_VERSION)
    expect(manifest.serviceGoldenVersion).toBe(SERVICE_GOLDEN_VERSION)
    const rebuilt = await buildServiceGolden()
    expect([...rebuilt.files.keys()].sort()).toEqual(manifest.vectors.map((v) => v.file).sort())
    for (const [file, bytes] of rebuilt.files) {
      const frozen = read(file)
      if (frozen.length !== bytes.length || frozen.some((b, i) => b !== bytes[i]))
        throw new Error(`${file}: the encoder no longer writes the frozen bytes (bump a version and rerun the script)`)
    }
    expect(JSON.parse(JSON.stringify(rebuilt.manifest))).toEqual(manifest)
  })

  it.each([
    ['whole', undefined],
    ['streamed in 113-byte chunks', 113],
  ])('open as the manifest says (%s)', async (_how, chunk) => {
    const writer = await importIdentity(main.identities['writer']!.secretKey)
    const gateway = await importIdentity(manifest.gateway.secretKey)
    let checks = 0
    for (const v of manifest.vectors) {
      const bytes = read(v.file)
      expect(await sha256Hex(bytes), v.file).toBe(v.sha256)
      for (const e of v.expect) {
        const options: OpenOptions = {
          identity: await importIdentity(main.identities[e.identity]!.secretKey),
          trustedSigners: [writer.publicKey],
          ...(e.gateway ? { keyAccess: fakeGateway(gateway, [writer.publicKeyObject]) } : {}),
        }
        const expected = 'rows' in e ? { rows: e.rows } : { error: e.error }
        expect(
          await outcome(bytes, options, chunk),
          `${v.file} as ${e.identity}${e.gateway ? ' via the gateway' : ''}`,
        ).toEqual(expected)
        checks++
      }
    }
    expect(checks).toBeGreaterThanOrEqual(11)
  })
})
