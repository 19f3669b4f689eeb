/// <reference types="vite/client" />
/**
 * The frozen golden vectors in Chromium: each opens to its expected rows or error code on the WebCrypto backend,
 * and rebuilding them here, from the same seeds, gives the same bytes as Node wrote (one format, every runtime).
 */
import { describe, expect, it } from 'vitest'
import { defaultBackend } from '../../src/aead/default.js'
import { webCryptoBackend } from '../../src/aead/webcrypto.js'
import { buildGolden, type GoldenManifest } from '../golden/build.js'
import { checkGolden, sha256Hex } from '../golden/check.js'
import manifestJson from '../vectors/golden/manifest.json' with { type: 'json' }

const manifest = manifestJson as unknown as GoldenManifest
const urls = import.meta.glob('../vectors/golden/*.aseal', { query: '?url', import: 'default', eager: true }) as Record<
  string,
  string
>

async function read(file: string): Promise<Uint8Array> {
  const url = urls[`../vectors/golden/${file}`]
  if (!url) throw new Error(`no golden file ${file}`)
  const res = await fetch(url)
  if (!res.ok) throw new Error(`fetching ${file}: HTTP ${res.status}`)
  return new Uint8Array(await res.arrayBuffer())
}

describe('golden vectors in the browser', () => {
  it('load byte-exact (digests match the manifest)', async () => {
    expect(Object.keys(urls).length).toBe(manifest.vectors.length)
    for (const v of manifest.vectors) expect(await sha256Hex(await read(v.file)), v.file).toBe(v.sha256)
  })

  it('open to the expected rows or error codes on the default backend, which is WebCrypto', async () => {
    expect(defaultBackend().name).toBe('webcrypto')
    const results = await checkGolden(manifest, read)
    expect(results.length).toBeGreaterThanOrEqual(22)
    for (const r of results) expect(r.actual, `${r.file} as ${r.identity} trusting ${r.trust}`).toEqual(r.expected)
  })

  it('open the same way with an explicit WebCrypto backend', async () => {
    const results = await checkGolden(manifest, read, webCryptoBackend())
    for (const r of results) expect(r.actual, `${r.file} as ${r.identity}`).toEqual(r.expected)
  })

  it('are rebuilt byte for byte from the same seeds', async () => {
    const { files } = await buildGolden()
    for (const v of manifest.vectors) {
      const frozen = await read(v.file)
      const built = files.get(v.file)!
      expect(await sha256Hex(built), v.file).toBe(await sha256Hex(frozen))
    }
  })
})
