/**
 * Frozen golden vectors of a rewrap that moves a role to a key-access gateway (a layer with flag bit 2, its own
 * service section and frame key: docs/format.md §Gateways added by a rewrap), built from fixed seeds from the same
 * original stream as test/golden/build-rewrap.ts and the golden gateway of build-service.ts. The earlier sets are
 * untouched. test/rewrap/golden-service.test.ts checks that the encoder still writes these bytes and that each file
 * opens as listed, and writes them when `ARROWSEAL_WRITE_GOLDEN=rewrap-service` is set and they are absent.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { FRAME_SIG_BYTES } from '../../src/format/constants.js'
import { rewrapWith } from '../../src/lifecycle/rewrap.js'
import { webRuntime } from '../../src/seal/runtime.js'
import { seededRandom } from '../helpers/identities.js'
import { join, splitStream } from '../helpers/streams.js'
import { type GoldenName, goldenIdentity, goldenTable, seal } from './build.js'
import { REWRAP_POLICY } from './build-rewrap.js'
import { goldenGateway, SERVICE_DATASET, SERVICE_URL } from './build-service.js'

/** Bumped whenever these vectors are deliberately regenerated. */
export const REWRAP_SERVICE_GOLDEN_VERSION = 1

/** Open as `identity` trusting `trust`; through the golden gateway (trusting the same keys) when `gateway` is set. */
export type RewrapServiceExpectation = {
  readonly identity: GoldenName
  readonly trust: readonly GoldenName[]
  readonly gateway?: true
} & ({ readonly rows: readonly Record<string, unknown>[] } | { readonly error: string })

export interface RewrapServiceVector {
  readonly file: string
  readonly description: string
  readonly sha256: string
  readonly expect: readonly RewrapServiceExpectation[]
}

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')
const CLOCK = 1_700_000_000_000
const BOTH: GoldenName[] = ['writer', 'bob']
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

/** Builds every vector: the rewrap of the rewrap set's original by bob moving analysts to the gateway, and tampered copies. */
export async function buildRewrapServiceGolden(): Promise<{
  files: Map<string, Uint8Array>
  vectors: RewrapServiceVector[]
}> {
  const original = await seal(
    goldenTable(),
    {
      signer: goldenIdentity('writer'),
      recipients: { analysts: [goldenIdentity('alice').publicKey], support: [goldenIdentity('bob').publicKey] },
      policy: REWRAP_POLICY,
    },
    0x72,
  )
  const moved = await rewrapWith(
    original,
    {
      identity: goldenIdentity('bob'),
      signer: goldenIdentity('bob'),
      trustedSigners: [goldenIdentity('writer').publicKey],
      policy: REWRAP_POLICY,
      remove: [goldenIdentity('alice').publicKey],
      add: { analysts: [{ service: SERVICE_URL, key: goldenGateway().publicKey }] },
      dataset: SERVICE_DATASET,
    },
    seededRandom(0x75),
    webRuntime,
    CLOCK,
  )
  const { header, frames } = splitStream(moved)
  const frame0 = frames[0]!
  const flipped = frame0.slice()
  flipped[flipped.length - 1]! ^= 0x01
  const dropped = frame0.slice(0, frame0.length - FRAME_SIG_BYTES)
  new DataView(dropped.buffer).setUint32(0, dropped.length - 4)
  const urlAt = Buffer.from(header).lastIndexOf('kas.example')
  const renamed = header.slice()
  renamed[urlAt]! ^= 0x20 // 'k' → 'K': a valid URL, so only the layer signature catches it
  const entries: [string, string, Uint8Array, RewrapServiceExpectation[]][] = [
    [
      'moved.aseal',
      'the rewrap set original (analysts: alice, support: bob) rewrapped by bob: alice removed, analysts moved to the golden gateway',
      moved,
      [
        { identity: 'eve', trust: BOTH, gateway: true, rows: ANALYST },
        { identity: 'bob', trust: BOTH, rows: SUPPORT },
        { identity: 'alice', trust: BOTH, error: 'NOT_A_RECIPIENT' },
        { identity: 'eve', trust: BOTH, error: 'NOT_A_RECIPIENT' },
        { identity: 'eve', trust: ['writer'], gateway: true, error: 'SIGNER_UNTRUSTED' },
      ],
    ],
    [
      'moved-layer-sig-flipped.aseal',
      "moved.aseal with one bit of the layer's frame signature in frame 0 flipped",
      join(header, flipped, ...frames.slice(1)),
      [
        { identity: 'eve', trust: BOTH, gateway: true, error: 'AUTH_FAILED' },
        { identity: 'bob', trust: BOTH, error: 'AUTH_FAILED' },
      ],
    ],
    [
      'moved-layer-sig-dropped.aseal',
      "moved.aseal with the layer's frame signature of frame 0 removed, its length adjusted",
      join(header, dropped, ...frames.slice(1)),
      [
        { identity: 'eve', trust: BOTH, gateway: true, error: 'FORMAT_INVALID' },
        { identity: 'bob', trust: BOTH, error: 'FORMAT_INVALID' },
      ],
    ],
    [
      'moved-url-changed.aseal',
      "moved.aseal with one letter of the layer's service URL changed in case",
      join(renamed, ...frames),
      [
        { identity: 'eve', trust: BOTH, gateway: true, error: 'SIGNATURE_INVALID' },
        { identity: 'bob', trust: BOTH, error: 'SIGNATURE_INVALID' },
      ],
    ],
  ]
  const files = new Map<string, Uint8Array>()
  const vectors: RewrapServiceVector[] = []
  for (const [file, description, bytes, expect] of entries) {
    files.set(file, bytes)
    vectors.push({ file, description, sha256: hex(sha256(bytes)), expect })
  }
  return { files, vectors }
}
