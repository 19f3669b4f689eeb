/**
 * The reader's engine. It verifies the header (trusted signer, both signatures, its own stanza, every group
 * key's commitment) before it uses any header field, and each frame (position, its own MAC, then every AEAD tag)
 * before it decodes or releases anything from it (DESIGN property 8).
 * @module
 */
import type { RecordBatch, Schema } from 'apache-arrow'
import { inflateSync } from 'fflate'
import { defaultBackend } from '../aead/default.js'
import type { AeadKey, CryptoBackend } from '../aead/types.js'
import { decodeGroupBatch, decodeGroupSchema, type GroupLayout, mergeBatches, mergeSchemas } from '../arrow/index.js'
import { ArrowSealError, AuthError, FormatError } from '../errors.js'
import { ByteReader, concatBytes, constantTimeEqual } from '../format/bytes.js'
import {
  FRAME_KIND_END,
  GROUP_FLAG_SCHEMA_REVEALED,
  GROUP_KEY_BYTES,
  GROUP_KIND_PUBLIC,
  HARD_LIMITS,
  LABEL,
  UNIT_FLAG_DEFLATE,
} from '../format/constants.js'
import { deriveGroupKeys, frameMac, SCHEMA_NONCE, schemaAad, unitAad, unitNonce } from '../format/derive.js'
import { parseFrame } from '../format/frame.js'
import { type ParsedHeader, parseHeader } from '../format/header.js'
import { setupBaseR } from '../keys/hpke.js'
import type { PublicKey } from '../keys/public-key.js'
import { hybridVerify } from '../keys/sign.js'
import { checkOpenOptions, type OpenOptions } from './options.js'

interface ReadableGroup {
  readonly id: number
  readonly layout: GroupLayout
  readonly key: AeadKey | null
}

/** Result of one frame: a verified batch, or the verified end of the stream. */
export type FrameResult =
  | { readonly type: 'batch'; readonly batch: RecordBatch }
  | { readonly type: 'end'; readonly batches: number }

const limits = { maxFields: HARD_LIMITS.maxFieldsPerGroup }

function fingerprintsEqual(a: Uint8Array, b: Uint8Array): boolean {
  return constantTimeEqual(a, b)
}

/** Reads the group keys out of a verified stanza payload: u16 count, then (u16 group id, 32-byte key) pairs. */
function parseStanzaPayload(payload: Uint8Array, header: ParsedHeader): Map<number, Uint8Array> {
  const r = new ByteReader(payload, 'stanza')
  const count = r.u16('group count')
  const keys = new Map<number, Uint8Array>()
  let last = -1
  for (let i = 0; i < count; i++) {
    const id = r.u16('group id')
    if (id <= last || id >= header.groups.length || header.groups[id]!.kind === GROUP_KIND_PUBLIC) {
      throw new FormatError('FORMAT_INVALID', 'stanza names a group that is not a sealed group of this stream')
    }
    last = id
    keys.set(id, r.bytes(GROUP_KEY_BYTES, 'group key').slice())
  }
  r.end()
  return keys
}

/**
 * Opens one stream: construct with the header bytes, then feed each frame in order.
 * @internal
 */
export class Opener {
  /** The schema of what this reader gets back: readable fields in original order. */
  readonly schema: Schema
  readonly header: ParsedHeader
  readonly signer: PublicKey
  readonly #backend: CryptoBackend
  readonly #groups: ReadableGroup[]
  readonly #denied: GroupLayout[]
  readonly #macKey: Uint8Array
  readonly #myIndex: number
  readonly #headerDigest: Uint8Array
  #index = 0
  #ended = false

  private constructor(init: {
    schema: Schema
    header: ParsedHeader
    signer: PublicKey
    backend: CryptoBackend
    groups: ReadableGroup[]
    denied: GroupLayout[]
    macKey: Uint8Array
    myIndex: number
    headerDigest: Uint8Array
  }) {
    this.schema = init.schema
    this.header = init.header
    this.signer = init.signer
    this.#backend = init.backend
    this.#groups = init.groups
    this.#denied = init.denied
    this.#macKey = init.macKey
    this.#myIndex = init.myIndex
    this.#headerDigest = init.headerDigest
  }

  get ended(): boolean {
    return this.#ended
  }

