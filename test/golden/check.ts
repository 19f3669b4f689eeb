/**
 * Opens every golden vector as every identity its manifest lists and compares the result with the expectation:
 * the exact rows (as JSON values) or the exact error code. Web APIs only: the Node and browser suites share it.
 */
import type { Table } from 'apache-arrow'
import type { CryptoBackend } from '../../src/aead/types.js'
import { ArrowSealError } from '../../src/errors.js'
import { type Identity, importIdentity } from '../../src/keys/identity.js'
import { openTable } from '../../src/table.js'
import { openStreamed } from '../helpers/streams.js'
import type { GoldenManifest, GoldenName } from './build.js'

/** Rows as plain JSON values, field order kept, so they compare with the manifest's. */
export function rowsOf(t: Table): Record<string, unknown>[] {
  return t.toArray().map((r) => {
    const o: Record<string, unknown> = {}
    for (const f of t.schema.fields) o[f.name] = r[f.name] ?? null
    return o
  })
}

/** One check's outcome, for a readable failure report. */
export interface GoldenResult {
  readonly file: string
  readonly identity: GoldenName
  readonly trust: GoldenName
  readonly expected: unknown
  readonly actual: unknown
}

/** Opens each vector for each expectation; returns every result (callers assert expected equals actual). */
export async function checkGolden(
  manifest: GoldenManifest,
  read: (file: string) => Promise<Uint8Array>,
  backend?: CryptoBackend,
  /** Open through OpenStream in chunks of this many bytes instead of openTable on the whole file. */
  chunk?: number,
): Promise<GoldenResult[]> {
  const ids = new Map<GoldenName, Identity>()
  for (const [name, v] of Object.entries(manifest.identities) as [GoldenName, { secretKey: string }][])
    ids.set(name, await importIdentity(v.secretKey))
  const results: GoldenResult[] = []
  for (const v of manifest.vectors) {
    const bytes = await read(v.file)
    for (const e of v.expect) {
      const options = {
        identity: ids.get(e.identity)!,
        trustedSigners: [ids.get(e.trust)!.publicKey],
        ...(backend ? { backend } : {}),
        ...(e.sessions ? { sessions: e.sessions } : {}),
      }
      let actual: unknown
      try {
        const table = chunk === undefined ? await openTable(bytes, options) : await openStreamed(bytes, options, chunk)
        actual = { rows: rowsOf(table) }
      } catch (err) {
        if (!(err instanceof ArrowSealError)) throw err
        actual = { error: err.code }
      }
      const expected = 'rows' in e ? { rows: e.rows } : { error: e.error }
      results.push({ file: v.file, identity: e.identity, trust: e.trust, expected, actual })
    }
  }
  return results
}

/** Lower-case hex SHA-256, through WebCrypto (available in Node and browsers). */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', new Uint8Array(bytes)))
  return Array.from(d, (x) => x.toString(16).padStart(2, '0')).join('')
}
