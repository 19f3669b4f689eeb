/**
 * The writer's engine: plans access groups from the policy, writes and signs the header, then seals each batch
 * into one frame. `sealTable` and `SealStream` are thin wrappers around it.
 * @module
 */
import type { RecordBatch, Schema } from 'apache-arrow'
import { deflateSync } from 'fflate'
import { defaultBackend } from '../aead/default.js'
import type { AeadKey, CryptoBackend } from '../aead/types.js'
import { schemasEqual } from '../arrow/equality.js'
import { encodeGroupBatch, encodeGroupSchema, type GroupLayout, planGroups } from '../arrow/index.js'
import { ArrowSealError } from '../errors.js'
import { ByteWriter, concatBytes } from '../format/bytes.js'
import {
  FRAME_KIND_BATCH,
  FRAME_KIND_END,
  GROUP_FLAG_SCHEMA_REVEALED,
  GROUP_KEY_BYTES,
  GROUP_KIND_PUBLIC,
  GROUP_KIND_SEALED,
  HARD_LIMITS,
  HEADER_FLAG_REVEAL_SCHEMA,
  LABEL,
  MAC_BYTES,
  STREAM_ID_BYTES,
  UNIT_FLAG_DEFLATE,
} from '../format/constants.js'
import { deriveGroupKeys, frameMac, SCHEMA_NONCE, schemaAad, unitAad, unitNonce } from '../format/derive.js'
import { type UnitBytes, writeFrame } from '../format/frame.js'
import { encodePreamble, encodeSignedPart, type GroupEntry, type StanzaEntry } from '../format/header.js'
import { setupBaseS } from '../keys/hpke.js'
import { parsePolicy, parseRecipients } from '../policy/policy.js'
import { planAccess } from '../policy/resolve.js'
import { checkSealOptions, parseRecipientKeys, type SealOptions } from './options.js'
import { type RandomSource, webRandom } from './random.js'

interface SealedGroup {
  readonly layout: GroupLayout
  readonly key: AeadKey | null
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
 * call before the next (the stream wrappers do).
 * @internal
 */
export class Sealer {
  readonly header: Uint8Array
  readonly schema: Schema
  readonly #backend: CryptoBackend
  readonly #groups: SealedGroup[]
  readonly #macKeys: Uint8Array[]
  readonly #headerDigest: Uint8Array
  readonly #compress: boolean
  #index = 0
  #state: 'open' | 'ended' | 'failed' = 'open'

  private constructor(
    header: Uint8Array,
    schema: Schema,
    backend: CryptoBackend,
    groups: SealedGroup[],
    macKeys: Uint8Array[],
    headerDigest: Uint8Array,
    compressUnits: boolean,
  ) {
    this.header = header
    this.schema = schema
    this.#backend = backend
    this.#groups = groups
    this.#macKeys = macKeys
    this.#headerDigest = headerDigest
    this.#compress = compressUnits
  }

