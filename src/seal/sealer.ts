/**
 * The writer's engine: plans access groups from the policy, writes and signs the header, then seals each batch
 * into one frame. `sealTable` and `SealStream` are thin wrappers around it.
 * @module
 */
import type { RecordBatch, Schema } from 'apache-arrow'
import { deflateSync } from 'fflate'
import type { AeadKey } from '../aead/types.js'
import { applyDictionaryTrim, type DictionaryTrim, planDictionaryTrim } from '../arrow/dictionary-trim.js'
import { typesEqual } from '../arrow/equality.js'
import { encodeGroupSchema, type GroupLayout, planGroups } from '../arrow/index.js'
import { encodeGroupParts, type IpcParts, joinParts } from '../arrow/ipc-parts.js'
import { ArrowSealError } from '../errors.js'
import { ByteWriter, concatBytes } from '../format/bytes.js'
import {
  GROUP_FLAG_SCHEMA_REVEALED,
  GROUP_KEY_BYTES,
  GROUP_KIND_PUBLIC,
  GROUP_KIND_SEALED,
  HARD_LIMITS,
  HEADER_FLAG_ANONYMOUS,
  HEADER_FLAG_REVEAL_SCHEMA,
  HEADER_FLAG_SERVICE_ACCESS,
  LABEL,
  STREAM_ID_BYTES,
  UNIT_FLAG_DEFLATE,
} from '../format/constants.js'
import { deriveGroupKeys, SCHEMA_NONCE, schemaAad } from '../format/derive.js'
import { encodePreamble, encodeSignedPart, type GroupEntry, type StanzaEntry } from '../format/header.js'
import { WriterSession } from '../keys/session.js'
import { parsePolicy, parseRecipients } from '../policy/policy.js'
import { planAccess } from '../policy/resolve.js'
import { checkRevealable } from '../policy/reveal.js'
import { Coalescer } from './coalesce.js'
import { type EncodedBatch, type EncodedUnit, FrameSealer, type FrameSealerKeys } from './frame-sealer.js'
import { FrameSigner, frameKeyOf } from './frame-sig.js'
import { checkSealOptions, parseRecipientKeys, type SealOptions } from './options.js'
import { type RandomSource, webRandom } from './random.js'
import { backendFor, type Runtime, webRuntime } from './runtime.js'
import { planServices } from './service-plan.js'
import { sealStanza } from './stanza.js'
import { planTokens, Tokeniser } from './tokenise.js'

interface SealedGroup {
  readonly layout: GroupLayout
  readonly sealed: boolean
  /** Bytes sealed under this group's key so far: the AES-GCM usage limit is enforced per key. */
  sealedBytes: number
}

/** Deflate with a u32 length prefix, so the reader can bound and preallocate the inflated size. */
function compress(ipc: Uint8Array): Uint8Array {
  const packed = deflateSync(ipc, { level: 1 })
  return concatBytes(new ByteWriter(4).u32(ipc.length).done(), packed)
}

/**
 * Seals one stream: a header, then one frame per batch, then the end frame. Not reentrant: callers await each
 * call before the next (the stream wrappers do). Per batch, {@link Sealer.encodeBatch} is the encode phase
 * (Arrow, this thread) and {@link Sealer.frames} the crypto phase (which worker threads can also run).
 *
 * @example
 * ```ts
 * const sealer = await Sealer.create(table.schema, options)
 * const parts = [sealer.header, ...(await Promise.all(table.batches.map((b) => sealer.sealBatch(b))))]
 * parts.push(await sealer.finish())
 * ```
 * @internal
 */
export class Sealer {
  readonly header: Uint8Array
  readonly schema: Schema
  /** The crypto phase of this stream (sealing encoded batches into frames). */
  readonly frames: FrameSealer
  readonly #groups: SealedGroup[]
  readonly #compress: boolean
  readonly #coalescer: Coalescer | null
  /**
   * Positions in the writer's schema of the fields that are written (every group's); dropped fields are not among
   * them, and a field read only through its tokens is not either.
   */
  readonly #written: readonly number[]
  /** Adds token columns (policy.tokens) to each batch before it is encoded; null when nothing is tokenised. */
  readonly #tokeniser: Tokeniser | null
  #trim: DictionaryTrim | null = null
  #index = 0
  #state: 'open' | 'ended' | 'failed' = 'open'

