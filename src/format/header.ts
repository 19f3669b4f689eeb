/**
 * Header encoding and structural parsing (format.md §Header). Parsing only checks structure and limits; the
 * reader verifies the signature over the exact bytes parsed here before it trusts any field.
 * @module
 */
import { FormatError } from '../errors.js'
import { ByteReader, ByteWriter } from './bytes.js'
import {
  COMMITMENT_BYTES,
  FINGERPRINT_BYTES,
  FORMAT_VERSION,
  GROUP_FLAG_SCHEMA_REVEALED,
  GROUP_KIND_PUBLIC,
  GROUP_KIND_SEALED,
  HARD_LIMITS,
  HEADER_FLAG_ANONYMOUS,
  HEADER_FLAG_SERVICE_ACCESS,
  HEADER_FLAGS_KNOWN,
  HEADER_PREFIX_BYTES,
  MAGIC,
  SESSION_CREDENTIAL_BYTES,
  SESSION_SIGNATURE_BYTES,
  SIGNATURE_BYTES,
  STREAM_ID_BYTES,
  SUITE_SESSION,
  SUITE_V1,
  XWING_ENC_BYTES,
} from './constants.js'
import { assertDisjointPositions, blobPositions } from './positions.js'
import { readServiceSection, type ServiceSection, serviceSectionSize, writeServiceSection } from './service.js'
import { encodeCredential, readCredential, type SessionCredential } from './session.js'

/** One access group as the header describes it. */
export interface GroupEntry {
  readonly id: number
  readonly kind: typeof GROUP_KIND_PUBLIC | typeof GROUP_KIND_SEALED
  readonly flags: number
  /** Key commitment of a sealed group; null for the public group. */
  readonly commitment: Uint8Array | null
  /** Group schema blob: plaintext when revealed, else AES-GCM ciphertext under the group key. */
  readonly schema: Uint8Array
}

/** One recipient stanza. */
export interface StanzaEntry {
  readonly fingerprint: Uint8Array
  readonly enc: Uint8Array
  readonly payload: Uint8Array
}

/** Header fields, before signing. */
export interface HeaderFields {
  readonly flags: number
  readonly streamId: Uint8Array
  readonly signer: Uint8Array
  readonly groups: readonly GroupEntry[]
  readonly stanzas: readonly StanzaEntry[]
  /** Suite 2 only: the writer session that signs this header. Absent or null: suite 1 (hybrid signature). */
  readonly session?: SessionCredential | null
  /**
   * Service recipients and the frame key (format.md §Service recipients), after the stanzas. Present exactly when
   * `flags` has bit 2 (`service_access`).
   */
  readonly service?: ServiceSection | null
}

/** A parsed header plus the exact byte regions that the signature and digests cover. */
export interface ParsedHeader extends HeaderFields {
  readonly version: number
  readonly suite: number
  readonly session: SessionCredential | null
  readonly service: ServiceSection | null
  /** Magic through the end of the body: what the signature covers. */
  readonly signed: Uint8Array
  /** Magic, version and suite, then the body up to the end of the groups: what stanzas are bound to. */
  readonly preamble: Uint8Array
  readonly signature: Uint8Array
  /** The whole header: `signed` followed by `signature`. */
  readonly bytes: Uint8Array
}

function groupsSize(groups: readonly GroupEntry[]): number {
  let n = 2
  for (const g of groups) n += 2 + 1 + 1 + (g.commitment ? COMMITMENT_BYTES : 0) + 4 + g.schema.length
  return n
}

function writeGroups(w: ByteWriter, groups: readonly GroupEntry[]): void {
  w.u16(groups.length)
  for (const g of groups) {
    w.u16(g.id).u8(g.kind).u8(g.flags)
    if (g.commitment) w.put(g.commitment)
    w.u32(g.schema.length).put(g.schema)
  }
}

const HEAD_FIXED = 2 + STREAM_ID_BYTES + FINGERPRINT_BYTES

type Preamble = Pick<HeaderFields, 'flags' | 'streamId' | 'signer' | 'groups' | 'session'>

/** Suite 2 when the header carries a session credential, else suite 1. */
function suiteOf(fields: Pick<HeaderFields, 'session'>): number {
  return fields.session ? SUITE_SESSION : SUITE_V1
}

/** Bytes of the body before the groups: flags, stream id, signer and, in suite 2, the credential. */
function headFixed(fields: Pick<HeaderFields, 'session'>): number {
  return HEAD_FIXED + (fields.session ? SESSION_CREDENTIAL_BYTES : 0)
}

function writeHead(w: ByteWriter, fields: Preamble): void {
  w.u16(fields.flags).put(fields.streamId).put(fields.signer)
  if (fields.session) w.put(encodeCredential(fields.session))
  writeGroups(w, fields.groups)
}

/** The bytes recipient stanzas are bound to (their HPKE AAD is this preamble's SHA-256). */
export function encodePreamble(fields: Preamble): Uint8Array {
  const w = new ByteWriter(MAGIC.length + 3 + headFixed(fields) + groupsSize(fields.groups))
  w.put(MAGIC).u8(FORMAT_VERSION).u16(suiteOf(fields))
  writeHead(w, fields)
  return w.done()
}

