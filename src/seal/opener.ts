/**
 * The reader's engine. It verifies the header (trusted signer, both signatures, its own stanza, every group
 * key's commitment) before it uses any header field, and each frame (position, its own MAC, then every AEAD tag)
 * before it decodes or releases anything from it (DESIGN property 8).
 * @module
 */
import type { RecordBatch, Schema } from 'apache-arrow'
import type { AeadKey } from '../aead/types.js'
import { BatchDecoder } from '../arrow/batch-decoder.js'
import { decodeGroupSchema, type GroupLayout, mergeSchemas } from '../arrow/index.js'
import { AuthError, FormatError } from '../errors.js'
import { ByteReader, concatBytes, constantTimeEqual } from '../format/bytes.js'
import {
  GROUP_FLAG_SCHEMA_REVEALED,
  GROUP_KEY_BYTES,
  GROUP_KIND_PUBLIC,
  HARD_LIMITS,
  LABEL,
  SESSION_CLOCK_SKEW_SECONDS,
} from '../format/constants.js'
import { deriveGroupKeys, SCHEMA_NONCE, schemaAad } from '../format/derive.js'
import { type ParsedHeader, parseHeader } from '../format/header.js'
import { assertDisjointPositions } from '../format/positions.js'
import type { SessionCredential } from '../format/session.js'
import { setupBaseR } from '../keys/hpke.js'
import type { PublicKey } from '../keys/public-key.js'
import { verifyCredential, verifySessionHeader } from '../keys/session.js'
import { hybridVerify } from '../keys/sign.js'
import { FrameOpener, type FrameOpenerKeys, type OpenedFrame } from './frame-opener.js'
import { checkOpenOptions, type OpenOptions, type SessionPolicy } from './options.js'
import { backendFor, type Runtime, webRuntime } from './runtime.js'

interface ReadableGroup {
  readonly id: number
  readonly layout: GroupLayout
  readonly key: AeadKey | null
}

/**
 * Result of one frame: a verified batch, or the verified end of the stream.
 *
 * @example
 * ```ts
 * const r: FrameResult = await opener.openFrame(frame)
 * if (r.type === 'batch') use(r.batch)
 * ```
 */
export type FrameResult =
  | { readonly type: 'batch'; readonly batch: RecordBatch }
  | { readonly type: 'end'; readonly batches: number }

const limits = { maxFields: HARD_LIMITS.maxFieldsPerGroup }

function fingerprintsEqual(a: Uint8Array, b: Uint8Array): boolean {
  return constantTimeEqual(a, b)
}

/**
 * Reads the group keys out of a verified stanza payload: u16 count, then (u16 group id, 32-byte key) pairs, then
 * zero padding.
 *
 * @example
 * ```ts
 * const keys = parseStanzaPayload(ctx.open(preambleDigest, stanza.payload), header) // Map of group id → key
 * ```
 * @internal
 */
export function parseStanzaPayload(payload: Uint8Array, header: Pick<ParsedHeader, 'groups'>): Map<number, Uint8Array> {
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
  // Padding (format.md, "stanza plaintext"): zero bytes only, so a payload has exactly one meaning. Unpadded
  // payloads of earlier writers have none.
  const padding = r.bytes(r.remaining, 'padding')
  if (padding.some((b) => b !== 0)) {
    for (const k of keys.values()) k.fill(0)
    throw new FormatError('FORMAT_INVALID', 'stanza padding is not all zero')
  }
  r.end()
  return keys
}

/**
 * Opens one stream: construct with the header bytes, then feed each frame in order. Per frame,
 * {@link Opener.frames} is the crypto phase (verify and decrypt; worker threads can also run it) and
 * {@link Opener.accept} the decode phase.
 *
 * @example
 * ```ts
 * const opener = await Opener.create(headerBytes, options)
 * const result = await opener.openFrame(frameBytes) // { type: 'batch', batch } or { type: 'end', batches }
 * ```
 * @internal
 */
export class Opener {
  /** The schema of what this reader gets back: readable fields in original order. */
  readonly schema: Schema
  readonly header: ParsedHeader
  readonly signer: PublicKey
  /** The crypto phase of this stream (verifying and decrypting frames). */
  readonly frames: FrameOpener
  readonly #layouts: GroupLayout[]
  readonly #denied: GroupLayout[]
  #index = 0
  #ended = false
  /** Decode-phase state of this stream (each group's verified schema message, the merged schema); made on first use. */
  #decoder: BatchDecoder | undefined

