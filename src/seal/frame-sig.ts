/**
 * Frame signatures of service-access streams (format.md §Service recipients). A reader that got its group keys
 * from a gateway has no MAC key of its own, and every gateway reader of a group holds that group's key, so only
 * a signature by a key none of them holds stops one of them from forging frames for the others: the stream's
 * frame key, fresh per stream, bound by the header signature, its secret only in the writer's memory.
 * @module
 */
import { ed25519 } from '@noble/curves/ed25519.js'
import { ByteWriter } from '../format/bytes.js'
import { FRAME_KEY_BYTES, FRAME_SIG_BYTES, LABEL } from '../format/constants.js'
import { type Ed25519, nobleEd25519, signedMessage } from '../keys/sign.js'

const INSPECT = Symbol.for('nodejs.util.inspect.custom')

/**
 * The signed message: `"arrowseal/v1 sig " ‖ "frame" ‖ 0x00 ‖ header_digest ‖ SHA-256(body)`.
 *
 * @example
 * ```ts
 * const m = frameSigMessage(headerDigest, bodyDigest)
 * ```
 */
export function frameSigMessage(headerDigest: Uint8Array, bodyDigest: Uint8Array): Uint8Array {
  return signedMessage(LABEL.frameSignature, new ByteWriter(64).put(headerDigest).put(bodyDigest).done())
}

/**
 * Holds a stream's frame secret for the stream's life and signs its frames. Never exported, logged or shown.
 *
 * @example
 * ```ts
 * const signer = new FrameSigner(seed, nobleEd25519)
 * slot.set(signer.sign(headerDigest, bodyDigest))
 * signer.wipe()
 * ```
 * @internal
 */
export class FrameSigner {
  readonly #seed: Uint8Array
  readonly #ed: Ed25519

  /** Takes a copy of `seed`; the caller wipes its own. */
  constructor(seed: Uint8Array, ed: Ed25519 = nobleEd25519) {
    if (seed.length !== FRAME_KEY_BYTES) throw new RangeError('a frame key seed is 32 bytes')
    this.#seed = seed.slice()
    this.#ed = ed
  }

  /** A copy of the seed, for a worker thread that signs frames of the same stream. */
  exportSeed(): Uint8Array {
    return this.#seed.slice()
  }

  sign(headerDigest: Uint8Array, bodyDigest: Uint8Array): Uint8Array {
    return this.#ed.sign(this.#seed, frameSigMessage(headerDigest, bodyDigest))
  }

  /** The stream ended: the secret is of no further use. */
  wipe(): void {
    this.#seed.fill(0)
  }

  /** Never shows the seed (nor do `toString` and Node's inspect). */
  toJSON(): string {
    return 'FrameSigner([redacted])'
  }

  toString(): string {
    return 'FrameSigner([redacted])'
  }

  [INSPECT](): string {
    return 'FrameSigner([redacted])'
  }
}

/**
 * The public frame key of a seed (32 bytes).
 *
 * @example
 * ```ts
 * const frameKey = frameKeyOf(seed)
 * ```
 */
export function frameKeyOf(seed: Uint8Array): Uint8Array {
  return ed25519.getPublicKey(seed)
}

/**
 * Verifies one frame signature (strict Ed25519); false on any mismatch or malformed input.
 *
 * @example
 * ```ts
 * if (!verifyFrameSig(ed, frameKey, headerDigest, bodyDigest, frame.signature!)) throw new AuthError('AUTH_FAILED')
 * ```
 */
export function verifyFrameSig(
  ed: Ed25519,
  frameKey: Uint8Array,
  headerDigest: Uint8Array,
  bodyDigest: Uint8Array,
  signature: Uint8Array,
): boolean {
  if (signature.length !== FRAME_SIG_BYTES) return false
  return ed.verify(signature, frameSigMessage(headerDigest, bodyDigest), frameKey)
}
