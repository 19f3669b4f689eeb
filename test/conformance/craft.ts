/**
 * Builders for headers and frames at and past the hard limits, made with the format's own encoders so that only
 * the one field under test is out of the ordinary. A header can be signed by the real writer, so a reader gets
 * past the signature and the test sees the first check after it.
 */
import { ByteWriter } from '../../src/format/bytes.js'
import {
  COMMITMENT_BYTES,
  FINGERPRINT_BYTES,
  GROUP_KIND_SEALED,
  LABEL,
  SIGNATURE_BYTES,
  STREAM_ID_BYTES,
  XWING_ENC_BYTES,
} from '../../src/format/constants.js'
import { encodeSignedPart, type GroupEntry, type StanzaEntry } from '../../src/format/header.js'
import type { Identity } from '../../src/keys/identity.js'
import { seededRandom } from '../helpers/identities.js'
import { join } from '../helpers/streams.js'

const rnd = seededRandom(0x11317)

/** Body bytes of a header with the given groups and stanzas (format.md §Header). */
export function bodySize(groups: readonly GroupEntry[], stanzas: readonly StanzaEntry[]): number {
  let n = 2 + STREAM_ID_BYTES + FINGERPRINT_BYTES + 2
  for (const g of groups) n += 2 + 1 + 1 + (g.commitment ? COMMITMENT_BYTES : 0) + 4 + g.schema.length
  n += 2
  for (const s of stanzas) n += FINGERPRINT_BYTES + XWING_ENC_BYTES + 2 + s.payload.length
  return n
}

/** A sealed group with an opaque (hidden) schema blob of `len` bytes: never decoded before the reader's stanza. */
export function sealedGroup(id: number, len = 16): GroupEntry {
  // Large blobs are zeros: the byte-at-a-time seeded generator would dominate the test's time.
  const schema = len > 4096 ? new Uint8Array(len) : rnd(len)
  return { id, kind: GROUP_KIND_SEALED, flags: 0, commitment: rnd(COMMITMENT_BYTES), schema }
}

/** A stanza for a random (nobody's) key. */
export function strangerStanza(payloadLen = 52): StanzaEntry {
  return { fingerprint: rnd(FINGERPRINT_BYTES), enc: rnd(XWING_ENC_BYTES), payload: rnd(payloadLen) }
}

/** A whole header: signed by `signer` if given, else with an all-zero signature. */
export function craftHeader(
  groups: readonly GroupEntry[],
  stanzas: readonly StanzaEntry[],
  signer: Identity | null,
): Uint8Array {
  const signed = encodeSignedPart({
    flags: 0,
    streamId: rnd(STREAM_ID_BYTES),
    signer: signerFingerprint(signer),
    groups,
    stanzas,
  })
  const signature = signer ? signer.sign(LABEL.headerSignature, signed, rnd) : new Uint8Array(SIGNATURE_BYTES)
  return join(signed, signature)
}

function signerFingerprint(signer: Identity | null): Uint8Array {
  return signer ? signer.publicKeyObject.fingerprint : new Uint8Array(FINGERPRINT_BYTES)
}

/**
 * Rewrites a u16 or u32 count field of an unsigned header without re-encoding the rest. `at` is the offset of
 * the field; the header's body length is left alone, so structure parsing sees the count first.
 */
export function withU16(bytes: Uint8Array, at: number, value: number): Uint8Array {
  const out = bytes.slice()
  new DataView(out.buffer).setUint16(at, value)
  return out
}

/** The 15-byte prefix of a header declaring `bodyLength` (magic, version 1, suite 1). */
export function headerPrefix(bodyLength: number): Uint8Array {
  return new ByteWriter(15)
    .put(Uint8Array.of(0x41, 0x53, 0x45, 0x41, 0x4c, 0x0d, 0x0a, 0x1a))
    .u8(1)
    .u16(1)
    .u32(bodyLength)
    .done()
}
