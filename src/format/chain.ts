/**
 * Rewrapped headers (format.md §Rewrapped streams): a chain of rewrap layers around the original writer's header.
 * Each layer embeds the previous header whole, so every signature of the chain verifies over exactly the bytes
 * its signer signed, lists which of the previous header's active recipients stay, and adds its own stanzas.
 * Parsing checks structure and limits only; `lifecycle/chain-verify.ts` verifies the signatures.
 * @module
 */
import { FormatError } from '../errors.js'
import { ByteReader, ByteWriter, constantTimeEqual } from './bytes.js'
import {
  FINGERPRINT_BYTES,
  FORMAT_VERSION,
  HARD_LIMITS,
  HEADER_FLAG_ANONYMOUS,
  HEADER_FLAG_REVEAL_SCHEMA,
  HEADER_FLAG_REWRAP,
  HEADER_FLAG_SERVICE_ACCESS,
  HEADER_PREFIX_BYTES,
  MAGIC,
  MAX_REWRAP_DEPTH,
  REWRAP_FLAGS_KNOWN,
  SESSION_CREDENTIAL_BYTES,
  STREAM_ID_BYTES,
  SUITE_SESSION,
  SUITE_V1,
} from './constants.js'
import {
  checkRecipientCount,
  type ParsedHeader,
  parseHeader,
  readPrefix,
  readStanzas,
  type StanzaEntry,
  signatureBytes,
  stanzasSize,
  writeStanzas,
} from './header.js'
import {
  readServiceSection,
  type ServiceEntry,
  type ServiceSection,
  serviceSectionSize,
  writeServiceSection,
} from './service.js'
import { encodeCredential, readCredential, type SessionCredential } from './session.js'

/** One rewrap layer: who rewrapped, which earlier recipients stay, and the new stanzas. */
export interface RewrapLayer {
  readonly suite: number
  readonly flags: number
  /** Fingerprint of the rewrapper's public key. */
  readonly signer: Uint8Array
  readonly session: SessionCredential | null
  /** Indices into the previous header's active recipients that stay, strictly ascending. */
  readonly kept: readonly number[]
  /** The stanzas this layer adds. */
  readonly stanzas: readonly StanzaEntry[]
  /**
   * Flag bit 2: the gateways among this layer's stanzas (`stanzaIndex` counts this layer's own stanzas) and the
   * layer's frame key, which signs every frame after the signatures of earlier headers; else null.
   */
  readonly service: ServiceSection | null
  /** Magic through the end of this layer's body: what its signature covers (the previous header included). */
  readonly signed: Uint8Array
  /** Magic, version, suite, then the body through the kept list: what this layer's stanzas are bound to. */
  readonly preamble: Uint8Array
  readonly signature: Uint8Array
  /** This layer's whole header. */
  readonly bytes: Uint8Array
}

/** A recipient of the outermost header and the layer that wrapped its stanza (0: the original writer). */
export interface ActiveStanza {
  readonly layer: number
  /** Position of the stanza among the stanzas of its layer's header (what that header's service entries name). */
  readonly stanzaIndex: number
  readonly stanza: StanzaEntry
}

/** A parsed header of any form: the original writer's header, and the rewrap layers around it, oldest first. */
export interface HeaderChain {
  readonly root: ParsedHeader
  readonly layers: readonly RewrapLayer[]
  /** Recipients of the outermost header, in MAC order: kept ones first, in their earlier order, then new ones. */
  readonly active: readonly ActiveStanza[]
  /** The outermost header, whole. */
  readonly bytes: Uint8Array
}

/** Fields of a rewrap layer before signing. */
export interface RewrapFields {
  readonly flags: number
  readonly streamId: Uint8Array
  readonly signer: Uint8Array
  readonly session: SessionCredential | null
  /** The previous header, whole. */
  readonly previous: Uint8Array
  readonly kept: readonly number[]
  readonly stanzas: readonly StanzaEntry[]
  /** The layer's service section (flag bit 2 set exactly when present). */
  readonly service?: ServiceSection | null
}

/** The bytes of the header a layer's stanza was wrapped in: its preamble, and the header whose digest its MACs use. */
export function layerOf(chain: HeaderChain, layer: number): { preamble: Uint8Array; bytes: Uint8Array } {
  return layer === 0 ? chain.root : chain.layers[layer - 1]!
}

