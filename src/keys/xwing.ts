/**
 * X-Wing (draft-connolly-cfrg-xwing-kem): ML-KEM-768 + X25519 with the draft's SHA3-256 combiner, written so the
 * X25519 half is an injected implementation (pure-JS noble by default, `node:crypto` from the Node entry) and so
 * the expensive, key-dependent work is done once per key instead of once per call:
 *
 * - a recipient's public key is *prepared* once (ML-KEM's expanded matrix Â, H(ek)), cached per key;
 * - an identity's 32-byte seed is expanded once into the ML-KEM decapsulation key and the X25519 scalar.
 *
 * Byte-identical to `ml_kem768_x25519` from `@noble/post-quantum` (the draft's vectors check both X25519
 * implementations). Like noble, an X25519 share whose result is all-zero (a low-order point) is refused.
 *
 * @module
 */
import { x25519 as nobleCurve } from '@noble/curves/ed25519.js'
import { sha3_256, shake256 } from '@noble/hashes/sha3.js'
import { type KEMPrepared, ml_kem768 } from '@noble/post-quantum/ml-kem.js'
import { assertBytes } from './assert.js'
import { XWING_CIPHERTEXT_LENGTH, XWING_PUBLIC_KEY_LENGTH } from './constants.js'
import { type MlKemKey, postQuantum } from './pq.js'

/** The draft's label `\.//^\`, appended to the combiner's input. */
const XWING_LABEL = Uint8Array.of(0x5c, 0x2e, 0x2f, 0x2f, 0x5e, 0x5c)
const MLKEM_PK = 1184
const MLKEM_CT = 1088
const X25519_BYTES = 32
const SEED_BYTES = 32
const ESEED_BYTES = 64
const SMALL_ORDER = 'X25519: the peer share is a small-order point'

/**
 * The X25519 function of RFC 7748, as X-Wing needs it. Implementations must mask bit 255 of `u` and reduce
 * non-canonical coordinates as RFC 7748 §5 says, and must throw when the result is all-zero.
 *
 * @example
 * ```ts
 * const pub = nobleX25519.scalarMultBase(secret)
 * const shared = nobleX25519.scalarMult(secret, peerPublic)
 * ```
 */
export interface X25519 {
  /** Which implementation this is, for diagnostics and benchmarks. */
  readonly name: string
  /** `X25519(scalar, 9)`: the public key of a 32-byte secret scalar. */
  scalarMultBase(scalar: Uint8Array): Uint8Array
  /** `X25519(scalar, u)`; throws if the result is all-zero (u of small order). */
  scalarMult(scalar: Uint8Array, u: Uint8Array): Uint8Array
  /**
   * Optional: `X25519(e, 9)` and `X25519(e, u)` for a fresh random secret `e` that never leaves the implementation;
   * throws like `scalarMult`. X-Wing's fresh encapsulations use it where present: `node:crypto` generates `e` as a
   * key object in one call, where importing a drawn scalar twice cost a third more.
   */
  ephemeral?(u: Uint8Array): { share: Uint8Array; shared: Uint8Array }
}

/**
 * Pure-JS X25519 from `@noble/curves`, available everywhere.
 *
 * @example
 * ```ts
 * import { nobleX25519 } from './xwing.js'
 * const kp = xwingKeygen(seed, nobleX25519)
 * ```
 */
export const nobleX25519: X25519 = Object.freeze({
  name: 'noble',
  scalarMultBase: (scalar: Uint8Array) => nobleCurve.getPublicKey(scalar),
  scalarMult(scalar: Uint8Array, u: Uint8Array): Uint8Array {
    assertBytes(scalar, 'scalar', X25519_BYTES)
    assertBytes(u, 'u', X25519_BYTES)
    let shared: Uint8Array
    try {
      shared = nobleCurve.getSharedSecret(scalar, u)
    } catch (cause) {
      // noble refuses an all-zero result itself; same error as the node implementation.
      throw new Error(SMALL_ORDER, { cause })
    }
    return nonZero(shared)
  },
})

/**
 * Throws if an X25519 output is all-zero (RFC 7748 §6.1), in time independent of the value.
 *
 * @example
 * ```ts
 * const ss = nonZero(rawSharedSecret)
 * ```
 */
