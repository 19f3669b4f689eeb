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
 * const opened: OpenedFrame = await opener.frames.open(frame, opener.nextIndex)
 * ```
 */
export type OpenedFrame =
  | { readonly kind: 'batch'; readonly index: number; readonly rows: number; readonly plains: Uint8Array[] }
  | { readonly kind: 'end'; readonly index: number }

/**
 * Raw keys of the crypto phase, to hand to a worker. Secret: never logged, wiped by whoever holds them.
 *
 * @example
 * ```ts
 * await Opener.create(header, options, runtime, (keys: FrameOpenerKeys) => start(keys))
 * ```
 */
export interface FrameOpenerKeys {
  readonly headerDigest: Uint8Array
  /** This reader's MAC key; null for a reader that got its keys from a gateway (it has no stanza). */
  readonly macKey: Uint8Array | null
  /** This reader's position among the stanzas (and so among each frame's MACs); -1 without a stanza. */
  readonly myIndex: number
  /**
   * Service-access streams (header flag bit 2): the frame key every frame's signature must verify under, for
   * direct and gateway readers alike; null otherwise.
   */
  readonly frameKey: Uint8Array | null
  readonly groupCount: number
  readonly macCount: number
  /** Largest inflated unit this reader accepts: its `maxFrameBytes` (a compressed unit must not outgrow it). */
  readonly maxInflatedBytes: number
  /** The groups this reader reads, in group order: a sealed group's AES key, or null for a public group. */
  readonly groups: readonly { readonly id: number; readonly encKey: Uint8Array | null }[]
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
  readonly #macKey: Uint8Array | null
  readonly #frameKey: Uint8Array | null
  readonly #ed: Ed25519
  readonly #myIndex: number
  readonly #groupCount: number
  readonly #macCount: number
  readonly #maxInflatedBytes: number

  /** @param ed25519 - verifies frame signatures of service-access streams. */
  constructor(
    backend: CryptoBackend,
    groups: readonly OpenableGroup[],
    init: Omit<FrameOpenerKeys, 'groups'>,
    ed25519: Ed25519 = nobleEd25519,
  ) {
    // A reader must authenticate frames somehow: by its own MAC, by the frame signature, or (normally) both.
    if (init.macKey === null && init.frameKey === null)
      throw new TypeError('a frame opener needs a MAC key or a frame key')
    this.#backend = backend
    this.#groups = groups
    this.#headerDigest = init.headerDigest
    this.#macKey = init.macKey
    this.#frameKey = init.frameKey
    this.#ed = ed25519
    this.#myIndex = init.myIndex
    this.#groupCount = init.groupCount
    this.#macCount = init.macCount
    this.#maxInflatedBytes = init.maxInflatedBytes
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
        macKey: keys.macKey ? keys.macKey.slice() : null,
        frameKey: keys.frameKey ? keys.frameKey.slice() : null,
        myIndex: keys.myIndex,
        groupCount: keys.groupCount,
        macCount: keys.macCount,
        maxInflatedBytes: keys.maxInflatedBytes,
      },
      ed25519,
    )
  }

  /**
   * Verifies one frame (bytes after its length field) expected at position `expected`: position, this reader's
   * MAC (if it has a stanza), the frame signature (service-access streams), then every readable unit's AEAD tag.
   * Throws before returning anything if any check fails.
   */
  async open(bytes: Uint8Array, expected: number): Promise<OpenedFrame> {
    const frame = parseFrame(bytes, this.#groupCount, this.#macCount, this.#frameKey !== null)
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
      if (!verifyFrameSig(this.#ed, this.#frameKey, this.#headerDigest, digest, frame.signature!))
        throw new AuthError('AUTH_FAILED')
    }
    if (frame.kind === FRAME_KIND_END) return { kind: 'end', index: frame.index }
    const rows = frame.rows
    const nonce = unitNonce(frame.index)
    const plains = await Promise.all(
      this.#groups.map(async (g) => {
        const unit = frame.units[g.id]!
        let plain = unit.payload
        if (g.key !== null) {
          const aad = unitAad(this.#headerDigest, frame.index, g.id, rows, false, unit.flags)
          plain = await this.#backend.open(g.key, nonce, aad, unit.payload)
        }
        return (unit.flags & UNIT_FLAG_DEFLATE) !== 0 ? inflate(plain, this.#maxInflatedBytes) : plain
      }),
    )
    return { kind: 'batch', index: frame.index, rows, plains }
  }
}

/** Inflates a unit whose authenticated length prefix bounds the output (no decompression bombs). */
function inflate(unit: Uint8Array, limit: number): Uint8Array {
  const r = new ByteReader(unit, 'compressed unit')
  const size = r.u32('inflated size')
  // The reader's frame limit bounds memory; an inflated unit may not exceed it either.
  if (size > Math.min(limit, HARD_LIMITS.maxFrameBytes))
    throw new FormatError(
      'LIMIT_EXCEEDED',
      `a compressed unit declares ${size} bytes, more than this reader's frame limit`,
    )
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