  /**
   * Plans groups, draws the stream id and group keys, writes the stanzas and signs the header.
   * @param random - test-only injection point for deterministic golden files; never reachable from the API.
   */
  static async create(schema: Schema, options: SealOptions, random: RandomSource = webRandom): Promise<Sealer> {
    checkSealOptions(options)
    const backend = options.backend ?? defaultBackend()
    const policy = parsePolicy(options.policy)
    const recipientKeys = parseRecipientKeys(parseRecipients(options.recipients))
    const plan = planAccess(
      schema.fields.map((f) => f.name),
      schema.metadata.size > 0,
      policy,
      recipientKeys,
    )
    const layouts = planGroups(schema, plan.groupOf, plan.groups.length, plan.metadataGroup)
    const reveal = options.revealSchema === true
    const streamId = random(STREAM_ID_BYTES)

    const groupKeys: (Uint8Array | null)[] = []
    const sealed: SealedGroup[] = []
    const entries: GroupEntry[] = []
    for (const [id, g] of plan.groups.entries()) {
      const layout = layouts[id]!
      const schemaBlob = encodeGroupSchema(layout)
      if (g.kind === 'public') {
        groupKeys.push(null)
        sealed.push({ layout, key: null, sealedBytes: 0 })
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
      encKey.fill(0)
      const group: SealedGroup = { layout, key, sealedBytes: 0 }
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

    const flags = reveal ? HEADER_FLAG_REVEAL_SCHEMA : 0
    const signer = options.signer.publicKeyObject.fingerprint
    const preamble = encodePreamble({ flags, streamId, signer, groups: entries })
    const preambleDigest = await backend.sha256(preamble)
    const info = concatBytes(LABEL.stanzaInfo, streamId)
    const stanzas: StanzaEntry[] = []
    const macKeys: Uint8Array[] = []
    for (const r of plan.recipients) {
      const ctx = setupBaseS(r.key, info, { eseed: random(64) })
      const payload = new ByteWriter(2 + r.groups.length * (2 + GROUP_KEY_BYTES)).u16(r.groups.length)
      for (const g of r.groups) payload.u16(g).put(groupKeys[g]!)
      const plaintext = payload.done()
      stanzas.push({ fingerprint: r.key.fingerprint, enc: ctx.enc, payload: ctx.seal(preambleDigest, plaintext) })
      plaintext.fill(0)
      macKeys.push(ctx.export(LABEL.macExport, 32))
    }
    for (const k of groupKeys) k?.fill(0)

    const signed = encodeSignedPart({ flags, streamId, signer, groups: entries, stanzas })
    const signature = options.signer.sign(LABEL.headerSignature, signed, random === webRandom ? undefined : random)
    const header = concatBytes(signed, signature)
    const headerDigest = await backend.sha256(header)
    return new Sealer(header, schema, backend, sealed, macKeys, headerDigest, options.compression === 'deflate')
  }

  /** Seals one batch into one frame. The batch's schema must equal the stream's. */
  async sealBatch(batch: RecordBatch): Promise<Uint8Array> {
    this.#checkOpen()
    try {
      if (batch.schema !== this.schema && !schemasEqual(batch.schema, this.schema)) {
        throw new ArrowSealError('ARROW_INVALID', 'a batch has a different schema from the stream it is written to')
      }
      const rows = batch.numRows
      if (rows > HARD_LIMITS.maxRowsPerBatch)
        throw new ArrowSealError('LIMIT_EXCEEDED', `a batch of ${rows} rows exceeds the limit`)
      if (this.#index >= HARD_LIMITS.maxBatches)
        throw new ArrowSealError('AEAD_LIMIT', 'this stream has reached its batch limit; start a new stream')
      const index = this.#index
      const units = await Promise.all(this.#groups.map((g, id) => this.#sealUnit(g, id, batch, index, rows)))
      const frame = await this.#frame(FRAME_KIND_BATCH, index, rows, units)
      this.#index++
      return frame
    } catch (err) {
      // A failed writer must never be able to end the stream: readers then see truncation, not a short stream.
      this.#state = 'failed'
      throw err
    }
  }

  /** Writes the authenticated end frame. After this the sealer accepts nothing more. */
  async finish(): Promise<Uint8Array> {
    this.#checkOpen()
    this.#state = 'ended'
    return this.#frame(FRAME_KIND_END, this.#index, 0, [])
  }

  /** Marks the stream failed, so that no end frame can be written. */
  abort(): void {
    this.#state = 'failed'
  }

  #checkOpen(): void {
    if (this.#state === 'ended') throw new ArrowSealError('STREAM_ABORTED', 'the stream has already ended')
    if (this.#state === 'failed')
      throw new ArrowSealError('STREAM_ABORTED', 'the stream failed earlier and cannot continue')
  }

  async #sealUnit(g: SealedGroup, id: number, batch: RecordBatch, index: number, rows: number): Promise<UnitBytes> {
    const ipc = encodeGroupBatch(batch, g.layout)
    const flags = this.#compress ? UNIT_FLAG_DEFLATE : 0
    const plain = this.#compress ? compress(ipc) : ipc
    if (g.key === null) return { groupId: id, flags, payload: plain }
    g.sealedBytes += plain.length
    if (g.sealedBytes > HARD_LIMITS.maxBytesPerKey) {
      throw new ArrowSealError(
        'AEAD_LIMIT',
        'this stream has sealed 2^40 bytes under one group key; start a new stream',
      )
    }
    const aad = unitAad(this.#headerDigest, index, id, rows, false, flags)
    return { groupId: id, flags, payload: await this.#backend.seal(g.key, unitNonce(index), aad, plain) }
  }

  async #frame(kind: number, index: number, rows: number, units: UnitBytes[]): Promise<Uint8Array> {
    const { frame, body, macs } = writeFrame(kind, index, rows, units, this.#macKeys.length)
    const digest = await this.#backend.sha256(body)
    for (const [i, macKey] of this.#macKeys.entries())
      macs.set(frameMac(macKey, this.#headerDigest, digest), i * MAC_BYTES)
    return frame
  }
}
