/**
 * The reader's per-frame crypto phase: parse a frame, check its position, verify this reader's MAC, then open
 * and verify every readable unit (and inflate it). Only when all of that succeeded does it return plaintext
 * units, for the decode phase. It needs no Arrow code, so a worker thread can run it as well as the reader.
 * @module
 */
import { inflateSync } from 'fflate'
import type { AeadKey, CryptoBackend } from '../aead/types.js'
import { ArrowSealError, AuthError, FormatError } from '../errors.js'
import { ByteReader, constantTimeEqual } from '../format/bytes.js'
import { FRAME_KIND_END, HARD_LIMITS, UNIT_FLAG_DEFLATE } from '../format/constants.js'
import { frameMac, unitAad, unitNonce } from '../format/derive.js'
import { parseFrame } from '../format/frame.js'
import { type Ed25519, nobleEd25519 } from '../keys/sign.js'
import { verifyFrameSig } from './frame-sig.js'

/**
 * A verified frame: a batch's plaintext units (one per readable group, in group order), or the end.
 *
 * @example
 * ```ts
 * const opened: OpenedFrame = await opener.frames.open(frame, opener.nextIndex, opener.inflateBudget())
 * ```
 */
export type OpenedFrame =
  | {
      readonly kind: 'batch'
      readonly index: number
      readonly rows: number
      readonly plains: Uint8Array[]
      /** Bytes inflated from this frame's compressed units (0 when none is compressed). */
      readonly inflated: number
    }
  | { readonly kind: 'end'; readonly index: number }

/**
 * How many bytes one frame's compressed units may inflate to, all together: the reader's per-frame limit, and
 * what is left of its per-stream limit (Infinity when it has none). Two numbers, so an error names the one hit.
 *
 * @example
 * ```ts
 * const opened = await frameOpener.open(frame, 0, { frame: 256 * 2 ** 20, stream: Infinity })
 * ```
 */
export interface InflateBudget {
  readonly frame: number
  readonly stream: number
}

/**
 * Raw keys of the crypto phase, to hand to a worker. Secret: never logged, wiped by whoever holds them.
 *
 * @example
 * ```ts
 * await Opener.create(header, options, runtime, (keys: FrameOpenerKeys) => start(keys))
 * ```
 */
export interface FrameOpenerKeys {
  /** Digest of the header this reader's MAC is bound to: its stanza's header (format.md §Rewrapped streams). */
  readonly headerDigest: Uint8Array
  /**
   * Digest of the original writer's header, which unit AADs and frame signatures are bound to; absent or null when
   * the stream was never rewrapped (then it is `headerDigest`).
   */
  readonly rootDigest?: Uint8Array | null
  /** This reader's MAC key; null for a reader that got its keys from a gateway (it has no stanza). */
  readonly macKey: Uint8Array | null
  /** This reader's position among the stanzas (and so among each frame's MACs); -1 without a stanza. */
  readonly myIndex: number
  /**
   * Service-access streams (header flag bit 2): the frame key every frame's signature must verify under, for
   * direct and gateway readers alike; null otherwise.
   */
  readonly frameKey: Uint8Array | null
  /**
   * Rewrap layers that added gateways (layer flag bit 2), oldest first: each one's frame key and the digest of its
   * whole header. Every frame carries a signature by each, after the writer's; every reader checks them all.
   */
  readonly layerFrameKeys?: readonly LayerFrameKey[]
  readonly groupCount: number
  readonly macCount: number
  /** Most bytes one frame's compressed units may inflate to together: the reader's `maxInflatedFrameBytes`. */
  readonly maxInflatedFrameBytes: number
  /** The groups this reader reads, in group order: a sealed group's AES key, or null for a public group. */
  readonly groups: readonly { readonly id: number; readonly encKey: Uint8Array | null }[]
}

/**
 * A rewrap layer's frame key and the digest of the layer's header, which its frame signatures cover.
 *
 * @example
 * ```ts
 * const k: LayerFrameKey = { frameKey: layer.service!.frameKey, headerDigest: await backend.sha256(layer.bytes) }
 * ```
 */
export interface LayerFrameKey {
  readonly frameKey: Uint8Array
  readonly headerDigest: Uint8Array
}