  private constructor(init: {
    schema: Schema
    header: ParsedHeader
    signer: PublicKey
    frames: FrameOpener
    layouts: GroupLayout[]
    denied: GroupLayout[]
  }) {
    this.schema = init.schema
    this.header = init.header
    this.signer = init.signer
    this.frames = init.frames
    this.#layouts = init.layouts
    this.#denied = init.denied
  }

  /** The verified writer session that signed the header (suite 2), or null for a hybrid signature (suite 1). */
  get session(): SessionCredential | null {
    return this.header.session
  }

  get ended(): boolean {
    return this.#ended
  }

  /** The index of the next frame this opener expects. */
  get nextIndex(): number {
    return this.#index
  }

  /**
   * Verifies a complete header and prepares to read frames.
   * @param runtime - default backend and X25519 (the Node entry passes node:crypto ones).
   * @param exportKeys - receives copies of the raw frame keys, for worker threads that run the crypto phase.
   */
  static async create(
    headerBytes: Uint8Array,
    options: OpenOptions,
    runtime: Runtime = webRuntime,
    exportKeys?: (keys: FrameOpenerKeys) => void,
  ): Promise<Opener> {
    const { signers, maxFrameBytes, sessions, expectedStreamId } = checkOpenOptions(options)
    const backend = backendFor(options, runtime)
    const header = parseHeader(headerBytes)

    // 1. Who wrote it: the signer must be trusted, and its signature must verify over the exact bytes parsed:
    //    hybrid (both halves) in suite 1; in suite 2 the session certificate (hybrid) and the header's Ed25519.
    const signer = signers.find((s) => fingerprintsEqual(s.fingerprint, header.signer))
    if (!signer) throw new AuthError('SIGNER_UNTRUSTED', 'the stream is signed by a key that is not in trustedSigners')
    if (header.session) checkSession(header.session, signer, header.signed, header.signature, sessions, runtime)
    else if (!hybridVerify(signer, LABEL.headerSignature, header.signed, header.signature, runtime.ed25519)) {
      throw new AuthError('SIGNATURE_INVALID', 'the header signature does not verify: the header was changed or forged')
    }
    // The stream id is authentic only now that the signature verified; an old stream of this writer replayed in
    // place of the one the reader asked for differs from it here and nowhere else (docs/concepts/zero-trust.md).
    if (expectedStreamId && !constantTimeEqual(expectedStreamId, header.streamId)) {
      throw new AuthError(
        'STREAM_UNEXPECTED',
        'the stream id is not the expected one: a different (maybe replayed) stream',
      )
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
    const ctx = setupBaseR(options.identity, stanza.enc, concatBytes(LABEL.stanzaInfo, header.streamId), {
      x25519: runtime.x25519,
    })
    const groupKeys = parseStanzaPayload(ctx.open(preambleDigest, stanza.payload), header)
    const macKey = ctx.export(LABEL.macExport, 32)

    // 3. Each group key must reproduce the commitment in the signed header, so every reader of a group
    //    provably holds the same key (DESIGN property 6).
    const groups: ReadableGroup[] = []
    const rawKeys: FrameOpenerKeys['groups'][number][] = []
    const denied: GroupLayout[] = []
    const deniedIds: { id: number; positions: readonly number[] }[] = []
    for (const g of header.groups) {
      const revealed = (g.flags & GROUP_FLAG_SCHEMA_REVEALED) !== 0
      if (g.kind === GROUP_KIND_PUBLIC) {
        groups.push({ id: g.id, layout: decodeGroupSchema(g.schema, limits), key: null })
        rawKeys.push({ id: g.id, encKey: null })
        continue
      }
      const groupKey = groupKeys.get(g.id)
      if (!groupKey) {
        if (revealed && options.includeDenied === true) {
          const layout = decodeGroupSchema(g.schema, limits)
          denied.push(layout)
          deniedIds.push({ id: g.id, positions: layout.positions })
        }
        continue
      }
      const { encKey, commitment } = deriveGroupKeys(groupKey, header.streamId)
      groupKey.fill(0)
      if (!constantTimeEqual(commitment, g.commitment!)) throw new AuthError('AUTH_FAILED')
      const key = await backend.importKey(encKey)
      rawKeys.push({ id: g.id, encKey: exportKeys ? encKey : null })
      if (!exportKeys) encKey.fill(0)
      const blob = revealed
        ? g.schema
        : await backend.open(key, SCHEMA_NONCE, schemaAad(header.streamId, g.id), g.schema)
      groups.push({ id: g.id, layout: decodeGroupSchema(blob, limits), key })
    }
    // Hidden group schemas show their positions only to their readers: check every group this reader sees.
    assertDisjointPositions([...groups.map((g) => ({ id: g.id, positions: g.layout.positions })), ...deniedIds])
    const schema = mergeSchemas(
      groups.map((g) => g.layout),
      denied,
    )
    const init = {
      headerDigest,
      macKey,
      myIndex,
      groupCount: header.groups.length,
      macCount: header.stanzas.length,
      maxInflatedBytes: maxFrameBytes,
    }
    if (exportKeys) exportKeys({ ...init, headerDigest: headerDigest.slice(), macKey: macKey.slice(), groups: rawKeys })
    const frames = new FrameOpener(backend, groups, init)
    return new Opener({ schema, header, signer, frames, layouts: groups.map((g) => g.layout), denied })
  }

  /**
   * Resumes a stream whose first `index` batches this reader already received (a broker consumer restarting
   * after a crash, `arrowseal/nats`): the next frame accepted must carry batch index `index`. Only before the first
   * frame; the index comes from the reader's own record, and each frame's MAC still binds its position.
   */
  resumeAt(index: number): void {
    if (this.#index !== 0 || this.#ended) throw new TypeError('Opener.resumeAt: frames were already read')
    if (!Number.isSafeInteger(index) || index < 0) throw new RangeError('Opener.resumeAt: index must be an integer ≥ 0')
    this.#index = index
  }

  /** Verifies one frame (bytes after its length field) and returns its batch, or the end marker. */
  async openFrame(bytes: Uint8Array): Promise<FrameResult> {
    if (this.#ended) throw new FormatError('TRAILING_DATA', 'a frame follows the end of the stream')
    return this.accept(await this.frames.open(bytes, this.#index))
  }

  /**
   * The decode phase: takes a frame verified by {@link Opener.frames} (here or in a worker) at the position this
   * opener expects, and decodes its units into the reader's batch.
   */
  accept(opened: OpenedFrame): FrameResult {
    if (this.#ended) throw new FormatError('TRAILING_DATA', 'a frame follows the end of the stream')
    // The crypto phase checked the position it was given; this checks it was given the right one.
    if (opened.index !== this.#index) throw new FormatError('FRAME_OUT_OF_ORDER', `expected batch ${this.#index}`)
    if (opened.kind === 'end') {
      this.#ended = true
      return { type: 'end', batches: this.#index }
    }
    this.#decoder ??= new BatchDecoder(this.#layouts, this.#denied)
    const batch = this.#decoder.decode(opened.plains, opened.rows)
    this.#index++
    return { type: 'batch', batch }
  }
}

/** Suite 2: the reader's session policy, the certificate by the trusted signer, the header signature, the clock. */
function checkSession(
  session: SessionCredential,
  signer: PublicKey,
  signed: Uint8Array,
  signature: Uint8Array,
  policy: SessionPolicy,
  runtime: Runtime,
): void {
  if (policy === 'reject') {
    throw new AuthError(
      'SESSION_REJECTED',
      "the stream is signed by a writer session and this reader set sessions: 'reject'",
    )
  }
  if (!verifyCredential(signer, session, runtime.ed25519)) {
    throw new AuthError('SIGNATURE_INVALID', 'the writer session certificate does not verify: it was changed or forged')
  }
  if (!verifySessionHeader(session, signed, signature, runtime.ed25519)) {
    throw new AuthError('SIGNATURE_INVALID', 'the header signature does not verify: the header was changed or forged')
  }
  if (policy === 'current') {
    const now = Date.now() / 1000
    if (now < session.notBefore - SESSION_CLOCK_SKEW_SECONDS || now > session.notAfter + SESSION_CLOCK_SKEW_SECONDS) {
      throw new AuthError('SESSION_EXPIRED', "the writer session's validity window does not include the current time")
    }
  }
}