  /** Verifies a complete header and prepares to read frames. */
  static async create(headerBytes: Uint8Array, options: OpenOptions): Promise<Opener> {
    const { signers } = checkOpenOptions(options)
    const backend = options.backend ?? defaultBackend()
    const header = parseHeader(headerBytes)

    // 1. Who wrote it: the signer must be trusted, and both signatures must verify over the exact bytes parsed.
    const signer = signers.find((s) => fingerprintsEqual(s.fingerprint, header.signer))
    if (!signer) throw new AuthError('SIGNER_UNTRUSTED', 'the stream is signed by a key that is not in trustedSigners')
    if (!hybridVerify(signer, LABEL.headerSignature, header.signed, header.signature)) {
      throw new AuthError('SIGNATURE_INVALID', 'the header signature does not verify: the header was changed or forged')
    }
    const headerDigest = await backend.sha256(header.bytes)

    // 2. Our stanza: found by fingerprint; a stream naming one key twice is malformed.
    const me = options.identity.publicKeyObject.fingerprint
    let myIndex = -1
    for (const [i, s] of header.stanzas.entries()) {
      if (!fingerprintsEqual(s.fingerprint, me)) continue
      if (myIndex !== -1) throw new FormatError('FORMAT_INVALID', 'the header lists the same recipient twice')
      myIndex = i
    }
    if (myIndex === -1) throw new AuthError('NOT_A_RECIPIENT', 'this identity is not a recipient of the stream')
    const stanza = header.stanzas[myIndex]!
    const preambleDigest = await backend.sha256(header.preamble)
    const ctx = setupBaseR(options.identity, stanza.enc, concatBytes(LABEL.stanzaInfo, header.streamId))
    const groupKeys = parseStanzaPayload(ctx.open(preambleDigest, stanza.payload), header)
    const macKey = ctx.export(LABEL.macExport, 32)

    // 3. Each group key must reproduce the commitment in the signed header, so every reader of a group
    //    provably holds the same key (DESIGN property 6).
    const groups: ReadableGroup[] = []
    const denied: GroupLayout[] = []
    for (const g of header.groups) {
      const revealed = (g.flags & GROUP_FLAG_SCHEMA_REVEALED) !== 0
      if (g.kind === GROUP_KIND_PUBLIC) {
        groups.push({ id: g.id, layout: decodeGroupSchema(g.schema, limits), key: null })
        continue
      }
      const groupKey = groupKeys.get(g.id)
      if (!groupKey) {
        if (revealed && options.includeDenied === true) denied.push(decodeGroupSchema(g.schema, limits))
        continue
      }
      const { encKey, commitment } = deriveGroupKeys(groupKey, header.streamId)
      groupKey.fill(0)
      if (!constantTimeEqual(commitment, g.commitment!)) throw new AuthError('AUTH_FAILED')
      const key = await backend.importKey(encKey)
      encKey.fill(0)
      const blob = revealed
        ? g.schema
        : await backend.open(key, SCHEMA_NONCE, schemaAad(header.streamId, g.id), g.schema)
      groups.push({ id: g.id, layout: decodeGroupSchema(blob, limits), key })
    }
    const schema = mergeSchemas(
      groups.map((g) => g.layout),
      denied,
    )
    return new Opener({ schema, header, signer, backend, groups, denied, macKey, myIndex, headerDigest })
  }

  /** Verifies one frame (bytes after its length field) and returns its batch, or the end marker. */
  async openFrame(bytes: Uint8Array): Promise<FrameResult> {
    if (this.#ended) throw new FormatError('TRAILING_DATA', 'a frame follows the end of the stream')
    const frame = parseFrame(bytes, this.header.groups.length, this.header.stanzas.length)
    // Batch indexes are bound into the MAC and every AAD; checking the plaintext index first gives a clear error.
    if (frame.index !== this.#index) {
      throw new FormatError(
        'FRAME_OUT_OF_ORDER',
        `expected ${frame.kind === FRAME_KIND_END ? 'the end after ' : ''}batch ${this.#index}, found index ${frame.index}`,
      )
    }
    const digest = await this.#backend.sha256(frame.body)
    const mac = frameMac(this.#macKey, this.#headerDigest, digest)
    if (!constantTimeEqual(mac, frame.macs[this.#myIndex]!)) throw new AuthError('AUTH_FAILED')
    if (frame.kind === FRAME_KIND_END) {
      this.#ended = true
      return { type: 'end', batches: this.#index }
    }
    const rows = frame.rows
    const parts = await Promise.all(
      this.#groups.map(async (g) => {
        const unit = frame.units[g.id]!
        let plain = unit.payload
        if (g.key !== null) {
          const aad = unitAad(this.#headerDigest, frame.index, g.id, rows, false, unit.flags)
          plain = await this.#backend.open(g.key, unitNonce(frame.index), aad, unit.payload)
        }
        if ((unit.flags & UNIT_FLAG_DEFLATE) !== 0) plain = inflate(plain)
        return { layout: g.layout, batch: decodeGroupBatch(plain, g.layout, rows) }
      }),
    )
    this.#index++
    return { type: 'batch', batch: mergeBatches(parts, rows, this.#denied) }
  }
}

/** Inflates a unit whose authenticated length prefix bounds the output (no decompression bombs). */
function inflate(unit: Uint8Array): Uint8Array {
  const r = new ByteReader(unit, 'compressed unit')
  const size = r.u32('inflated size')
  if (size > HARD_LIMITS.maxFrameBytes)
    throw new FormatError('LIMIT_EXCEEDED', 'a compressed unit declares more than the frame limit')
  const out = new Uint8Array(size)
  let inflated: Uint8Array
  try {
    inflated = inflateSync(r.bytes(r.remaining, 'deflate data'), { out })
  } catch (cause) {
    throw new ArrowSealError('ARROW_INVALID', 'a compressed unit does not inflate', { cause })
  }
  if (inflated.length !== size)
    throw new ArrowSealError('ARROW_INVALID', 'a compressed unit inflates to the wrong size')
  return inflated
}