/**
 * A readable group as the crypto phase sees it.
 *
 * @example
 * ```ts
 * const group: OpenableGroup = { id: 2, key: await backend.importKey(encKey) }
 * ```
 */
export interface OpenableGroup {
  readonly id: number
  readonly key: AeadKey | null
}

/**
 * Verifies and decrypts frames for one stream.
 *
 * @example
 * ```ts
 * const opened = await frameOpener.open(frameBytes, expectedIndex)
 * ```
 * @internal
 */
export class FrameOpener {
  readonly #backend: CryptoBackend
  readonly #groups: readonly OpenableGroup[]
  readonly #headerDigest: Uint8Array
  readonly #rootDigest: Uint8Array
  readonly #macKey: Uint8Array | null
  readonly #frameKey: Uint8Array | null
  readonly #layerFrameKeys: readonly LayerFrameKey[]
  readonly #ed: Ed25519
  readonly #myIndex: number
  readonly #groupCount: number
  readonly #macCount: number
  readonly #maxInflatedFrameBytes: number

  /** @param ed25519 - verifies frame signatures of service-access streams. */
  constructor(
    backend: CryptoBackend,
    groups: readonly OpenableGroup[],
    init: Omit<FrameOpenerKeys, 'groups'>,
    ed25519: Ed25519 = nobleEd25519,
  ) {
    // A reader must authenticate frames somehow: by its own MAC, by the frame signature, or (normally) both.
    if (init.macKey === null && init.frameKey === null && (init.layerFrameKeys ?? []).length === 0)
      throw new TypeError('a frame opener needs a MAC key or a frame key')
    this.#backend = backend
    this.#groups = groups
    this.#headerDigest = init.headerDigest
    this.#rootDigest = init.rootDigest ?? init.headerDigest
    this.#macKey = init.macKey
    this.#frameKey = init.frameKey
    this.#layerFrameKeys = init.layerFrameKeys ?? []
    this.#ed = ed25519
    this.#myIndex = init.myIndex
    this.#groupCount = init.groupCount
    this.#macCount = init.macCount
    this.#maxInflatedFrameBytes = init.maxInflatedFrameBytes
  }

  /** Imports raw keys (in a worker, say) into `backend`. */
  static async fromKeys(
    backend: CryptoBackend,
    keys: FrameOpenerKeys,
    ed25519: Ed25519 = nobleEd25519,
  ): Promise<FrameOpener> {
    const groups = await Promise.all(
      keys.groups.map(async (g) => ({ id: g.id, key: g.encKey === null ? null : await backend.importKey(g.encKey) })),
    )
    return new FrameOpener(
      backend,
      groups,
      {
        headerDigest: keys.headerDigest.slice(),
        rootDigest: keys.rootDigest ? keys.rootDigest.slice() : null,
        macKey: keys.macKey ? keys.macKey.slice() : null,
        frameKey: keys.frameKey ? keys.frameKey.slice() : null,
        layerFrameKeys: (keys.layerFrameKeys ?? []).map((k) => ({
          frameKey: k.frameKey.slice(),
          headerDigest: k.headerDigest.slice(),
        })),
        myIndex: keys.myIndex,
        groupCount: keys.groupCount,
        macCount: keys.macCount,
        maxInflatedFrameBytes: keys.maxInflatedFrameBytes,
      },
      ed25519,
    )
  }

