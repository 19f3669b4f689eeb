/**
 * Builds the frozen golden vectors of format v1 from fixed seeds. Pure and deterministic (Web APIs only, so the
 * browser suite can rebuild them too): the same code always yields the same bytes, and
 * `test/golden/golden.test.ts` checks that it still yields the bytes frozen in `test/vectors/golden/`.
 * `scripts/make-golden.ts` writes them. The deterministic random source is passed to the internal
 * `Sealer.create`; no public API accepts one.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import {
  Field,
  Float64,
  Int32,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Table,
  Utf8,
  vectorFromArray,
} from 'apache-arrow'
import { concatBytes } from '../../src/format/bytes.js'
import { FORMAT_VERSION, LABEL, MAC_BYTES } from '../../src/format/constants.js'
import { frameMac } from '../../src/format/derive.js'
import { parseFrame, writeFrame } from '../../src/format/frame.js'
import { encodeSignedPart, type ParsedHeader, parseHeader } from '../../src/format/header.js'
import { setupBaseR, setupBaseS } from '../../src/keys/hpke.js'
import { exportIdentity, type Identity, identityFromSeed } from '../../src/keys/identity.js'
import { sessionFromSeed, type WriterSession } from '../../src/keys/session.js'
import type { SealOptions } from '../../src/seal/options.js'
import { webRuntime } from '../../src/seal/runtime.js'
import { Sealer } from '../../src/seal/sealer.js'
import { seededRandom } from '../helpers/identities.js'
import { join, splitStream } from '../helpers/streams.js'

/** Bumped whenever the vectors are deliberately regenerated; the manifest records it. */
export const GOLDEN_SET_VERSION = 3

/** Test identities of the golden vectors: seed byte b repeated 32 times. Published: never use them for data. */
export const GOLDEN_IDENTITIES = {
  writer: 0xa1,
  alice: 0xa2,
  bob: 0xa3,
  eve: 0xa4,
  mallory: 0xa5,
} as const
export type GoldenName = keyof typeof GOLDEN_IDENTITIES

export function goldenIdentity(name: GoldenName): Identity {
  return identityFromSeed(new Uint8Array(32).fill(GOLDEN_IDENTITIES[name]))
}

/** The golden writer's session: fixed seed, a window long past (so `sessions: 'current'` always refuses it). */
export function goldenSession(): WriterSession {
  return sessionFromSeed(
    goldenIdentity('writer'),
    new Uint8Array(32).fill(0x5e),
    1_700_000_000,
    3600,
    seededRandom(0x5e),
  )
}

/** Expected result of opening one vector as one identity. */
/** The reader's `sessions` option for one expectation (absent: the default, `'accept'`). */
export type SessionsOption = 'accept' | 'current' | 'reject'
export type Expectation =
  | {
      readonly identity: GoldenName
      readonly trust: GoldenName
      readonly sessions?: SessionsOption
      readonly rows: readonly Record<string, unknown>[]
    }
  | {
      readonly identity: GoldenName
      readonly trust: GoldenName
      readonly sessions?: SessionsOption
      readonly error: string
    }

export interface GoldenVector {
  readonly file: string
  readonly description: string
  readonly sha256: string
  readonly expect: readonly Expectation[]
}

export interface GoldenManifest {
  readonly formatVersion: number
  readonly goldenSetVersion: number
  readonly note: string
  readonly identities: Record<GoldenName, { seedByte: number; secretKey: string; keyId: string }>
  readonly vectors: readonly GoldenVector[]
}

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')

/** Three columns, two batches: id public, email for support (bob), amount for analysts (alice) and support. */
export function goldenTable(): Table {
  const fields = [
    new Field('id', new Int32(), false),
    new Field('email', new Utf8(), true),
    new Field('amount', new Float64(), true),
  ]
  const schema = new Schema(fields)
  const batch = (ids: number[], emails: (string | null)[], amounts: (number | null)[]) =>
    new RecordBatch(
      schema,
      makeData({
        type: new Struct(fields),
        length: ids.length,
        nullCount: 0,
        children: [
          vectorFromArray(ids, new Int32()).data[0]!,
          vectorFromArray(emails, new Utf8()).data[0]!,
          vectorFromArray(amounts, new Float64()).data[0]!,
        ],
      }),
    )
  return new Table([batch([1, 2], ['a@x.org', null], [1.5, -2]), batch([3], ['c@z.org'], [null])])
}

const ROWS = {
  alice: [
    { id: 1, amount: 1.5 },
    { id: 2, amount: -2 },
    { id: 3, amount: null },
  ],
  bob: [
    { id: 1, email: 'a@x.org', amount: 1.5 },
    { id: 2, email: null, amount: -2 },
    { id: 3, email: 'c@z.org', amount: null },
  ],
}