export function nonZero(shared: Uint8Array): Uint8Array {
  let acc = 0
  for (const b of shared) acc |= b
  if (acc === 0) throw new Error(SMALL_ORDER)
  return shared
}

/**
 * A recipient's X-Wing public key with its key-dependent work done: ML-KEM's Â expanded and the ek validated.
 * Only public data; safe to cache and share.
 *
 * @example
 * ```ts
 * const prepared: PreparedXWingPublicKey = prepareXWingPublicKey(pk)
 * ```
 */
export interface PreparedXWingPublicKey {
  /** The 1216-byte public key (read-only). */
  readonly bytes: Uint8Array
  /** @internal */
  readonly mlkem: KEMPrepared
  /** @internal */
  readonly x25519: Uint8Array
}

/**
 * An expanded X-Wing decapsulation key: what the 32-byte seed expands to, its ML-KEM half made by the
 * post-quantum provider in use when it was generated (src/keys/pq.ts). Secret; kept inside an Identity.
 *
 * @example
 * ```ts
 * const { secretKey }: { secretKey: XWingSecretKey } = xwingKeygen(seed)
 * ```
 * @internal
 */
export interface XWingSecretKey {
  readonly publicKey: Uint8Array
  readonly x25519Secret: Uint8Array
  readonly mlkem: MlKemKey
}

/**
 * Prepares a 1216-byte X-Wing public key for repeated encapsulation.
 *
 * @throws TypeError / RangeError for a wrong type or length. A key failing FIPS 203's modulus check throws at its
 *   first encapsulation (noble's expansion and the native import both check it), not here.
 * @example
 * ```ts
 * const prepared = prepareXWingPublicKey(alice.publicKeyObject.xwing)
 * const { cipherText, sharedSecret } = xwingEncapsulate(prepared)
 * ```
 */
export function prepareXWingPublicKey(publicKey: Uint8Array): PreparedXWingPublicKey {
  assertBytes(publicKey, 'publicKey', XWING_PUBLIC_KEY_LENGTH)
  const bytes = publicKey.slice()
  // Expanded on first use only: a provider with its own fresh encapsulation (native ML-KEM on Node 24) never reads
  // it, and expanding Â cost ~170 µs per call, the largest part of sealing to a one-time key (the gateway's
  // responses go to a fresh ephemeral key each). That provider checks FIPS 203 §7.2 itself when it imports the key.
  let mlkem: KEMPrepared | undefined
  return Object.freeze({
    bytes,
    get mlkem(): KEMPrepared {
      mlkem ??= ml_kem768.prepare(bytes.subarray(0, MLKEM_PK))
      return mlkem
    },
    x25519: bytes.subarray(MLKEM_PK),
  })
}

/**
 * X-Wing key generation from a 32-byte seed (draft §5.2): `SHAKE256(seed, 96)` gives the ML-KEM-768 seed
 * (`d ‖ z`, 64 bytes) and the X25519 scalar (32 bytes). Returns the public key and the expanded secret key.
 *
 * @example
 * ```ts
 * const { publicKey, secretKey } = xwingKeygen(seed)
 * publicKey.length // 1216
 * ```
 */
export function xwingKeygen(
  seed: Uint8Array,
  x: X25519 = nobleX25519,
): { publicKey: Uint8Array; secretKey: XWingSecretKey } {
  assertBytes(seed, 'seed', SEED_BYTES)
  const expanded = shake256(seed, { dkLen: 96 })
  const kem = postQuantum().mlkemKeygen(expanded.subarray(0, 64))
  const x25519Secret = expanded.slice(64, 96)
  expanded.fill(0)
  const x25519Public = x.scalarMultBase(x25519Secret)
  const publicKey = new Uint8Array(XWING_PUBLIC_KEY_LENGTH)
  publicKey.set(kem.publicKey, 0)
  publicKey.set(x25519Public, MLKEM_PK)
  const secretKey: XWingSecretKey = Object.freeze({ publicKey, x25519Secret, mlkem: kem })
  return { publicKey, secretKey }
}

/**
 * `SHA3-256(ss_M ‖ ss_X ‖ ct_X ‖ pk_X ‖ label)` (draft §5.3). Exported for the Node-native X-Wing
 * (src/node/pq.ts), so both backends share the one combiner.
 *
 * @internal
 */
