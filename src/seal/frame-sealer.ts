/**
 * The writer's per-batch crypto phase: seal each unit of an encoded batch straight into its frame, hash the
 * frame body and write one MAC per recipient. It needs no Arrow code, so a worker thread can run it as well as
 * the writer itself; both produce the same bytes.
 * @module
 */
import { sealParts } from '../aead/parts.js'
import type { AeadKey, CryptoBackend } from '../aead/types.js'
import { FRAME_KIND_BATCH, FRAME_KIND_END, MAC_BYTES } from '../format/constants.js'
import { frameMac, unitAad, unitNonce } from '../format/derive.js'
import { type Ed25519, nobleEd25519 } from '../keys/sign.js'
import { frameSize, layoutFrame, type UnitShape } from './frame-layout.js'
import { FrameSigner } from './frame-sig.js'

/**
 * One unit of a batch after the encode phase: Arrow IPC (maybe deflated), not yet sealed.
 *
 * @example
 * ```ts
 * const unit: EncodedUnit = { groupId: 1, flags: 0, parts: [ipc], length: ipc.length, sealed: true }
 * ```
 */
export interface EncodedUnit {
  readonly groupId: number
  readonly flags: number
  /**
   * The unit's plaintext in order: Arrow IPC as the writer emitted it (views, some into the batch's own column
   * buffers, so the bytes are read once, by the AEAD), or one part holding its length-prefixed deflate.
   */
  readonly parts: readonly Uint8Array[]
  /** Total bytes of `parts`. */
  readonly length: number
  /** True for a sealed group's unit (a public group's unit is written as is). */
  readonly sealed: boolean
}

/**
 * A batch after the encode phase: its position and its units in group order.
 *
 * @example
 * ```ts
 * const encoded: EncodedBatch = sealer.encodeBatch(batch)
 * ```
 */
export interface EncodedBatch {
  readonly index: number
  readonly rows: number
  readonly units: readonly EncodedUnit[]
}

/**
 * Raw keys of the crypto phase, to hand to a worker. Secret: never logged, wiped by whoever holds them.
 *
 * @example
 * ```ts
 * await Sealer.create(schema, options, webRandom, runtime, (keys: FrameSealerKeys) => start(keys))
 * ```
 */
export interface FrameSealerKeys {
  readonly headerDigest: Uint8Array
  readonly macKeys: readonly Uint8Array[]
  /** Per group: the AES-256 key, or null for a public group. */
  readonly encKeys: readonly (Uint8Array | null)[]
  /** Service-access streams: the frame key's secret seed, to sign every frame; else null. */
  readonly frameSeed: Uint8Array | null
}

/** GCM appends a 16-byte tag to each sealed unit. */
const TAG = 16

/**
 * The frame shape of an encoded batch.
 *
 * @example
 * ```ts
 * const size = frameSize(unitShapes(encoded), macCount)
 * ```
 */
export function unitShapes(batch: EncodedBatch): UnitShape[] {
  return batch.units.map((u) => ({ groupId: u.groupId, flags: u.flags, length: u.length + (u.sealed ? TAG : 0) }))
}

/**
 * Seals encoded batches into frames for one stream.
 *
 * @example
 * ```ts
 * const fs = await FrameSealer.fromKeys(backend, keys)
 * const frame = await fs.seal(encoded)
 * ```
 * @internal
 */
export class FrameSealer {
  readonly #backend: CryptoBackend
  readonly #keys: readonly (AeadKey | null)[]
  readonly #headerDigest: Uint8Array
  readonly #macKeys: readonly Uint8Array[]
  readonly #signer: FrameSigner | null

  /** @param signer - service-access streams: signs every frame (format.md §Service recipients). */
  constructor(
    backend: CryptoBackend,
    keys: readonly (AeadKey | null)[],
    headerDigest: Uint8Array,
    macKeys: readonly Uint8Array[],
    signer: FrameSigner | null = null,
  ) {
    this.#backend = backend
    this.#keys = keys
    this.#headerDigest = headerDigest
    this.#macKeys = macKeys
    this.#signer = signer
  }

  /** Imports raw keys (in a worker, say) into `backend`; `ed25519` signs frames of a service-access stream. */
  static async fromKeys(
    backend: CryptoBackend,
    keys: FrameSealerKeys,
    ed25519: Ed25519 = nobleEd25519,
  ): Promise<FrameSealer> {
    const imported = await Promise.all(keys.encKeys.map((k) => (k === null ? null : backend.importKey(k))))
    return new FrameSealer(
      backend,
      imported,
      keys.headerDigest.slice(),
      keys.macKeys.map((k) => k.slice()),
      keys.frameSeed ? new FrameSigner(keys.frameSeed, ed25519) : null,
    )
  }

  /** Bytes the frame of `batch` takes. */
  size(batch: EncodedBatch): number {
    return frameSize(unitShapes(batch), this.#macKeys.length, this.#signer !== null)
  }

  /**
   * Seals `batch` into `out` (exactly {@link FrameSealer.size} bytes; allocated when omitted) and returns it.
   */
  async seal(batch: EncodedBatch, out?: Uint8Array): Promise<Uint8Array> {
    const shapes = unitShapes(batch)
    const signed = this.#signer !== null
    const frame = out ?? new Uint8Array(frameSize(shapes, this.#macKeys.length, signed))
    const slots = layoutFrame(frame, FRAME_KIND_BATCH, batch.index, batch.rows, shapes, this.#macKeys.length, signed)
    const nonce = unitNonce(batch.index)
    await Promise.all(
      batch.units.map(async (u, i) => {
        const slot = slots.payloads[i]!
        if (!u.sealed) {
          let at = 0
          for (const p of u.parts) {
            slot.set(p, at)
            at += p.byteLength
          }
          return
        }
        const key = this.#keys[u.groupId]
        if (!key) throw new TypeError(`group ${u.groupId} has no key`)
        const aad = unitAad(this.#headerDigest, batch.index, u.groupId, batch.rows, false, u.flags)
        await sealParts(this.#backend, key, nonce, aad, u.parts, slot)
      }),
    )
    await this.#authenticate(slots.body, slots.macs, slots.signature)
    return frame
  }

  /** Bytes the end frame takes. */
  endSize(): number {
    return frameSize([], this.#macKeys.length, this.#signer !== null)
  }

  /**
   * The authenticated end frame after `count` batches, written into `out` when given. The frame secret is wiped
   * once it is signed: nothing more can be signed for this stream.
   */
  async end(count: number, out?: Uint8Array): Promise<Uint8Array> {
    const frame = out ?? new Uint8Array(this.endSize())
    const signed = this.#signer !== null
    const slots = layoutFrame(frame, FRAME_KIND_END, count, 0, [], this.#macKeys.length, signed)
    await this.#authenticate(slots.body, slots.macs, slots.signature)
    this.#signer?.wipe()
    return frame
  }

  /** The stream failed or was dropped: forget the frame secret. */
  wipe(): void {
    this.#signer?.wipe()
  }

  /** One MAC per recipient over the frame digest, then (service-access streams) the frame signature. */
  async #authenticate(body: Uint8Array, macs: Uint8Array, signature: Uint8Array | null): Promise<void> {
    const digest = await this.#backend.sha256(body)
    for (const [i, macKey] of this.#macKeys.entries())
      macs.set(frameMac(macKey, this.#headerDigest, digest), i * MAC_BYTES)
    if (signature && this.#signer) signature.set(this.#signer.sign(this.#headerDigest, digest))
  }
}
