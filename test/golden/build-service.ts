/**
 * Builds the frozen golden vectors of service-access streams (format v1 with header flag bit 2, docs/format.md
 * §Service recipients) from fixed seeds, next to the main set (test/golden/build.ts), which this set leaves
 * untouched. `test/kas/format-golden.test.ts` checks that the encoder still writes these bytes and that each
 * file opens as its manifest says; `scripts/make-golden-service.ts` writes them.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { FORMAT_VERSION, FRAME_SIG_BYTES } from '../../src/format/constants.js'
import { parseHeader } from '../../src/format/header.js'
import { encodeServiceSection } from '../../src/format/service.js'
import { exportIdentity, type Identity, identityFromSeed } from '../../src/keys/identity.js'
import type { WriterSession } from '../../src/keys/session.js'
import type { SealOptions } from '../../src/seal/options.js'
import { webRuntime } from '../../src/seal/runtime.js'
import { Sealer } from '../../src/seal/sealer.js'
import { seededRandom } from '../helpers/identities.js'
import { join, splitStream } from '../helpers/streams.js'
import { goldenIdentity, goldenSession, goldenTable } from './build.js'

/** Bumped whenever these vectors are deliberately regenerated. */
export const SERVICE_GOLDEN_VERSION = 1
export const SERVICE_URL = 'https://kas.example/v1'
export const SERVICE_DATASET = 'golden/sales'

/** The golden gateway: seed byte 0xa6 repeated. Published: never use it for data. */
export function goldenGateway(): Identity {
  return identityFromSeed(new Uint8Array(32).fill(0xa6))
}

export type ServiceReader = 'alice' | 'bob' | 'eve'

/** One expectation: open as `identity`, through the golden gateway when `gateway` is set. */
export type ServiceExpectation =
  | { readonly identity: ServiceReader; readonly gateway?: true; readonly rows: readonly Record<string, unknown>[] }
  | { readonly identity: ServiceReader; readonly gateway?: true; readonly error: string }

export interface ServiceVector {
  readonly file: string
  readonly description: string
  readonly sha256: string
  readonly expect: readonly ServiceExpectation[]
}

export interface ServiceManifest {
  readonly formatVersion: number
  readonly serviceGoldenVersion: number
  readonly note: string
  readonly gateway: { readonly seedByte: number; readonly secretKey: string; readonly keyId: string }
  readonly url: string
  readonly dataset: string
  readonly vectors: readonly ServiceVector[]
}

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')

/** alice reads amount directly (analysts); support (email, amount) goes through the gateway, which eve asks. */
function options(signer: Identity | WriterSession): SealOptions {
  return {
    signer,
    recipients: {
      analysts: [goldenIdentity('alice').publicKey],
      support: [{ service: SERVICE_URL, key: goldenGateway().publicKey }],
    },
    policy: { fields: { id: 'public', email: ['support'], amount: ['analysts', 'support'] } },
    dataset: SERVICE_DATASET,
  }
}

async function seal(opts: SealOptions, seed: number): Promise<Uint8Array> {
  const t = goldenTable()
  const sealer = await Sealer.create(t.schema, opts, seededRandom(seed), webRuntime, undefined, 1_700_000_000_000)
  const parts = [sealer.header]
  for (const b of t.batches) parts.push(await sealer.sealBatch(b))
  parts.push(await sealer.finish())
  return join(...parts)
}

const ALICE = [
  { id: 1, amount: 1.5 },
  { id: 2, amount: -2 },
  { id: 3, amount: null },
]
const SUPPORT = [
  { id: 1, email: 'a@x.org', amount: 1.5 },
  { id: 2, email: null, amount: -2 },
  { id: 3, email: 'c@z.org', amount: null },
]

/** Builds every vector and the manifest. */
export async function buildServiceGolden(): Promise<{ files: Map<string, Uint8Array>; manifest: ServiceManifest }> {
  const service = await seal(options(goldenIdentity('writer')), 0x51)
  const { header, frames } = splitStream(service)
  const parsed = parseHeader(header)

  // Frame signature flipped in batch 0 (its first byte), and dropped from batch 0 (length field adjusted).
  const f0 = frames[0]!
  const flipped = f0.slice()
  flipped[flipped.length - FRAME_SIG_BYTES]! ^= 0x01
  const dropped = f0.slice(0, f0.length - FRAME_SIG_BYTES)
  new DataView(dropped.buffer).setUint32(0, dropped.length - 4)
  // The dataset's last byte changed in the signed header: 'golden/sales' becomes 'golden/saler'.
  const section = encodeServiceSection(parsed.service!)
  const sectionAt = parsed.signed.length - section.length
  // frame key (32), service count, stanza index, URL length, URL, dataset length, dataset
  const datasetAt = sectionAt + 32 + 2 + 2 + 2 + SERVICE_URL.length + 2 + SERVICE_DATASET.length - 1
  const renamed = header.slice()
  renamed[datasetAt]! ^= 0x01

  const entries: [string, string, Uint8Array, ServiceExpectation[]][] = [
    [
      'service.aseal',
      'valid, header flag bit 2: amount for analysts (alice, direct); email and amount for support through the gateway; two batches, every frame signed by the frame key',
      service,
      [
        { identity: 'alice', rows: ALICE },
        { identity: 'eve', gateway: true, rows: SUPPORT },
        { identity: 'eve', error: 'NOT_A_RECIPIENT' },
      ],
    ],
    [
      'service-session.aseal',
      'valid, suite 2 with header flag bit 2: the same, signed by the golden writer session',
      await seal(options(goldenSession()), 0x52),
      [
        { identity: 'alice', rows: ALICE },
        { identity: 'eve', gateway: true, rows: SUPPORT },
      ],
    ],
    [
      'service-frame-sig-flipped.aseal',
      "service.aseal with one bit of batch 0's frame signature flipped",
      join(header, flipped, ...frames.slice(1)),
      [
        { identity: 'alice', error: 'AUTH_FAILED' },
        { identity: 'eve', gateway: true, error: 'AUTH_FAILED' },
      ],
    ],
    [
      'service-frame-sig-dropped.aseal',
      "service.aseal with batch 0's frame signature removed (its length field adjusted)",
      join(header, dropped, ...frames.slice(1)),
      [
        { identity: 'alice', error: 'FORMAT_INVALID' },
        { identity: 'eve', gateway: true, error: 'FORMAT_INVALID' },
      ],
    ],
    [
      'service-dataset-changed.aseal',
      "service.aseal with the dataset's last byte changed in the signed header",
      join(renamed, ...frames),
      [
        { identity: 'alice', error: 'SIGNATURE_INVALID' },
        { identity: 'eve', gateway: true, error: 'SIGNATURE_INVALID' },
      ],
    ],
  ]
  const files = new Map<string, Uint8Array>()
  const vectors: ServiceVector[] = []
  for (const [file, description, bytes, expect] of entries) {
    files.set(file, bytes)
    vectors.push({ file, description, sha256: hex(sha256(bytes)), expect })
  }
  const gw = goldenGateway()
  return {
    files,
    manifest: {
      formatVersion: FORMAT_VERSION,
      serviceGoldenVersion: SERVICE_GOLDEN_VERSION,
      note: 'Frozen vectors of arrowseal service-access streams (header flag bit 2). Readers are those of test/vectors/golden/manifest.json; the gateway key is published: never use it for data.',
      gateway: { seedByte: 0xa6, secretKey: exportIdentity(gw), keyId: gw.keyId },
      url: SERVICE_URL,
      dataset: SERVICE_DATASET,
      vectors,
    },
  }
}