  /**
   * Verifies one frame (bytes after its length field) expected at position `expected`: position, this reader's
   * MAC (if it has a stanza), the frame signature (service-access streams), then every readable unit's AEAD tag; then inflates its compressed units if their authenticated sizes
   * fit `budget` together (default: the per-frame limit alone). Throws before returning anything if any check
   * fails.
   */
  async open(
    bytes: Uint8Array,
    expected: number,
    budget: InflateBudget = { frame: this.#maxInflatedFrameBytes, stream: Number.POSITIVE_INFINITY },
  ): Promise<OpenedFrame> {
    const sigs = (this.#frameKey !== null ? 1 : 0) + this.#layerFrameKeys.length
    const frame = parseFrame(bytes, this.#groupCount, this.#macCount, sigs)
    // Batch indexes are bound into the MAC and every AAD; checking the plaintext index first gives a clear error.
    if (frame.index !== expected) {
      throw new FormatError(
        'FRAME_OUT_OF_ORDER',
        `expected ${frame.kind === FRAME_KIND_END ? 'the end after ' : ''}batch ${expected}, found index ${frame.index}`,
      )
    }
    const digest = await this.#backend.sha256(frame.body)
    if (this.#macKey !== null) {
      const mac = frameMac(this.#macKey, this.#headerDigest, digest)
      if (!constantTimeEqual(mac, frame.macs[this.#myIndex]!)) throw new AuthError('AUTH_FAILED')
    }
    // Every reader of a service-access stream checks the signature, so all of them accept the same frames; for a
    // gateway reader it is the only proof that the writer, not another key holder, made the frame.
    if (this.#frameKey !== null) {
      if (!verifyFrameSig(this.#ed, this.#frameKey, this.#rootDigest, digest, frame.signature!))
        throw new AuthError('AUTH_FAILED')
    }
    // A rewrapper that added gateways signed each frame with its layer's frame key (format.md §Rewrapped streams).
    const first = this.#frameKey !== null ? 1 : 0
    for (const [i, k] of this.#layerFrameKeys.entries())
      if (!verifyFrameSig(this.#ed, k.frameKey, k.headerDigest, digest, frame.signatures[first + i]!))
        throw new AuthError('AUTH_FAILED')
    if (frame.kind === FRAME_KIND_END) return { kind: 'end', index: frame.index }
    const rows = frame.rows
    const nonce = unitNonce(frame.index)
    const opened = await Promise.all(
      this.#groups.map(async (g) => {
        const unit = frame.units[g.id]!
        const deflated = (unit.flags & UNIT_FLAG_DEFLATE) !== 0
        if (g.key === null) {
          // A public unit is part of the frame: copied, so no batch refers to the frame's bytes, which the
          // streams reuse for the next frame (and the caller may reuse its chunks). The copy starts on an
          // 8-byte boundary, so decoding it needs no aligned copy of its own. A compressed one is inflated below.
          return { plain: deflated ? unit.payload : copyOf(unit.payload), deflated }
        }
        const aad = unitAad(this.#rootDigest, frame.index, g.id, rows, false, unit.flags)
        return { plain: await this.#backend.open(g.key, nonce, aad, unit.payload), deflated }
      }),
    )
    // Every compressed unit's authenticated size, summed and checked before the first one is inflated: bounded
    // units alone would let a frame of many units (or a stream of many frames) inflate without bound (issue 19).
    let inflated = 0
    for (const u of opened) if (u.deflated) inflated += declaredSize(u.plain)
    checkBudget(inflated, budget, Math.min(this.#maxInflatedFrameBytes, HARD_LIMITS.maxFrameBytes))
    const plains = opened.map((u) => (u.deflated ? inflate(u.plain) : u.plain))
    return { kind: 'batch', index: frame.index, rows, plains, inflated }
  }
}

/** A copy in a buffer of its own (a Node Buffer's `slice` would alias the frame instead). */
function copyOf(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.byteLength)
  out.set(bytes)
  return out
}

/** The inflated size a compressed unit declares: its authenticated u32 prefix. */
function declaredSize(unit: Uint8Array): number {
  return new ByteReader(unit, 'compressed unit').u32('inflated size')
}

/** Refuses a frame whose compressed units would inflate past either limit, naming the one it hits. */
function checkBudget(inflated: number, budget: InflateBudget, frameLimit: number): void {
  if (inflated > Math.min(budget.frame, frameLimit))
    throw new FormatError(
      'LIMIT_EXCEEDED',
      `a frame's compressed units declare ${inflated} bytes, more than this reader's maxInflatedFrameBytes`,
    )
  if (inflated > budget.stream)
    throw new FormatError(
      'LIMIT_EXCEEDED',
      `a frame's compressed units declare ${inflated} bytes, more than is left of this reader's maxInflatedStreamBytes`,
    )
}

/** Inflates a unit whose declared size was checked; the output buffer is exactly that size (no bombs). */
function inflate(unit: Uint8Array): Uint8Array {
  const r = new ByteReader(unit, 'compressed unit')
  const size = r.u32('inflated size')
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