  private constructor(
    header: Uint8Array,
    schema: Schema,
    frames: FrameSealer,
    groups: SealedGroup[],
    compressUnits: boolean,
    minBatchRows: number | undefined,
    tokeniser: Tokeniser | null,
    written: readonly number[],
  ) {
    this.header = header
    this.schema = schema
    this.frames = frames
    this.#groups = groups
    this.#compress = compressUnits
    this.#coalescer = Coalescer.for(schema, minBatchRows)
    this.#tokeniser = tokeniser
    this.#written = written
  }

  /**
   * Plans groups, draws the stream id and group keys, writes the stanzas and signs the header.
   * @param random - test-only injection point for deterministic golden files; never reachable from the API.
   * @param runtime - default backend and X25519 (the Node entry passes node:crypto ones).
   * @param exportKeys - receives copies of the raw frame keys, for worker threads that run the crypto phase.
   * @param now - the writer's clock in ms (a session refuses to sign after its window); test-only override.
   */
  static async create(
    schema: Schema,
    options: SealOptions,
    random: RandomSource = webRandom,
    runtime: Runtime = webRuntime,
    exportKeys?: (keys: FrameSealerKeys) => void,
    now: number = Date.now(),
  ): Promise<Sealer> {
    checkSealOptions(options)
    const backend = backendFor(options, runtime)
    const policy = parsePolicy(options.policy)
    const { keys: recipientKeys, services } = parseRecipientKeys(parseRecipients(options.recipients))
    // Token columns (pseudonymised views) are planned like fields, each right after the field it tokenises.
    const tokens = planTokens(schema, policy, options.tokens)
    const writtenSchema = tokens?.schema ?? schema
    const plan = planAccess(
      writtenSchema.fields.map((f) => f.name),
      writtenSchema.metadata.size > 0,
      policy,
      recipientKeys,
      tokens?.tokenOf,
    )
    const layouts = planGroups(writtenSchema, plan.groupOf, plan.groups.length, plan.metadataGroup)
    const reveal = options.revealSchema === true
    // A revealed blob is plaintext: it may publish names and types, never restricted metadata. Checked before any
    // key is drawn.
    if (reveal) {
      for (const [id, g] of plan.groups.entries()) {
        if (g.kind === 'public') continue
        const layout = layouts[id]!
        // A token column's only metadata is the dataset name the writer was configured with, not data: it may show.
        const own = layout.positions.map((p) => tokens?.tokenOf[p] != null)
        checkRevealable(layout.schema, id, own)
      }
    }
    const streamId = random(STREAM_ID_BYTES)

    const groupKeys: (Uint8Array | null)[] = []
    const aeadKeys: (AeadKey | null)[] = []
    const rawKeys: (Uint8Array | null)[] = []
    const sealed: SealedGroup[] = []
    const entries: GroupEntry[] = []
    for (const [id, g] of plan.groups.entries()) {
      const layout = layouts[id]!
      const schemaBlob = encodeGroupSchema(layout)
      if (g.kind === 'public') {
        groupKeys.push(null)
        aeadKeys.push(null)
        rawKeys.push(null)
        sealed.push({ layout, sealed: false, sealedBytes: 0 })
        entries.push({
          id,
          kind: GROUP_KIND_PUBLIC,
          flags: GROUP_FLAG_SCHEMA_REVEALED,
          commitment: null,
          schema: schemaBlob,
        })
        continue
      }
      const groupKey = random(GROUP_KEY_BYTES)
      groupKeys.push(groupKey)
      const { encKey, commitment } = deriveGroupKeys(groupKey, streamId)
      const key = await backend.importKey(encKey)
      aeadKeys.push(key)
      rawKeys.push(exportKeys ? encKey : null)
      if (!exportKeys) encKey.fill(0)
      const group: SealedGroup = { layout, sealed: true, sealedBytes: 0 }
      sealed.push(group)
      let blob = schemaBlob
      if (!reveal) {
        blob = await backend.seal(key, SCHEMA_NONCE, schemaAad(streamId, id), schemaBlob)
        group.sealedBytes += schemaBlob.length
      }
      entries.push({
        id,
        kind: GROUP_KIND_SEALED,
        flags: reveal ? GROUP_FLAG_SCHEMA_REVEALED : 0,
        commitment,
        schema: blob,
      })
    }

    // Gateway recipients (format.md §Service recipients): a fresh frame key signs every frame, so readers who got
    // their keys from a gateway, and hold no MAC key, can still tell the writer's frames from another reader's.
    const frameSeed = services.size > 0 ? random(32) : null
    const service = frameSeed ? planServices(plan, services, options.dataset ?? '', frameKeyOf(frameSeed)) : null
    const anonymous = options.anonymousRecipients === true
    const flags =
      (reveal ? HEADER_FLAG_REVEAL_SCHEMA : 0) |
      (service ? HEADER_FLAG_SERVICE_ACCESS : 0) |
      (anonymous ? HEADER_FLAG_ANONYMOUS : 0)
    const signer = options.signer.publicKeyObject.fingerprint
    const by = options.signer
    const session = by instanceof WriterSession ? by.credential : null
    const preamble = encodePreamble({ flags, streamId, signer, session, groups: entries })
    const preambleDigest = await backend.sha256(preamble)
    const info = concatBytes(LABEL.stanzaInfo, streamId)
    const stanzas: StanzaEntry[] = []
    const macKeys: Uint8Array[] = []
    // Every stanza is as long as the one with the most groups: a stanza's size would otherwise tell an observer how
    // many groups its recipient may read (issue 19). The padding is zero bytes after the group list (format.md).
    const stanzaBytes = 2 + Math.max(0, ...plan.recipients.map((r) => r.groups.length)) * (2 + GROUP_KEY_BYTES)
    const stanzaContext = { info, stanzaBytes, preambleDigest, anonymous, random, runtime }
    for (const r of plan.recipients) {
      const { stanza, macKey } = sealStanza(r.key, r.groups, (g) => groupKeys[g]!, stanzaContext)
      stanzas.push(stanza)
      macKeys.push(macKey)
    }
    for (const k of groupKeys) k?.fill(0)

    const signed = encodeSignedPart({ flags, streamId, signer, session, groups: entries, stanzas, service })
    // A session signs with its certified Ed25519 key (suite 2); an identity with its hybrid key (suite 1).
    const signature =
      by instanceof WriterSession
        ? by.signHeader(signed, runtime.ed25519, now)
        : by.sign(LABEL.headerSignature, signed, random === webRandom ? undefined : random, runtime.ed25519)
    const header = concatBytes(signed, signature)
    const headerDigest = await backend.sha256(header)
    const frameSigner = frameSeed ? new FrameSigner(frameSeed, runtime.ed25519) : null
    if (exportKeys)
      exportKeys({
        headerDigest: headerDigest.slice(),
        macKeys: macKeys.map((k) => k.slice()),
        encKeys: rawKeys,
        frameSeed: frameSeed ? frameSeed.slice() : null,
      })
    frameSeed?.fill(0)
    const frames = new FrameSealer(backend, aeadKeys, headerDigest, macKeys, frameSigner)
    const positions = sealed.flatMap((g) => g.layout.positions)
    const written = tokens
      ? positions.filter((p) => tokens.tokenOf[p] === null).map((p) => tokens.source[p]!)
      : positions
    return new Sealer(
      header,
      schema,
      frames,
      sealed,
      options.compression === 'deflate',
      options.minBatchRows,
      tokens && options.tokens ? new Tokeniser(tokens, options.tokens) : null,
      written,
    )
  }