function options(signer: Identity | WriterSession, extra: Partial<SealOptions> = {}): SealOptions {
  return {
    signer,
    recipients: { analysts: [goldenIdentity('alice').publicKey], support: [goldenIdentity('bob').publicKey] },
    policy: { fields: { id: 'public', email: ['support'], amount: ['analysts', 'support'] } },
    ...extra,
  }
}

/** The seal loop of every golden builder: header, each batch, end; fixed seed and clock. */
export async function seal(t: Table, opts: SealOptions, seed: number, batches = true): Promise<Uint8Array> {
  // The clock is the golden session's start, so its (long past) window still lets it sign.
  const sealer = await Sealer.create(t.schema, opts, seededRandom(seed), webRuntime, undefined, 1_700_000_000_000)
  const parts = [sealer.header]
  if (batches) for (const b of t.batches) parts.push(await sealer.sealBatch(b))
  parts.push(await sealer.finish())
  return join(...parts)
}

function stanzaIndex(h: ParsedHeader, who: Identity): number {
  return h.stanzas.findIndex((s) => s.fingerprint.every((x, i) => x === who.fingerprint[i]))
}

/** What a recipient learns from its stanza: the HPKE context (for the MAC key). */
function recipientContext(h: ParsedHeader, who: Identity) {
  const st = h.stanzas[stanzaIndex(h, who)]!
  return setupBaseR(who, st.enc, concatBytes(LABEL.stanzaInfo, h.streamId))
}

/**
 * A dishonest writer's stream: bob's stanza carries a different key for the shared group than alice's. The
 * writer re-signs the header and re-MACs every frame, so only the key commitment can expose it. (A stream with
 * batches would also need its units re-sealed, as their AAD holds the header digest; the check fires first.)
 */
function commitmentMismatch(honest: Uint8Array): Uint8Array {
  const writer = goldenIdentity('writer')
  const alice = goldenIdentity('alice')
  const bob = goldenIdentity('bob')
  const rnd = seededRandom(0xc0)
  const { header: hb, frames } = splitStream(honest)
  const h = parseHeader(hb)
  // Bob's payload: u16 count, then (u16 id, key) per group; the amount group is group 2, email group 1.
  const original = recipientContext(h, bob).open(sha256(h.preamble), h.stanzas[stanzaIndex(h, bob)]!.payload)
  const payload = original.slice()
  for (let o = 2; o < payload.length; o += 34)
    if (((payload[o]! << 8) | payload[o + 1]!) === 2) payload.fill(0x5a, o + 2, o + 34)
  const info = concatBytes(LABEL.stanzaInfo, h.streamId)
  const ctx = setupBaseS(bob.publicKeyObject, info, { eseed: rnd(64) })
  const bi = stanzaIndex(h, bob)
  const stanzas = h.stanzas.map((s, i) =>
    i === bi ? { ...s, enc: ctx.enc, payload: ctx.seal(sha256(h.preamble), payload) } : s,
  )
  const signed = encodeSignedPart({ ...h, stanzas })
  const header = join(signed, writer.sign(LABEL.headerSignature, signed, rnd))
  const hd = sha256(header)
  const macKeys = [recipientContext(h, alice), ctx].map((c) => c.export(LABEL.macExport, 32))
  const order = [stanzaIndex(h, alice), bi]
  const out = [header]
  for (const f of frames) {
    const p = parseFrame(f.subarray(4), h.groups.length, h.stanzas.length)
    const w = writeFrame(p.kind, p.index, p.rows, p.units, h.stanzas.length)
    const d = sha256(w.body)
    for (const [k, idx] of order.entries()) w.macs.set(frameMac(macKeys[k]!, hd, d), idx * MAC_BYTES)
    out.push(w.frame)
  }
  return join(...out)
}