export function combine(ssM: Uint8Array, ssX: Uint8Array, ctX: Uint8Array, pkX: Uint8Array): Uint8Array {
  const input = new Uint8Array(32 + 32 + 32 + 32 + XWING_LABEL.length)
  input.set(ssM, 0)
  input.set(ssX, 32)
  input.set(ctX, 64)
  input.set(pkX, 96)
  input.set(XWING_LABEL, 128)
  const ss = sha3_256(input)
  input.fill(0)
  return ss
}

/**
 * X-Wing encapsulation (draft §5.4) to a prepared public key.
 *
 * @param eseed - 64 bytes of randomness (ML-KEM message ‖ X25519 ephemeral scalar); fresh when omitted.
 *   Pass one only to reproduce test vectors. Without one, the ML-KEM half uses the post-quantum provider's
 *   fresh encapsulation where it has one (native on Node 24); with one, noble's, which can take the message.
 * @throws Error if the recipient's X25519 share is of small order.
 * @example
 * ```ts
 * const { cipherText, sharedSecret } = xwingEncapsulate(prepareXWingPublicKey(pk))
 * ```
 */
export function xwingEncapsulate(
  publicKey: PreparedXWingPublicKey,
  eseed?: Uint8Array,
  x: X25519 = nobleX25519,
): { cipherText: Uint8Array; sharedSecret: Uint8Array } {
  const seed = eseed === undefined ? crypto.getRandomValues(new Uint8Array(ESEED_BYTES)) : eseed
  assertBytes(seed, 'eseed', ESEED_BYTES)
  const ek = seed.slice(32, 64)
  try {
    const { share: ctX, shared: ssX } =
      eseed === undefined && x.ephemeral !== undefined
        ? x.ephemeral(publicKey.x25519)
        : { share: x.scalarMultBase(ek), shared: x.scalarMult(ek, publicKey.x25519) }
    const { cipherText: ctM, sharedSecret: ssM } = encapsulateMlKem(publicKey, seed, eseed === undefined)
    const sharedSecret = combine(ssM, ssX, ctX, publicKey.x25519)
    ssM.fill(0)
    ssX.fill(0)
    const cipherText = new Uint8Array(XWING_CIPHERTEXT_LENGTH)
    cipherText.set(ctM, 0)
    cipherText.set(ctX, MLKEM_CT)
    return { cipherText, sharedSecret }
  } finally {
    ek.fill(0)
    if (eseed === undefined) seed.fill(0)
  }
}

/** The ML-KEM-768 half of an encapsulation: the provider's own randomness if `fresh`, else `seed`'s message. */
function encapsulateMlKem(
  publicKey: PreparedXWingPublicKey,
  seed: Uint8Array,
  fresh: boolean,
): { cipherText: Uint8Array; sharedSecret: Uint8Array } {
  const native = postQuantum().mlkemEncapsulate
  if (fresh && native !== undefined) return native(publicKey.bytes.subarray(0, MLKEM_PK))
  // The prepared API leaves a caller-supplied message untouched; ours is a copy we wipe.
  const m = seed.slice(0, 32)
  try {
    return publicKey.mlkem.encapsulate(m)
  } finally {
    m.fill(0)
  }
}

/**
 * X-Wing decapsulation (draft §5.5) with an expanded secret key. ML-KEM's implicit rejection means a wrong
 * ciphertext gives an unrelated secret, not an error; only a small-order X25519 share throws.
 *
 * @example
 * ```ts
 * const ss = xwingDecapsulate(cipherText, secretKey)
 * ```
 */
export function xwingDecapsulate(
  cipherText: Uint8Array,
  secretKey: XWingSecretKey,
  x: X25519 = nobleX25519,
): Uint8Array {
  assertBytes(cipherText, 'cipherText', XWING_CIPHERTEXT_LENGTH)
  const ctM = cipherText.subarray(0, MLKEM_CT)
  const ctX = cipherText.subarray(MLKEM_CT)
  const ssX = x.scalarMult(secretKey.x25519Secret, ctX)
  const ssM = secretKey.mlkem.decapsulate(ctM)
  const ss = combine(ssM, ssX, ctX, secretKey.publicKey.subarray(MLKEM_PK))
  ssM.fill(0)
  ssX.fill(0)
  return ss
}