/** Parses a complete header, rewrapped or not. A header that is not rewrapped is exactly `parseHeader`'s. */
export function parseChain(bytes: Uint8Array): HeaderChain {
  return parseAt(bytes, 0)
}

function parseAt(bytes: Uint8Array, depth: number): HeaderChain {
  const { suite, total } = readPrefix(bytes.subarray(0, HEADER_PREFIX_BYTES))
  if (bytes.length < total) throw new FormatError('TRUNCATED', `header needs ${total} bytes, got ${bytes.length}`)
  const flags =
    total >= HEADER_PREFIX_BYTES + 2 ? (bytes[HEADER_PREFIX_BYTES]! << 8) | bytes[HEADER_PREFIX_BYTES + 1]! : 0
  if ((flags & HEADER_FLAG_REWRAP) === 0) {
    const root = parseHeader(bytes)
    const active = root.stanzas.map((stanza, stanzaIndex) => ({ layer: 0, stanzaIndex, stanza }))
    return { root, layers: [], active, bytes: root.bytes }
  }
  if (depth >= MAX_REWRAP_DEPTH) throw new FormatError('LIMIT_EXCEEDED', `more than ${MAX_REWRAP_DEPTH} rewrap layers`)
  const signedLen = total - signatureBytes(suite)
  const r = new ByteReader(bytes.subarray(HEADER_PREFIX_BYTES, signedLen), 'rewrap header')
  r.u16('flags')
  if ((flags & ~REWRAP_FLAGS_KNOWN) !== 0)
    throw new FormatError('FORMAT_UNSUPPORTED', `unknown header flags 0x${flags.toString(16)}`)
  const streamId = r.bytes(STREAM_ID_BYTES, 'stream id')
  const signer = r.bytes(FINGERPRINT_BYTES, 'signer')
  const session = suite === SUITE_SESSION ? readCredential(r) : null
  const previousLength = r.u32('previous header length')
  const previousBytes = r.bytes(previousLength, 'previous header')
  const inner = parseAt(previousBytes, depth + 1)
  if (inner.bytes.length !== previousLength)
    throw new FormatError('FORMAT_INVALID', 'bytes follow the previous header inside a rewrap layer')
  if (!constantTimeEqual(inner.root.streamId, streamId))
    throw new FormatError('FORMAT_INVALID', 'a rewrap layer names another stream id than the header it embeds')
  const innerFlags = inner.layers.at(-1)?.flags ?? inner.root.flags
  const copied = HEADER_FLAG_REVEAL_SCHEMA | HEADER_FLAG_ANONYMOUS
  if ((innerFlags & copied) !== (flags & copied))
    throw new FormatError('FORMAT_INVALID', 'a rewrap layer changes the reveal_schema or anonymous_recipients flag')
  const keptCount = r.u16('kept count')
  const kept: number[] = []
  for (let i = 0; i < keptCount; i++) {
    const k = r.u16('kept recipient')
    if (k >= inner.active.length || (i > 0 && k <= kept[i - 1]!))
      throw new FormatError('FORMAT_INVALID', 'kept recipients must be earlier recipients, strictly ascending')
    kept.push(k)
  }
  const preambleEnd = HEADER_PREFIX_BYTES + r.offset
  const stanzaCount = r.u16('recipient count')
  checkRecipientCount(keptCount + stanzaCount)
  if (keptCount + stanzaCount === 0)
    throw new FormatError('FORMAT_INVALID', 'a stream must have at least one recipient')
  const anonymous = (flags & HEADER_FLAG_ANONYMOUS) !== 0
  const stanzas = readStanzas(r, stanzaCount, anonymous)
  // Gateways this layer adds: entries name its own stanzas; their groups are the root's.
  const service =
    (flags & HEADER_FLAG_SERVICE_ACCESS) !== 0 ? readServiceSection(r, inner.root.groups, stanzas.length) : null
  r.end()
  const layerIndex = inner.layers.length + 1
  const active = [
    ...kept.map((k) => inner.active[k]!),
    ...stanzas.map((stanza, stanzaIndex) => ({ layer: layerIndex, stanzaIndex, stanza })),
  ]
  if (!anonymous) assertDistinct(active)
  const preamble = new Uint8Array(MAGIC.length + 3 + (preambleEnd - HEADER_PREFIX_BYTES))
  preamble.set(bytes.subarray(0, MAGIC.length + 3))
  preamble.set(bytes.subarray(HEADER_PREFIX_BYTES, preambleEnd), MAGIC.length + 3)
  const layer: RewrapLayer = {
    suite,
    flags,
    signer,
    session,
    kept,
    stanzas,
    service,
    signed: bytes.subarray(0, signedLen),
    preamble,
    signature: bytes.subarray(signedLen, total),
    bytes: bytes.subarray(0, total),
  }
  return { root: inner.root, layers: [...inner.layers, layer], active, bytes: layer.bytes }
}

