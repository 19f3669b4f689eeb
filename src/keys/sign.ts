/**
 * Hybrid signatures: Ed25519 and ML-DSA-65 over the same domain-separated message; both must verify.
 *
 * Signed message: `M' = "arrowseal/v1 sig " ‖ label ‖ 0x00 ‖ message`. Signature: `Ed25519(M') (64) ‖
 * ML-DSA-65(M', context = empty) (3309)` = 3373 bytes. The label says what is signed (a header, a checkpoint…),
 * so a signature made for one purpose can never be replayed as another. Labels are printable ASCII without
 * NUL, so the 0x00 separator makes `(label, message) → M'` injective.
 *
 * Ed25519 is verified strictly (RFC 8032 / FIPS 186-5: canonical encodings, no ZIP-215 leniency), which also
 * rejects malleable signatures with `S ≥ L`.
 *
 * @module
 */
import { ed25519 } from '@noble/curves/ed25519.js'
import { concatBytes, utf8ToBytes } from '@noble/hashes/utils.js'
import { assertBytes, assertString, describe } from './assert.js'
import {
  ED25519_SIGNATURE_LENGTH,
  HYBRID_SIGNATURE_LENGTH,
  MLDSA65_SIGNATURE_LENGTH,
  SIGNATURE_PREFIX,
} from './constants.js'
import { type MlDsaKey, postQuantum } from './pq.js'
import { PublicKey, parsePublicKey } from './public-key.js'

/**
 * Randomness source for ML-DSA's hedged signing: returns `n` bytes.
 *
 * @example
 * ```ts
 * const rng: SignRng = (n) => new Uint8Array(n) // deterministic golden files only
 * ```
 */
export type SignRng = (n: number) => Uint8Array

/**
 * An Ed25519 implementation (pure RFC 8032 signing, strict verification), injected so that Node can use
 * node:crypto while the core stays on noble. Both give identical signatures (Ed25519 is deterministic).
 *
 * @example
 * ```ts
 * const sig = nobleEd25519.sign(seed, message)
 * nobleEd25519.verify(sig, message, publicKey) // true
 * ```
 */
export interface Ed25519 {
  /** For diagnostics: `'noble'` or `'node'`. */
  readonly name: string
  /** The 64-byte signature of `message` under the 32-byte secret seed. */
  sign(seed: Uint8Array, message: Uint8Array): Uint8Array
  /** Strict (non-ZIP-215) verification; false on any malformed input. */
  verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean
}

/**
 * noble's Ed25519, strict verification.
 *
 * @example
 * ```ts
 * const sig = nobleEd25519.sign(new Uint8Array(32), new Uint8Array([1]))
 * ```
 */
export const nobleEd25519: Ed25519 = Object.freeze({
  name: 'noble',
  sign: (seed: Uint8Array, message: Uint8Array) => ed25519.sign(message, seed),
  verify: (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array) => {
    try {
      return ed25519.verify(signature, message, publicKey, { zip215: false })
    } catch {
      return false
    }
  },
})

const MAX_LABEL_LENGTH = 64
const ML_DSA_RND_LENGTH = 32
const LABEL_RE = /^[\x21-\x7e][\x20-\x7e]*$/

/**
 * Check a signature label: 1–64 printable US-ASCII characters, not starting with a space.
 *
 * @throws TypeError if not a string; RangeError if not a valid label.
 * @example
 * ```ts
 * assertLabel('header') // ok
 * ```
 * @internal
 */
export function assertLabel(label: unknown): asserts label is string {
  assertString(label, 'label')
  if (label.length > MAX_LABEL_LENGTH || !LABEL_RE.test(label)) {
    throw new RangeError(`"label" must be 1 to ${MAX_LABEL_LENGTH} printable US-ASCII characters`)
  }
}