  /**
   * Whole tables only (`sealTable`, which sees every row first): write each dictionary with only the entries that
   * some row of `batches` uses, so a sliced table carries no values of the rows cut off. Call before encoding.
   */
  trimDictionaries(batches: readonly RecordBatch[]): void {
    this.#trim = planDictionaryTrim(batches, this.#written)
  }

  /** Whether this stream merges small batches (`minBatchRows`), so that {@link Sealer.gather} may hold some back. */
  get gathers(): boolean {
    return this.#coalescer !== null
  }

  /**
   * The batches to seal now for the next input batch: `[batch]`, or with `minBatchRows` the gathered batches
   * once they have enough rows, merged into one (and none while it is still gathering). Seal them in order with
   * {@link Sealer.encodeBatch}, then, before {@link Sealer.finish}, whatever {@link Sealer.drain} returns.
   */
  gather(batch: RecordBatch): RecordBatch[] {
    if (!this.#coalescer) return [batch]
    this.#checkOpen()
    try {
      // Merging trusts every batch's shape, so check it before the batch joins the others.
      this.#checkShape(batch)
      return this.#coalescer.push(batch)
    } catch (err) {
      this.#state = 'failed'
      throw err
    }
  }

  /** The batches {@link Sealer.gather} still holds (merged when possible), to seal before finishing. */
  drain(): RecordBatch[] {
    return this.#coalescer?.drain() ?? []
  }

  /** Seals one batch into one frame. The batch's schema must equal the stream's. */
  async sealBatch(batch: RecordBatch): Promise<Uint8Array> {
    const encoded = this.encodeBatch(batch)
    return this.guard(this.frames.seal(encoded))
  }

  /**
   * The encode phase of one batch: checks it, takes the next batch index, and encodes (and maybe compresses)
   * each group's columns. Seal the result with {@link Sealer.frames} (or a worker's copy of it), exactly once.
   */
  encodeBatch(batch: RecordBatch): EncodedBatch {
    this.#checkOpen()
    try {
      this.#checkShape(batch)
      const rows = batch.numRows
      if (rows > HARD_LIMITS.maxRowsPerBatch)
        throw new ArrowSealError('LIMIT_EXCEEDED', `a batch of ${rows} rows exceeds the limit`)
      if (this.#index >= HARD_LIMITS.maxBatches)
        throw new ArrowSealError('AEAD_LIMIT', 'this stream has reached its batch limit; start a new stream')
      const trimmed = this.#trim ? applyDictionaryTrim(batch, this.schema, this.#trim) : batch
      const written = this.#tokeniser ? this.#tokeniser.apply(trimmed) : trimmed
      const units = this.#groups.map((g, id) => this.#encodeUnit(g, id, written))
      return { index: this.#index++, rows, units }
    } catch (err) {
      // A failed writer must never be able to end the stream: readers then see truncation, not a short stream.
      this.#state = 'failed'
      throw err
    }
  }

  /** Awaits a crypto-phase result, failing the stream if it fails. */
  async guard<T>(work: Promise<T>): Promise<T> {
    try {
      return await work
    } catch (err) {
      this.#state = 'failed'
      throw err
    }
  }

  /** Writes the authenticated end frame (into `out` when given). After this the sealer accepts nothing more. */
  async finish(out?: Uint8Array): Promise<Uint8Array> {
    this.#checkOpen()
    this.#state = 'ended'
    return this.frames.end(this.#index, out)
  }

  /** Marks the stream failed, so that no end frame can be written (and forgets the frame secret). */
  abort(): void {
    this.#state = 'failed'
    this.frames.wipe()
  }

  #checkShape(batch: RecordBatch): void {
    if (batch.schema !== this.schema && !sameShape(batch, this.schema)) {
      throw new ArrowSealError('ARROW_INVALID', 'a batch has a different schema from the stream it is written to')
    }
  }

  #checkOpen(): void {
    if (this.#state === 'ended') throw new ArrowSealError('STREAM_ABORTED', 'the stream has already ended')
    if (this.#state === 'failed')
      throw new ArrowSealError('STREAM_ABORTED', 'the stream failed earlier and cannot continue')
  }

  #encodeUnit(g: SealedGroup, id: number, batch: RecordBatch): EncodedUnit {
    const ipc = encodeGroupParts(batch, g.layout)
    const flags = this.#compress ? UNIT_FLAG_DEFLATE : 0
    const unit = this.#compress ? single(compress(joinParts(ipc))) : ipc
    if (g.sealed) {
      g.sealedBytes += unit.length
      if (g.sealedBytes > HARD_LIMITS.maxBytesPerKey) {
        throw new ArrowSealError(
          'AEAD_LIMIT',
          'this stream has sealed 2^40 bytes under one group key; start a new stream',
        )
      }
    }
    return { groupId: id, flags, parts: unit.parts, length: unit.length, sealed: g.sealed }
  }
}

/**
 * Whether a batch fits the stream's schema: the same field names in the same order, and column data of the
 * same types. Types come from the batch's data, not its schema: arrow-js relabels the types of duplicate
 * field names in `RecordBatch.schema`, while the data is right.
 */
function sameShape(batch: RecordBatch, schema: Schema): boolean {
  const fields = schema.fields
  const names = batch.schema.fields
  const columns = batch.data.children
  if (names.length !== fields.length || columns.length !== fields.length) return false
  return fields.every(
    (f, i) => names[i]!.name === f.name && (columns[i]!.type === f.type || typesEqual(columns[i]!.type, f.type)),
  )
}

function single(bytes: Uint8Array): IpcParts {
  return { parts: [bytes], length: bytes.length }
}