/**
 * The service entries of a chain whose gateway stanza is still active, oldest header first and in each header's
 * order, with the gateway's position among the active recipients. A gateway removed by a later rewrap is not
 * listed: readers no longer ask it, and it no longer finds its stanza.
 */
export function activeServices(chain: HeaderChain): { entry: ServiceEntry; active: number }[] {
  const out: { entry: ServiceEntry; active: number }[] = []
  const sections = [chain.root.service, ...chain.layers.map((l) => l.service)]
  for (const [layer, section] of sections.entries()) {
    for (const entry of section?.services ?? []) {
      const active = chain.active.findIndex((a) => a.layer === layer && a.stanzaIndex === entry.stanzaIndex)
      if (active !== -1) out.push({ entry, active })
    }
  }
  return out
}

/** No key may be an active recipient twice: its MAC position would be ambiguous. */
function assertDistinct(active: readonly ActiveStanza[]): void {
  const seen = new Set<string>()
  for (const a of active) {
    const key = String.fromCharCode(...a.stanza.fingerprint)
    if (seen.has(key)) throw new FormatError('FORMAT_INVALID', 'a rewrapped header lists the same recipient twice')
    seen.add(key)
  }
}

function suiteOf(fields: Pick<RewrapFields, 'session'>): number {
  return fields.session ? SUITE_SESSION : SUITE_V1
}

function headSize(fields: Omit<RewrapFields, 'stanzas'>): number {
  return (
    2 +
    STREAM_ID_BYTES +
    FINGERPRINT_BYTES +
    (fields.session ? SESSION_CREDENTIAL_BYTES : 0) +
    4 +
    fields.previous.length +
    2 +
    2 * fields.kept.length
  )
}

function writeHead(w: ByteWriter, fields: Omit<RewrapFields, 'stanzas'>): void {
  w.u16(fields.flags).put(fields.streamId).put(fields.signer)
  if (fields.session) w.put(encodeCredential(fields.session))
  w.u32(fields.previous.length).put(fields.previous).u16(fields.kept.length)
  for (const k of fields.kept) w.u16(k)
}

/** The bytes a layer's new stanzas are bound to (their HPKE AAD is its SHA-256). */
export function encodeRewrapPreamble(fields: Omit<RewrapFields, 'stanzas'>): Uint8Array {
  const w = new ByteWriter(MAGIC.length + 3 + headSize(fields))
  w.put(MAGIC).u8(FORMAT_VERSION).u16(suiteOf(fields))
  writeHead(w, fields)
  return w.done()
}

/** Everything a layer's signature covers: magic through the end of its body. */
export function encodeRewrapSigned(fields: RewrapFields): Uint8Array {
  const service = fields.service ?? null
  if ((service !== null) !== ((fields.flags & HEADER_FLAG_SERVICE_ACCESS) !== 0))
    throw new TypeError('layer flag bit 2 must be set exactly when the layer has a service section')
  const bodyLen = headSize(fields) + stanzasSize(fields.stanzas) + (service ? serviceSectionSize(service) : 0)
  if (bodyLen > HARD_LIMITS.maxHeaderBytes)
    throw new FormatError('LIMIT_EXCEEDED', `header body of ${bodyLen} bytes exceeds the limit`)
  const w = new ByteWriter(HEADER_PREFIX_BYTES + bodyLen)
  w.put(MAGIC).u8(FORMAT_VERSION).u16(suiteOf(fields)).u32(bodyLen)
  writeHead(w, fields)
  writeStanzas(w, fields.stanzas)
  if (service) writeServiceSection(w, service)
  return w.done()
}