/** Length of the signature that follows the body in `suite`. */
export function signatureBytes(suite: number): number {
  return suite === SUITE_SESSION ? SESSION_SIGNATURE_BYTES : SIGNATURE_BYTES
}

/** Encodes everything the signature covers: magic through the end of the body. */
export function encodeSignedPart(fields: HeaderFields): Uint8Array {
  const stanzas = stanzasSize(fields.stanzas)
  const service = fields.service ?? null
  if ((service !== null) !== ((fields.flags & HEADER_FLAG_SERVICE_ACCESS) !== 0))
    throw new TypeError('header flag bit 2 must be set exactly when the header has a service section')
  const bodyLen = headFixed(fields) + groupsSize(fields.groups) + stanzas + (service ? serviceSectionSize(service) : 0)
  if (bodyLen > HARD_LIMITS.maxHeaderBytes)
    throw new FormatError('LIMIT_EXCEEDED', `header body of ${bodyLen} bytes exceeds the limit`)
  const w = new ByteWriter(HEADER_PREFIX_BYTES + bodyLen)
  w.put(MAGIC).u8(FORMAT_VERSION).u16(suiteOf(fields)).u32(bodyLen)
  writeHead(w, fields)
  writeStanzas(w, fields.stanzas)
  if (service) writeServiceSection(w, service)
  return w.done()
}

/**
 * Reads the fixed prefix and returns the whole header's length, so a stream reader knows how much to buffer.
 * Refuses a bad magic, version, suite or an over-limit body before anything else is read.
 */
export function headerLength(prefix: Uint8Array): number {
  return readPrefix(prefix).total
}

/** The checked prefix: the suite and the whole header's length. */
export function readPrefix(prefix: Uint8Array): { suite: number; total: number } {
  const r = new ByteReader(prefix, 'header')
  const magic = r.bytes(MAGIC.length, 'magic')
  for (let i = 0; i < MAGIC.length; i++) {
    if (magic[i] !== MAGIC[i]) throw new FormatError('FORMAT_INVALID', 'not an arrowseal stream (bad magic)')
  }
  const version = r.u8('version')
  if (version !== FORMAT_VERSION)
    throw new FormatError(
      'FORMAT_UNSUPPORTED',
      `format version ${version} is not supported (expected ${FORMAT_VERSION})`,
    )
  const suite = r.u16('suite')
  if (suite !== SUITE_V1 && suite !== SUITE_SESSION)
    throw new FormatError('FORMAT_UNSUPPORTED', `suite 0x${suite.toString(16).padStart(4, '0')} is not supported`)
  const bodyLen = r.u32('body length')
  if (bodyLen > HARD_LIMITS.maxHeaderBytes) {
    throw new FormatError(
      'LIMIT_EXCEEDED',
      `header body of ${bodyLen} bytes exceeds the ${HARD_LIMITS.maxHeaderBytes}-byte limit`,
    )
  }
  return { suite, total: HEADER_PREFIX_BYTES + bodyLen + signatureBytes(suite) }
}

/** Refuses more recipients than the limit (format.md §Limits). */
export function checkRecipientCount(count: number): void {
  if (count > HARD_LIMITS.maxRecipients)
    throw new FormatError('LIMIT_EXCEEDED', `${count} recipients exceed the limit of ${HARD_LIMITS.maxRecipients}`)
}

/**
 * Reads `count` stanzas. Named fingerprints may not repeat; with anonymous recipients every fingerprint is zero.
 * Shared by v1 headers and rewrap layers (format/chain.ts).
 */
export function readStanzas(r: ByteReader, count: number, anonymous: boolean): StanzaEntry[] {
  const stanzas: StanzaEntry[] = []
  const seen = new Set<string>()
  for (let i = 0; i < count; i++) {
    const fingerprint = r.bytes(FINGERPRINT_BYTES, 'recipient fingerprint')
    // Anonymous: the fingerprint field is all zero, so it names nobody (and cannot repeat anybody).
    if (anonymous) {
      if (fingerprint.some((b) => b !== 0))
        throw new FormatError('FORMAT_INVALID', `recipient ${i} has a fingerprint in a header of anonymous recipients`)
    } else {
      const key = String.fromCharCode(...fingerprint)
      if (seen.has(key))
        throw new FormatError('FORMAT_INVALID', `recipient ${i} repeats an earlier recipient's fingerprint`)
      seen.add(key)
    }
    const enc = r.bytes(XWING_ENC_BYTES, 'recipient encapsulation')
    const payload = r.bytes(r.u16('stanza length'), 'stanza payload')
    stanzas.push({ fingerprint, enc, payload })
  }
  return stanzas
}

/** Bytes `stanzas` take on the wire, their count included. */
export function stanzasSize(stanzas: readonly StanzaEntry[]): number {
  let n = 2
  for (const s of stanzas) n += FINGERPRINT_BYTES + XWING_ENC_BYTES + 2 + s.payload.length
  return n
}

