/**
 * Anonymous recipients (header flag bit 3): the header names no recipient key, readers find their stanza by trial
 * decryption, gateways too; tampering is refused; the frozen vectors in test/vectors/golden-anonymous still open
 * and rebuild byte for byte.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { tableFromArrays } from 'apache-arrow'
import { describe, expect, it } from 'vitest'
import { ArrowSealError } from '../../src/errors.js'
import { HEADER_FLAG_ANONYMOUS } from '../../src/format/constants.js'
import { parseHeader } from '../../src/format/header.js'
import { inspect } from '../../src/inspect.js'
import { unwrapForService } from '../../src/kas/service-view.js'
import type { OpenOptions } from '../../src/seal/options.js'
import { openTable, sealTable } from '../../src/table.js'
import { goldenIdentity } from '../golden/build.js'
import {
  ANONYMOUS_GOLDEN_VERSION,
  type AnonymousVector,
  buildAnonymousGolden,
  findFingerprintField,
} from '../golden/build-anonymous.js'
import { rowsOf } from '../golden/check.js'
import { id } from '../helpers/identities.js'
import { splitStream } from '../helpers/streams.js'
import { fakeGateway } from '../kas/fake-gateway.js'

const writer = id('anon-writer')
const [alice, bob, carol, eve] = ['anon-alice', 'anon-bob', 'anon-carol', 'anon-eve'].map(id) as [
  ReturnType<typeof id>,
  ReturnType<typeof id>,
  ReturnType<typeof id>,
  ReturnType<typeof id>,
]
const table = tableFromArrays({ id: Int32Array.from([1, 2]), secret: ['s1', 's2'], note: ['n1', 'n2'] })
const policy = { fields: { id: 'public' as const, secret: ['a'], note: ['b'] } }
const recipients = { a: [alice.publicKey, carol.publicKey], b: [bob.publicKey] }
const read = (identity: typeof alice): OpenOptions => ({ identity, trustedSigners: [writer.publicKey] })

function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer
    return true
  }
  return false
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p
    return 'opened'
  } catch (err) {
    if (err instanceof ArrowSealError) return err.code
    throw err
  }
}

describe('anonymous recipients', () => {
  it('every recipient opens its own fields; a non-recipient is NOT_A_RECIPIENT', async () => {
    const sealed = await sealTable(table, { signer: writer, recipients, policy, anonymousRecipients: true })
    expect(parseHeader(splitStream(sealed).header).flags & HEADER_FLAG_ANONYMOUS).toBe(HEADER_FLAG_ANONYMOUS)
    for (const r of [alice, carol])
      expect(rowsOf(await openTable(sealed, read(r)))).toEqual([
        { id: 1, secret: 's1' },
        { id: 2, secret: 's2' },
      ])
    expect(rowsOf(await openTable(sealed, read(bob)))).toEqual([
      { id: 1, note: 'n1' },
      { id: 2, note: 'n2' },
    ])
    expect(await code(openTable(sealed, read(eve)))).toBe('NOT_A_RECIPIENT')
  })

  it('neither the bytes nor inspect carry a recipient fingerprint or key id (and without the option they do)', async () => {
    const named = await sealTable(table, { signer: writer, recipients, policy })
    const anonymous = await sealTable(table, { signer: writer, recipients, policy, anonymousRecipients: true })
    for (const r of [alice, bob, carol]) {
      const fp = r.publicKeyObject.fingerprint
      expect(contains(named, fp.subarray(0, 8))).toBe(true) // the check can fail
      expect(contains(anonymous, fp.subarray(0, 8))).toBe(false)
      expect(JSON.stringify(inspect(named))).toContain(r.keyId)
      expect(JSON.stringify(inspect(anonymous))).not.toContain(r.keyId)
    }
    const shown = inspect(anonymous)
    expect(shown.anonymousRecipients).toBe(true)
    expect(shown.recipients).toEqual([
      { fingerprint: null, keyId: null },
      { fingerprint: null, keyId: null },
      { fingerprint: null, keyId: null },
    ])
    expect(inspect(named).anonymousRecipients).toBe(false)
  })

  it('every byte of the header, changed, is refused', async () => {
    const sealed = await sealTable(table, {
      signer: writer,
      recipients: { a: [alice.publicKey] },
      policy: { fields: { id: 'public' as const }, default: ['a'] },
      anonymousRecipients: true,
    })
    const { header } = splitStream(sealed)
    // The flags, every byte of the (zero) fingerprint field, and 48 positions spread over the rest.
    const fp = findFingerprintField(header, parseHeader(header).stanzas[0]!.enc)
    const spread = Array.from({ length: 48 }, (_, k) => Math.floor((k * header.length) / 48))
    const at = [15, 16, ...Array.from({ length: 32 }, (_, k) => fp + k), ...spread]
    for (const i of at) {
      const bad = sealed.slice()
      bad[i]! ^= 0x01
      expect(await code(openTable(bad, read(alice))), `byte ${i}`).not.toBe('opened')
    }
  })

  it('clearing the flag bit is refused (the golden vectors cover a fingerprint byte set)', async () => {
    const sealed = await sealTable(table, { signer: writer, recipients, policy, anonymousRecipients: true })
    const flagsAt = 15 // magic 8, version 1, suite 2, body length 4: the u16 flags come first in the body
    const cleared = sealed.slice()
    cleared[flagsAt + 1]! &= ~HEADER_FLAG_ANONYMOUS
    // Three all-zero fingerprints are then one key named three times.
    expect(await code(openTable(cleared, read(alice)))).toBe('FORMAT_INVALID')
  })

  it('a gateway finds its stanza by trial too, and its readers open through it', async () => {
    const gateway = id('anon-gateway')
    const sealed = await sealTable(table, {
      signer: writer,
      recipients: { a: [alice.publicKey], b: [{ service: 'https://kas.example', key: gateway.publicKey }] },
      policy,
      anonymousRecipients: true,
    })
    const { header } = splitStream(sealed)
    const view = await unwrapForService(header, gateway, [writer.publicKeyObject])
    expect([...view.roles.keys()]).toEqual(['b'])
    for (const k of view.groupKeys.values()) k.fill(0)
    const viaGateway = await openTable(sealed, {
      ...read(eve),
      keyAccess: fakeGateway(gateway, [writer.publicKeyObject]),
    })
    expect(rowsOf(viaGateway)).toEqual([
      { id: 1, note: 'n1' },
      { id: 2, note: 'n2' },
    ])
    expect(await code(unwrapForService(header, eve, [writer.publicKeyObject]))).toBe('NOT_A_RECIPIENT')
  })
})

describe('anonymous golden vectors', () => {
  const dir = new URL('../vectors/golden-anonymous/', import.meta.url)
  const manifestUrl = new URL('manifest.json', dir)

  it('are byte-identical to what the encoder writes today, and open as listed', async () => {
    const built = await buildAnonymousGolden()
    if (process.env['ARROWSEAL_WRITE_GOLDEN'] === 'anonymous' && !existsSync(manifestUrl)) {
      for (const [file, bytes] of built.files) writeFileSync(new URL(file, dir), bytes)
      const manifest = { anonymousGoldenVersion: ANONYMOUS_GOLDEN_VERSION, vectors: built.vectors }
      writeFileSync(manifestUrl, `${JSON.stringify(manifest, null, 2)}\n`)
    }
    const manifest = JSON.parse(readFileSync(manifestUrl, 'utf8')) as {
      anonymousGoldenVersion: number
      vectors: AnonymousVector[]
    }
    expect(manifest.anonymousGoldenVersion).toBe(ANONYMOUS_GOLDEN_VERSION)
    expect(JSON.parse(JSON.stringify(built.vectors))).toEqual(manifest.vectors)
    for (const v of manifest.vectors) {
      const frozen = new Uint8Array(readFileSync(new URL(v.file, dir)))
      expect(Buffer.from(frozen).equals(Buffer.from(built.files.get(v.file)!)), v.file).toBe(true)
      for (const e of v.expect) {
        const options = { identity: goldenIdentity(e.identity), trustedSigners: [goldenIdentity('writer').publicKey] }
        let got: unknown
        try {
          got = { rows: rowsOf(await openTable(frozen, options)) }
        } catch (err) {
          if (!(err instanceof ArrowSealError)) throw err
          got = { error: err.code }
        }
        expect(got, `${v.file} as ${e.identity}`).toEqual('rows' in e ? { rows: e.rows } : { error: e.error })
      }
    }
  })
})