/**
 * The exact bytes both algorithms sign: `"arrowseal/v1 sig " ‖ label ‖ 0x00 ‖ message`.
 *
 * @example
 * ```ts
 * signedMessage('header', new Uint8Array([1])) // bytes of 'arrowseal/v1 sig header\0\x01'
 * ```
 * @internal
 */
export function signedMessage(label: string, message: Uint8Array): Uint8Array {
  assertLabel(label)
  assertBytes(message, 'message')
  return concatBytes(utf8ToBytes(SIGNATURE_PREFIX), utf8ToBytes(label), new Uint8Array([0]), message)
}

/**
 * Produce a hybrid signature. Called only by {@link Identity.sign}, which owns the secret keys.
 *
 * @param ed25519Secret - 32-byte Ed25519 secret seed.
 * @param mldsa - the ML-DSA-65 signing key, made by the post-quantum provider (src/keys/pq.ts).
 * @param rng - optional source of ML-DSA's 32 random bytes (deterministic tests; always signed by noble, so
 *   golden files are the same bytes on every runtime); default: fresh randomness.
 * @example
 * ```ts
 * const sig = hybridSign(edSecret, postQuantum().mldsaKeygen(xi), 'header', bytes)
 * ```
 * @internal
 */
export function hybridSign(
  ed25519Secret: Uint8Array,
  mldsa: MlDsaKey,
  label: string,
  message: Uint8Array,
  rng?: SignRng,
  edImpl: Ed25519 = nobleEd25519,
): Uint8Array {
  const m = signedMessage(label, message)
  let rnd: Uint8Array | undefined
  if (rng !== undefined) {
    if (typeof rng !== 'function') throw new TypeError(`"rng" must be a function, got ${describe(rng)}`)
    rnd = rng(ML_DSA_RND_LENGTH)
    assertBytes(rnd, 'rng() result', ML_DSA_RND_LENGTH)
  }
  const edSig = edImpl.sign(ed25519Secret, m)
  const pqSig = mldsa.sign(m, rnd)
  return concatBytes(edSig, pqSig)
}

/**
 * Verify a hybrid signature made by {@link Identity.sign}. Returns true only if the length is exact and BOTH
 * the Ed25519 and the ML-DSA-65 halves verify over the same labelled message.
 *
 * @param pub - the signer's public key (object or `aseal1…` text).
 * @param label - what was signed, as passed to `sign`.
 * @throws TypeError / RangeError on wrong argument types; {@link KeyError} if `pub` is text that does not parse.
 * @example
 * ```ts
 * const sig = writer.sign('header', headerBytes)
 * hybridVerify(writer.publicKeyObject, 'header', headerBytes, sig) // true
 * ```
 */
export function hybridVerify(
  pub: PublicKey | string,
  label: string,
  message: Uint8Array,
  signature: Uint8Array,
  edImpl: Ed25519 = nobleEd25519,
): boolean {
  const key = typeof pub === 'string' ? parsePublicKey(pub) : pub
  if (!(key instanceof PublicKey)) throw new TypeError(`"pub" must be a PublicKey or string, got ${describe(pub)}`)
  const m = signedMessage(label, message)
  assertBytes(signature, 'signature')
  // Exact length first: the split below must not be fooled by a short or padded signature.
  if (signature.length !== HYBRID_SIGNATURE_LENGTH) return false
  const edSig = signature.subarray(0, ED25519_SIGNATURE_LENGTH)
  const pqSig = signature.subarray(ED25519_SIGNATURE_LENGTH)
  if (pqSig.length !== MLDSA65_SIGNATURE_LENGTH) return false
  try {
    const edOk = edImpl.verify(edSig, m, key.ed25519)
    // Both halves are computed before combining: no early exit on the cheaper check.
    const pqOk = postQuantum().mldsaVerify(pqSig, m, key.mldsa65)
    return edOk && pqOk
  } catch {
    // Malformed encodings inside a signature of the right length are just invalid signatures.
    return false
  }
}
