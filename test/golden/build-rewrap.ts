/**
 * Frozen golden vectors of rewrapped streams (header flag bit 1, docs/format.md §Rewrapped streams), built from
 * fixed seeds with the main set's seal loop and identities. test/rewrap/golden.test.ts checks that the encoder
 * still writes these bytes and that each opens as listed, and writes the files when `ARROWSEAL_WRITE_GOLDEN=rewrap`
 * is set and they are absent (never over existing ones).
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { parseChain } from '../../src/format/chain.js'
import { sessionFromSeed } from '../../src/keys/session.js'
import { rewrapWith } from '../../src/lifecycle/rewrap.js'
import type { RewrapOptions } from '../../src/lifecycle/rewrap-options.js'
import { webRuntime } from '../../src/seal/runtime.js'
import { seededRandom } from '../helpers/identities.js'
import { join, splitStream } from '../helpers/streams.js'
import { type GoldenName, goldenIdentity, goldenTable, seal } from './build.js'

/** Bumped whenever these vectors are deliberately regenerated. */
export const REWRAP_GOLDEN_VERSION = 1

export type RewrapExpectation =
  | {
      readonly identity: GoldenName
      readonly trust: readonly GoldenName[]
      readonly rows: readonly Record<string, unknown>[]
    }
  | { readonly identity: GoldenName; readonly trust: readonly GoldenName[]; readonly error: string }

export interface RewrapVector {
  readonly file: string
  readonly description: string
  readonly sha256: string
  readonly expect: readonly RewrapExpectation[]
}

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')
const CLOCK = 1_700_000_000_000
export const REWRAP_POLICY = { fields: { id: 'public', email: ['support'], amount: ['analysts', 'support'] } } as const

const ANALYST = [
  { id: 1, amount: 1.5 },
  { id: 2, amount: -2 },
  { id: 3, amount: null },
]
const SUPPORT = [
  { id: 1, email: 'a@x.org', amount: 1.5 },
  { id: 2, email: null, amount: -2 },
  { id: 3, email: 'c@z.org', amount: null },
]
const BOTH: GoldenName[] = ['writer', 'bob']

/** Builds every vector: the original, its rewrap by bob (alice removed, eve added as analyst), and tampered copies. */
export async function buildRewrapGolden(): Promise<{ files: Map<string, Uint8Array>; vectors: RewrapVector[] }> {
  const t = goldenTable()
  const original = await seal(
    t,
    {
      signer: goldenIdentity('writer'),
      recipients: { analysts: [goldenIdentity('alice').publicKey], support: [goldenIdentity('bob').publicKey] },
      policy: REWRAP_POLICY,
    },
    0x72,
  )
  const change: RewrapOptions = {
    identity: goldenIdentity('bob'),
    signer: goldenIdentity('bob'),
    trustedSigners: [goldenIdentity('writer').publicKey],
    policy: REWRAP_POLICY,
    add: { analysts: [goldenIdentity('eve').publicKey] },
    remove: [goldenIdentity('alice').publicKey],
  }
  const rewrapped = await rewrapWith(original, change, seededRandom(0x73), webRuntime, CLOCK)
  const bobSession = sessionFromSeed(
    goldenIdentity('bob'),
    new Uint8Array(32).fill(0x5f),
    1_700_000_000,
    3600,
    seededRandom(0x5f),
  )
  const bySession = await rewrapWith(original, { ...change, signer: bobSession }, seededRandom(0x74), webRuntime, CLOCK)
  const { header, frames } = splitStream(rewrapped)
  const chain = parseChain(header)
  const layer = chain.layers[0]!
  // The last byte of the embedded original signature: the original writer's signature no longer verifies.
  const originalSigAt = header.length - layer.signature.length - stanzaBytes(layer) - 2 - 2 * layer.kept.length - 1
  const flip = (bytes: Uint8Array, at: number) => {
    const c = bytes.slice()
    c[at]! ^= 0x01
    return c
  }
  // Eve's MAC in frame 0 (the last of its MACs: kept bob first, then eve).
  const frame0 = frames[0]!
  const entries: [string, string, Uint8Array, RewrapExpectation[]][] = [
    [
      'rewrapped.aseal',
      'a stream of writer (analysts: alice, support: bob) rewrapped by bob: alice removed, eve added to analysts; units unchanged',
      rewrapped,
      [
        { identity: 'eve', trust: BOTH, rows: ANALYST },
        { identity: 'bob', trust: BOTH, rows: SUPPORT },
        { identity: 'alice', trust: BOTH, error: 'NOT_A_RECIPIENT' },
        { identity: 'mallory', trust: BOTH, error: 'NOT_A_RECIPIENT' },
        { identity: 'eve', trust: ['writer'], error: 'SIGNER_UNTRUSTED' },
        { identity: 'eve', trust: ['bob'], error: 'SIGNER_UNTRUSTED' },
      ],
    ],
    [
      'rewrapped-session.aseal',
      'the same rewrap signed by a writer session of bob (suite 2 layer around a suite 1 header)',
      bySession,
      [
        { identity: 'eve', trust: BOTH, rows: ANALYST },
        { identity: 'bob', trust: BOTH, rows: SUPPORT },
      ],
    ],
    [
      'rewrapped-original-sig-flipped.aseal',
      "rewrapped.aseal with one bit of the embedded original writer's signature flipped",
      join(flip(header, originalSigAt), ...frames),
      [{ identity: 'eve', trust: BOTH, error: 'SIGNATURE_INVALID' }],
    ],
    [
      'rewrapped-layer-flipped.aseal',
      "rewrapped.aseal with one bit of the rewrap layer's last stanza (eve's) flipped",
      join(flip(header, header.length - layer.signature.length - 1), ...frames),
      [{ identity: 'bob', trust: BOTH, error: 'SIGNATURE_INVALID' }],
    ],
    [
      'rewrapped-mac-flipped.aseal',
      "rewrapped.aseal with one bit of eve's MAC in frame 0 flipped",
      join(header, flip(frame0, frame0.length - 1), ...frames.slice(1)),
      [
        { identity: 'eve', trust: BOTH, error: 'AUTH_FAILED' },
        { identity: 'bob', trust: BOTH, rows: SUPPORT },
      ],
    ],
    [
      'rewrapped-truncated.aseal',
      'rewrapped.aseal without its end frame',
      join(header, ...frames.slice(0, -1)),
      [{ identity: 'eve', trust: BOTH, error: 'TRUNCATED' }],
    ],
  ]
  const files = new Map<string, Uint8Array>()
  const vectors: RewrapVector[] = []
  for (const [file, description, bytes, expect] of entries) {
    files.set(file, bytes)
    vectors.push({ file, description, sha256: hex(sha256(bytes)), expect })
  }
  return { files, vectors }
}

/** Bytes of a layer's stanzas, their count included. */
function stanzaBytes(layer: ReturnType<typeof parseChain>['layers'][number]): number {
  return 2 + layer.stanzas.reduce((n, s) => n + 32 + 1120 + 2 + s.payload.length, 0)
}