/** Writes the stanza count and the stanzas. */
export function writeStanzas(w: ByteWriter, stanzas: readonly StanzaEntry[]): void {
  w.u16(stanzas.length)
  for (const s of stanzas) w.put(s.fingerprint).put(s.enc).u16(s.payload.length).put(s.payload)
}

/** Parses a complete header (exactly `headerLength` bytes). Structure and limits only; no cryptography. */
export function parseHeader(bytes: Uint8Array): ParsedHeader {
  const { suite, total } = readPrefix(bytes.subarray(0, HEADER_PREFIX_BYTES))
  if (bytes.length < total) throw new FormatError('TRUNCATED', `header needs ${total} bytes, got ${bytes.length}`)
  const signedLen = total - signatureBytes(suite)
  const r = new ByteReader(bytes.subarray(HEADER_PREFIX_BYTES, signedLen), 'header')
  const flags = r.u16('flags')
  if ((flags & ~HEADER_FLAGS_KNOWN) !== 0)
    throw new FormatError('FORMAT_UNSUPPORTED', `unknown header flags 0x${flags.toString(16)}`)
  const streamId = r.bytes(STREAM_ID_BYTES, 'stream id')
  const signer = r.bytes(FINGERPRINT_BYTES, 'signer')
  const session = suite === SUITE_SESSION ? readCredential(r) : null
  const groupCount = r.u16('group count')
  if (groupCount > HARD_LIMITS.maxGroups)
    throw new FormatError('LIMIT_EXCEEDED', `${groupCount} groups exceed the limit of ${HARD_LIMITS.maxGroups}`)
  const groups: GroupEntry[] = []
  for (let i = 0; i < groupCount; i++) {
    const id = r.u16('group id')
    if (id !== i) throw new FormatError('FORMAT_INVALID', `group ${i} has id ${id}; ids must be 0, 1, 2, …`)
    const kind = r.u8('group kind')
    if (kind !== GROUP_KIND_PUBLIC && kind !== GROUP_KIND_SEALED)
      throw new FormatError('FORMAT_INVALID', `group ${i} has unknown kind ${kind}`)
    if (kind === GROUP_KIND_PUBLIC && i !== 0) throw new FormatError('FORMAT_INVALID', 'only group 0 may be public')
    const gflags = r.u8('group flags')
    if ((gflags & ~GROUP_FLAG_SCHEMA_REVEALED) !== 0)
      throw new FormatError('FORMAT_UNSUPPORTED', `group ${i} has unknown flags`)
    if (kind === GROUP_KIND_PUBLIC && gflags !== GROUP_FLAG_SCHEMA_REVEALED) {
      throw new FormatError('FORMAT_INVALID', 'the public group must reveal its schema')
    }
    const commitment = kind === GROUP_KIND_SEALED ? r.bytes(COMMITMENT_BYTES, 'commitment') : null
    const schemaLen = r.u32('schema length')
    if (schemaLen > HARD_LIMITS.maxSchemaBytes)
      throw new FormatError('LIMIT_EXCEEDED', `group ${i} schema of ${schemaLen} bytes exceeds the limit`)
    const schema = r.bytes(schemaLen, 'group schema')
    groups.push({ id, kind, flags: gflags, commitment, schema })
  }
  // Plaintext group schemas (the public group, and sealed ones with schema_revealed) show their positions to
  // everyone, so every party can refuse a header in which two of them claim one field (format.md §Header).
  const visible: { id: number; positions: Uint32Array }[] = []
  for (const g of groups) {
    if ((g.flags & GROUP_FLAG_SCHEMA_REVEALED) === 0) continue
    const positions = blobPositions(g.schema)
    if (positions) visible.push({ id: g.id, positions })
  }
  assertDisjointPositions(visible)
  const preambleEnd = HEADER_PREFIX_BYTES + r.offset
  const stanzaCount = r.u16('recipient count')
  if (stanzaCount === 0) throw new FormatError('FORMAT_INVALID', 'a stream must have at least one recipient')
  checkRecipientCount(stanzaCount)
  const stanzas = readStanzas(r, stanzaCount, (flags & HEADER_FLAG_ANONYMOUS) !== 0)
  // The service section follows the stanzas, inside the body: the signature covers it, the stanzas' AAD does not.
  const service = (flags & HEADER_FLAG_SERVICE_ACCESS) !== 0 ? readServiceSection(r, groups, stanzas.length) : null
  r.end()
  const preamble = new Uint8Array(MAGIC.length + 3 + (preambleEnd - HEADER_PREFIX_BYTES))
  preamble.set(bytes.subarray(0, MAGIC.length + 3))
  preamble.set(bytes.subarray(HEADER_PREFIX_BYTES, preambleEnd), MAGIC.length + 3)
  return {
    version: FORMAT_VERSION,
    suite,
    session,
    service,
    flags,
    streamId,
    signer,
    groups,
    stanzas,
    signed: bytes.subarray(0, signedLen),
    preamble,
    signature: bytes.subarray(signedLen, total),
    bytes: bytes.subarray(0, total),
  }
}