/** Builds every vector and the manifest. */
export async function buildGolden(): Promise<{ files: Map<string, Uint8Array>; manifest: GoldenManifest }> {
  const t = goldenTable()
  const writer = goldenIdentity('writer')
  const basic = await seal(t, options(writer), 1)
  const empty = await seal(t, options(writer), 4, false)
  const sibling = await seal(t, options(writer), 2)
  const { header, frames } = splitStream(basic)
  const other = splitStream(sibling)
  const [f0, f1, end] = frames as [Uint8Array, Uint8Array, Uint8Array]
  const h = parseHeader(header)
  const at = (v: Uint8Array) => v.byteOffset - basic.byteOffset

  // Policy changed: the groups and stanzas of a stream sealed under a policy that makes email public, with the
  // original stream's signature.
  const widened = await seal(
    t,
    options(writer, { policy: { fields: { id: 'public', email: 'public', amount: ['analysts', 'support'] } } }),
    1,
  )
  const wh = parseHeader(splitStream(widened).header)
  const policyChanged = join(wh.signed, h.signature, ...frames)

  // Stanza swapped: alice's stanza replaced by her stanza from the sibling stream (valid HPKE to her, same length).
  const swapped = basic.slice()
  const ai = stanzaIndex(h, goldenIdentity('alice'))
  const oh = parseHeader(other.header)
  swapped.set(oh.stanzas[ai]!.enc, at(h.stanzas[ai]!.enc))
  swapped.set(oh.stanzas[ai]!.payload, at(h.stanzas[ai]!.payload))

  const both = (rowsFor: 'ok' | string, trust: GoldenName = 'writer'): Expectation[] =>
    (['alice', 'bob'] as const).map((identity) =>
      rowsFor === 'ok' ? { identity, trust, rows: ROWS[identity] } : { identity, trust, error: rowsFor },
    )

  const entries: [string, string, Uint8Array, Expectation[]][] = [
    [
      'basic.aseal',
      'valid: id public, email for support (bob), amount for analysts (alice) and support; two batches',
      basic,
      [
        ...both('ok'),
        { identity: 'eve', trust: 'writer', error: 'NOT_A_RECIPIENT' },
        { identity: 'alice', trust: 'mallory', error: 'SIGNER_UNTRUSTED' },
      ],
    ],
    [
      'revealed-deflate.aseal',
      'valid: revealSchema and deflate-compressed units',
      await seal(t, options(writer, { revealSchema: true, compression: 'deflate' }), 3),
      both('ok'),
    ],
    [
      'empty.aseal',
      'valid: no batches (header and end frame)',
      empty,
      (['alice', 'bob'] as const).map((identity) => ({ identity, trust: 'writer' as const, rows: [] })),
    ],
    [
      'session.aseal',
      'valid, suite 2: signed by a writer session (seed 0x5e…5e, 2023-11-14T22:13:20Z for one hour) that the writer certified',
      await seal(t, options(goldenSession()), 6),
      [
        ...both('ok'),
        { identity: 'alice', trust: 'writer', sessions: 'reject', error: 'SESSION_REJECTED' },
        { identity: 'alice', trust: 'writer', sessions: 'current', error: 'SESSION_EXPIRED' },
        { identity: 'alice', trust: 'mallory', error: 'SIGNER_UNTRUSTED' },
      ],
    ],
    [
      'wrong-signer.aseal',
      'signed by mallory, who is not trusted',
      await seal(t, options(goldenIdentity('mallory')), 5),
      both('SIGNER_UNTRUSTED'),
    ],
    ['truncated.aseal', 'basic.aseal without its end frame', join(header, f0, f1), both('TRUNCATED')],
    [
      'reordered.aseal',
      'basic.aseal with its two batch frames swapped',
      join(header, f1, f0, end),
      both('FRAME_OUT_OF_ORDER'),
    ],
    [
      'spliced.aseal',
      'basic.aseal with batch 0 taken from a sibling stream (same writer, keys, policy and data)',
      join(header, other.frames[0]!, f1, end),
      both('AUTH_FAILED'),
    ],
    ['trailing.aseal', 'basic.aseal followed by one zero byte', join(basic, Uint8Array.of(0)), both('TRAILING_DATA')],
    [
      'policy-changed.aseal',
      "header of a stream whose policy makes email public, with basic.aseal's signature",
      policyChanged,
      both('SIGNATURE_INVALID'),
    ],
    [
      'stanza-swapped.aseal',
      "alice's stanza replaced by her stanza from the sibling stream",
      swapped,
      both('SIGNATURE_INVALID'),
    ],
    [
      'commitment-mismatch.aseal',
      "empty.aseal re-signed by the writer with bob's key for the amount group changed, end frame re-MACed",
      commitmentMismatch(empty),
      [
        { identity: 'alice', trust: 'writer', rows: [] },
        { identity: 'bob', trust: 'writer', error: 'AUTH_FAILED' },
      ],
    ],
  ]
  const files = new Map<string, Uint8Array>()
  const vectors: GoldenVector[] = []
  for (const [file, description, bytes, expect] of entries) {
    files.set(file, bytes)
    vectors.push({ file, description, sha256: hex(sha256(bytes)), expect })
  }
  const identities = Object.fromEntries(
    (Object.keys(GOLDEN_IDENTITIES) as GoldenName[]).map((n) => {
      const i = goldenIdentity(n)
      return [n, { seedByte: GOLDEN_IDENTITIES[n], secretKey: exportIdentity(i), keyId: i.keyId }]
    }),
  ) as GoldenManifest['identities']
  return {
    files,
    manifest: {
      formatVersion: FORMAT_VERSION,
      goldenSetVersion: GOLDEN_SET_VERSION,
      note: 'Frozen vectors of arrowseal format v1. The identities are published test keys: never use them for data.',
      identities,
      vectors,
    },
  }
}
