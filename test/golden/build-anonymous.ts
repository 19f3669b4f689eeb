/**
 * Frozen golden vectors of streams with anonymous recipients (header flag bit 3, docs/format.md §Anonymous
 * recipients), built from fixed seeds next to the main set. test/core/anonymous-recipients.test.ts checks that
 * the encoder still writes these bytes and that each opens as listed, and writes the files when
 * `ARROWSEAL_WRITE_GOLDEN=anonymous` is set and they are absent (never over existing ones).
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { parseHeader } from '../../src/format/header.js'
import type { Identity } from '../../src/keys/identity.js'
import type { SealOptions } from '../../src/seal/options.js'
import { webRuntime } from '../../src/seal/runtime.js'
import { Sealer } from '../../src/seal/sealer.js'
import { seededRandom } from '../helpers/identities.js'
import { join, splitStream } from '../helpers/streams.js'
import { type GoldenName, goldenIdentity, goldenTable } from './build.js'

/** Bumped whenever these vectors are deliberately regenerated. */
export const ANONYMOUS_GOLDEN_VERSION = 1

export type AnonymousExpectation =
  | { readonly identity: GoldenName; readonly rows: readonly Record<string, unknown>[] }
  | { readonly identity: GoldenName; readonly error: string }

export interface AnonymousVector {
  readonly file: string
  readonly description: string
  readonly sha256: string
  readonly expect: readonly AnonymousExpectation[]
}

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')

function options(signer: Identity): SealOptions {
  return {
    signer,
    recipients: { analysts: [goldenIdentity('alice').publicKey], support: [goldenIdentity('bob').publicKey] },
    policy: { fields: { id: 'public', email: ['support'], amount: ['analysts', 'support'] } },
    anonymousRecipients: true,
  }
}

const ALICE = [
  { id: 1, amount: 1.5 },
  { id: 2, amount: -2 },
  { id: 3, amount: null },
]
const BOB = [
  { id: 1, email: 'a@x.org', amount: 1.5 },
  { id: 2, email: null, amount: -2 },
  { id: 3, email: 'c@z.org', amount: null },
]

/** Builds every vector. */
export async function buildAnonymousGolden(): Promise<{ files: Map<string, Uint8Array>; vectors: AnonymousVector[] }> {
  const t = goldenTable()
  const sealer = await Sealer.create(
    t.schema,
    options(goldenIdentity('writer')),
    seededRandom(0x61),
    webRuntime,
    undefined,
    1_700_000_000_000,
  )
  const parts = [sealer.header]
  for (const b of t.batches) parts.push(await sealer.sealBatch(b))
  parts.push(await sealer.finish())
  const stream = join(...parts)
  const { header, frames } = splitStream(stream)
  // One byte of bob's (second) stanza fingerprint field set: the header would name a key again.
  const fpAt = findFingerprintField(header, parseHeader(header).stanzas[1]!.enc)
  if (fpAt < 0) throw new Error('stanza not found in the golden header')
  const named = header.slice()
  named[fpAt]! ^= 0x01
  const entries: [string, string, Uint8Array, AnonymousExpectation[]][] = [
    [
      'anonymous.aseal',
      'valid, header flag bit 3: two recipients (alice: analysts; bob: support) and no key id in the header; readers find their stanza by trial decryption',
      stream,
      [
        { identity: 'alice', rows: ALICE },
        { identity: 'bob', rows: BOB },
        { identity: 'eve', error: 'NOT_A_RECIPIENT' },
      ],
    ],
    [
      'anonymous-fingerprint-set.aseal',
      "anonymous.aseal with one bit set in bob's all-zero fingerprint field",
      join(named, ...frames),
      [
        { identity: 'alice', error: 'FORMAT_INVALID' },
        { identity: 'bob', error: 'FORMAT_INVALID' },
      ],
    ],
  ]
  const files = new Map<string, Uint8Array>()
  const vectors: AnonymousVector[] = []
  for (const [file, description, bytes, expect] of entries) {
    files.set(file, bytes)
    vectors.push({ file, description, sha256: hex(sha256(bytes)), expect })
  }
  return { files, vectors }
}

/** Offset of the fingerprint field of the stanza whose encapsulation is `enc`: the 32 bytes before it. */
export function findFingerprintField(header: Uint8Array, enc: Uint8Array): number {
  for (let i = 32; i + enc.length <= header.length; i++) {
    let j = 0
    while (j < enc.length && header[i + j] === enc[j]) j++
    if (j === enc.length) return i - 32
  }
  return -1
}
