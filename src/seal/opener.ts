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
import { constantTimeEqual } from '../format/bytes.js'
import { type HeaderChain, layerOf, parseChain } from '../format/chain.js'
import { GROUP_FLAG_SCHEMA_REVEALED, GROUP_KIND_PUBLIC, HARD_LIMITS } from '../format/constants.js'
import { SCHEMA_NONCE, schemaAad } from '../format/derive.js'
import type { ParsedHeader } from '../format/header.js'
import { assertDisjointPositions } from '../format/positions.js'
import type { SessionCredential } from '../format/session.js'
import type { PublicKey } from '../keys/public-key.js'
import { findActive, layerFrameKeys, verifyChain } from '../lifecycle/chain-verify.js'
import { FrameOpener, type FrameOpenerKeys, type InflateBudget, type OpenedFrame } from './frame-opener.js'
import { committedKey } from './header-verify.js'
import { type KeyAccessInfo, keysFromGateway } from './key-access.js'
import { checkOpenOptions, type OpenOptions, type ReaderLimits } from './options.js'
import { checkColumns, type Projection, planProjection } from './projection.js'
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

export { parseStanzaPayload } from './stanza.js'

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
  /** The original writer's header (for a rewrapped stream, the innermost one of {@link Opener.chain}). */
  readonly header: ParsedHeader
  /** The header as received: the original one and any rewrap layers around it. */
  readonly chain: HeaderChain
  /** The original writer. */
  readonly signer: PublicKey
  /** Who rewrapped the stream, in order (empty for a stream never rewrapped); every one is a trusted signer. */
  readonly rewrappers: readonly PublicKey[]
  /** The crypto phase of this stream (verifying and decrypting frames). */
  readonly frames: FrameOpener
  /** How the keys came from a key-access gateway, or null for a direct recipient (its own stanza). */
  readonly keyAccess: KeyAccessInfo | null
  readonly #layouts: GroupLayout[]
  readonly #denied: GroupLayout[]
  /** The `columns` cut, or null for every readable column. */
  readonly #projection: Projection | null
  readonly #limits: ReaderLimits
  #index = 0
  #ended = false
  /** Bytes inflated from this stream's frames so far (accepted frames only). */
  #inflated = 0
  /** Decode-phase state of this stream (each group's verified schema message, the merged schema); made on first use. */
  #decoder: BatchDecoder | undefined

  private constructor(init: {
    schema: Schema
    chain: HeaderChain
    signer: PublicKey
    rewrappers: readonly PublicKey[]
    frames: FrameOpener
    keyAccess: KeyAccessInfo | null
    layouts: GroupLayout[]
    denied: GroupLayout[]
    projection: Projection | null
    limits: ReaderLimits
  }) {
    this.schema = init.schema
    this.chain = init.chain
    this.header = init.chain.root
    this.signer = init.signer
    this.rewrappers = init.rewrappers
    this.frames = init.frames
    this.keyAccess = init.keyAccess
    this.#layouts = init.layouts
    this.#denied = init.denied
    this.#projection = init.projection
    this.#limits = init.limits
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
   * @param defaultStreamInflation - `maxInflatedStreamBytes` when the options leave it out (the caller's default).
   */
  static async create(
    headerBytes: Uint8Array,
    options: OpenOptions,
    runtime: Runtime = webRuntime,
    exportKeys?: (keys: FrameOpenerKeys) => void,
    defaultStreamInflation?: number,
  ): Promise<Opener> {
    const {
      signers,
      sessions,
      expectedStreamId,
      limits: readerLimits,
    } = checkOpenOptions(options, defaultStreamInflation)
    const columns = checkColumns(options.columns)
    const backend = backendFor(options, runtime)
    const chain = parseChain(headerBytes)
    const header = chain.root

    // 1. Who wrote it, and who rewrapped it: every signer must be trusted, and each signature must verify over the
    //    exact bytes parsed, the original writer's first (format.md §Rewrapped streams).
    const { signer, rewrappers } = verifyChain(chain, signers, sessions, runtime)
    // The stream id is authentic only now that the signature verified; an old stream of this writer replayed in
    // place of the one the reader asked for differs from it here and nowhere else (docs/concepts/zero-trust.md).
    if (expectedStreamId && !constantTimeEqual(expectedStreamId, header.streamId)) {
      throw new AuthError(
        'STREAM_UNEXPECTED',
        'the stream id is not the expected one: a different (maybe replayed) stream',
      )
    }
    const headerDigest = await backend.sha256(chain.bytes)
    // Units and frame signatures stay bound to the original header; MACs to the header of the stanza's layer.
    const rootDigest = chain.layers.length === 0 ? headerDigest : await backend.sha256(header.bytes)

    // 2. Our stanza: found by fingerprint; a stream naming one key twice is malformed. Without one, a stream with
    //    service recipients can still be read through a gateway (options.keyAccess), asked once per stream.
    //    With anonymous recipients the stanza is found by trial decryption instead (format.md).
    const mine = await findActive(options.identity, chain, (b) => backend.sha256(b), runtime)
    const myIndex = mine?.index ?? -1
    let groupKeys: Map<number, Uint8Array>
    let macKey: Uint8Array | null = null
    let macDigest = headerDigest
    let keyAccess: KeyAccessInfo | null = null
    if (mine) {
      ;({ groupKeys, macKey } = mine)
      if (mine.layer === 0) macDigest = rootDigest
      else if (mine.layer < chain.layers.length) macDigest = await backend.sha256(layerOf(chain, mine.layer).bytes)
    } else {
      // Through a gateway of the writer's header or of a rewrap layer; the request carries the outermost header.
      ;({ groupKeys, info: keyAccess } = await keysFromGateway(chain, headerDigest, options))
    }
    const frameKey = header.service?.frameKey ?? null
    const layerKeys = await layerFrameKeys(chain, (b) => backend.sha256(b))

    // 3. Each group key must reproduce the commitment in the signed header, so every reader of a group
    //    provably holds the same key (DESIGN property 6).
    const groups: ReadableGroup[] = []
    const rawKeys: FrameOpenerKeys['groups'][number][] = []
    const denied: GroupLayout[] = []
    const deniedIds: { id: number; positions: readonly number[] }[] = []
    try {
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
        const encKey = committedKey(groupKey, header.streamId, g.commitment!)
        groupKey.fill(0)
        const key = await backend.importKey(encKey)
        rawKeys.push({ id: g.id, encKey: exportKeys ? encKey : null })
        if (!exportKeys) encKey.fill(0)
        const blob = revealed
          ? g.schema
          : await backend.open(key, SCHEMA_NONCE, schemaAad(header.streamId, g.id), g.schema)
        groups.push({ id: g.id, layout: decodeGroupSchema(blob, limits), key })
      }
    } finally {
      // Whatever happens, no raw group key outlives this function (the AES keys derived from them do).
      for (const k of groupKeys.values()) k.fill(0)
    }
    // Hidden group schemas show their positions only to their readers: check every group this reader sees.
    assertDisjointPositions([...groups.map((g) => ({ id: g.id, positions: g.layout.positions })), ...deniedIds])
    // Projection: groups without an asked column leave the frame opener, so their units are never opened.
    const projection =
      columns && planProjection(columns, [...groups, ...denied.map((layout, i) => ({ id: deniedIds[i]!.id, layout }))])
    const keep = (id: number) => !projection || projection.groupIds.has(id)
    const readGroups = groups.filter((g) => keep(g.id))
    const readKeys = rawKeys.filter((g) => keep(g.id))
    const readDenied = denied.filter((_, i) => keep(deniedIds[i]!.id))
    const merged = mergeSchemas(
      readGroups.map((g) => g.layout),
      readDenied,
    )
    const schema = projection ? projection.selectSchema(merged) : merged
    const init = {
      headerDigest: macDigest,
      rootDigest: chain.layers.length === 0 ? null : rootDigest,
      macKey,
      frameKey,
      layerFrameKeys: layerKeys,
      myIndex,
      groupCount: header.groups.length,
      macCount: chain.active.length,
      maxInflatedFrameBytes: readerLimits.maxInflatedFrameBytes,
    }
    if (exportKeys)
      exportKeys({
        ...init,
        headerDigest: macDigest.slice(),
        rootDigest: init.rootDigest ? init.rootDigest.slice() : null,
        macKey: macKey ? macKey.slice() : null,
        frameKey: frameKey ? frameKey.slice() : null,
        layerFrameKeys: layerKeys.map((k) => ({ frameKey: k.frameKey.slice(), headerDigest: k.headerDigest.slice() })),
        groups: readKeys,
      })
    // Keys of groups left out by the projection are not kept (the exported copies above are only the read ones).
    for (const g of rawKeys) if (!keep(g.id)) g.encKey?.fill(0)
    const frames = new FrameOpener(backend, readGroups, init, runtime.ed25519)
    return new Opener({
      schema,
      chain,
      signer,
      rewrappers,
      frames,
      keyAccess,
      layouts: readGroups.map((g) => g.layout),
      denied: readDenied,
      projection: projection || null,
      limits: readerLimits,
    })
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
    return this.accept(await this.frames.open(bytes, this.#index, this.inflateBudget(0)!))
  }

  /**
   * What the next frame to be dispatched may inflate, with `inFlight` frames already dispatched and not yet
   * accepted; null when those could use up the stream's limit, so the caller must accept them first. Each frame
   * in flight is counted at the per-frame limit, so a frame is refused exactly when it would be in order.
   */
  inflateBudget(inFlight = 0): InflateBudget | null {
    const frame = this.#limits.maxInflatedFrameBytes
    const left = this.#limits.maxInflatedStreamBytes - this.#inflated
    if (inFlight === 0) return { frame, stream: left }
    const unreserved = left - inFlight * frame
    return unreserved >= frame ? { frame, stream: unreserved } : null
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
    // The crypto phase checked the frame against the budget it was given; this checks the stream's total.
    if (this.#inflated + opened.inflated > this.#limits.maxInflatedStreamBytes)
      throw new FormatError('LIMIT_EXCEEDED', "the stream inflates to more than this reader's maxInflatedStreamBytes")
    this.#inflated += opened.inflated
    this.#decoder ??= new BatchDecoder(this.#layouts, this.#denied, this.#limits.maxDictionaryDeltas)
    const merged = this.#decoder.decode(opened.plains, opened.rows)
    const batch = this.#projection ? this.#projection.select(merged) : merged
    this.#index++
    return { type: 'batch', batch }
  }
}
