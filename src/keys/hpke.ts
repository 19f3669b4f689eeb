/**
 * HPKE (RFC 9180) base mode with the X-Wing KEM, as profiled by draft-ietf-hpke-pq.
 *
 * Suite: KEM X-Wing (`kem_id` 0x647a), KDF HKDF-SHA256 (0x0001), AEAD AES-256-GCM (0x0002). X-Wing is itself
 * an IND-CCA KEM whose shared secret already binds the ciphertext and public key, so the draft feeds it
 * straight into the RFC 9180 key schedule (no `ExtractAndExpand` DHKEM step). The AEAD is pluggable only so
 * the draft's vectors (which use ChaCha20-Poly1305) can check the key schedule; arrowseal uses AES-256-GCM.
 * Stanzas are tiny, so the AEAD is noble's synchronous `gcm`.
 *
 * @module
 */
import { gcm } from '@noble/ciphers/aes.js'
import { expand, extract } from '@noble/hashes/hkdf.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { concatBytes, utf8ToBytes } from '@noble/hashes/utils.js'
import { ArrowSealError, AuthError, FormatError, KeyError } from '../errors.js'
import { assertBytes, describe } from './assert.js'
import { XWING_CIPHERTEXT_LENGTH, XWING_PUBLIC_KEY_LENGTH } from './constants.js'
import { PublicKey, preparedXWing } from './public-key.js'
import { nobleX25519, prepareXWingPublicKey, type X25519, xwingEncapsulate } from './xwing.js'

/**
 * X-Wing's HPKE KEM identifier (draft-connolly-cfrg-xwing-kem, draft-ietf-hpke-pq).
 *
 * @example
 * ```ts
 * console.log(HPKE_KEM_XWING.toString(16)) // '647a'
 * ```
 */
export const HPKE_KEM_XWING = 0x647a
/**
 * HPKE KDF identifier of HKDF-SHA256.
 *
 * @example
 * ```ts
 * console.log(HPKE_KDF_HKDF_SHA256) // 1
 * ```
 */
export const HPKE_KDF_HKDF_SHA256 = 0x0001
const NH = 32 // HKDF-SHA256 output length
const ESEED_LENGTH = 64 // X-Wing encapsulation randomness: 32 for ML-KEM ‖ 32 for X25519
const MODE_BASE = 0x00
const MAX_EXPORT_LENGTH = 255 * NH // RFC 9180 §7.2.1: L ≤ 255 · Nh for HKDF
const MAX_INFO_LENGTH = 1024 // bounded work; RFC 9180 §7.2.1 only requires supporting 64

/**
 * An HPKE AEAD: identifier, key/nonce/tag sizes and one-shot seal/open. Injected, never looked up globally.
 *
 * @example
 * ```ts
 * const aead: HpkeAead = HPKE_AES_256_GCM
 * ```
 */
export interface HpkeAead {
  readonly id: number
  readonly keyLength: number
  readonly nonceLength: number
  readonly tagLength: number
  seal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array
  /** Throws on authentication failure. */
  open(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Uint8Array
}

/**
 * AES-256-GCM (`aead_id` 0x0002), the AEAD arrowseal uses.
 *
 * @example
 * ```ts
 * const s = setupBaseS(pk, info, { aead: HPKE_AES_256_GCM })
 * ```
 */
export const HPKE_AES_256_GCM: HpkeAead = Object.freeze({
  id: 0x0002,
  keyLength: 32,
  nonceLength: 12,
  tagLength: 16,
  seal: (key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, pt: Uint8Array) => gcm(key, nonce, aad).encrypt(pt),
  open: (key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, ct: Uint8Array) => gcm(key, nonce, aad).decrypt(ct),
})

/**
 * Anything that can X-Wing-decapsulate, such as an {@link Identity}; the secret key stays inside it.
 *
 * @example
 * ```ts
 * const d: Decapsulator = identity
 * ```
 */
export interface Decapsulator {
  decapsulate(enc: Uint8Array, x25519?: X25519): Uint8Array
}

/**
 * Options of {@link setupBaseS}.
 *
 * @example
 * ```ts
 * const opts: SetupSenderOptions = { eseed: new Uint8Array(64) } // test vectors only
 * ```
 */
export interface SetupSenderOptions {
  /** 64 bytes of encapsulation randomness, for test vectors only. Default: fresh randomness. */
  eseed?: Uint8Array
  /** AEAD; default {@link HPKE_AES_256_GCM}. */
  aead?: HpkeAead
  /** X25519 implementation inside X-Wing; default noble's (the Node entry injects `node:crypto`'s). */
  x25519?: X25519
}

/**
 * Sender context (RFC 9180 §5.2).
 *
 * @example
 * ```ts
 * const s: SenderContext = setupBaseS(pk, info)
 * const ct = s.seal(aad, pt)
 * ```
 */
export interface SenderContext {
  /** The encapsulation to send to the recipient: the X-Wing ciphertext, 1120 bytes. */
  readonly enc: Uint8Array
  seal(aad: Uint8Array, plaintext: Uint8Array): Uint8Array
  export(exporterContext: Uint8Array, length: number): Uint8Array
}

/**
 * Recipient context (RFC 9180 §5.2).
 *
 * @example
 * ```ts
 * const r: RecipientContext = setupBaseR(identity, enc, info)
 * const pt = r.open(aad, ct)
 * ```
 */
export interface RecipientContext {
  /** Throws `AuthError('AUTH_FAILED')` if the ciphertext does not authenticate. */
  open(aad: Uint8Array, ciphertext: Uint8Array): Uint8Array
  export(exporterContext: Uint8Array, length: number): Uint8Array
}

/**
 * Set up an HPKE base-mode sender context to `recipient` (RFC 9180 §5.1.1 `SetupBaseS`).
 *
 * @param recipient - a {@link PublicKey}, or a raw 1216-byte X-Wing public key.
 * @param info - application info bound into the key schedule (≤ 1024 bytes).
 * @throws TypeError / RangeError on wrong arguments; {@link KeyError} if the raw key is rejected by X-Wing.
 * @example
 * ```ts
 * const s = setupBaseS(alice.publicKeyObject, info)
 * const ct = s.seal(aad, fileKey)
 * // send s.enc and ct
 * ```
 */
export function setupBaseS(
  recipient: PublicKey | Uint8Array,
  info: Uint8Array,
  options: SetupSenderOptions = {},
): SenderContext {
  if (!(recipient instanceof PublicKey)) assertBytes(recipient, 'recipient', XWING_PUBLIC_KEY_LENGTH)
  assertInfo(info)
  const { eseed, aead, x25519 } = readOptions(options)
  let encapsulated: { cipherText: Uint8Array; sharedSecret: Uint8Array }
  try {
    // A PublicKey carries its prepared ML-KEM key, so repeat encapsulations skip the matrix expansion.
    const prepared = recipient instanceof PublicKey ? preparedXWing(recipient) : prepareXWingPublicKey(recipient)
    encapsulated = xwingEncapsulate(prepared, eseed, x25519)
  } catch (err) {
    throw new KeyError('recipient X-Wing public key was rejected', { cause: err })
  }
  const ctx = keySchedule(aead, encapsulated.sharedSecret, info)
  encapsulated.sharedSecret.fill(0)
  const enc = encapsulated.cipherText
  return Object.freeze({
    enc,
    seal: (aad: Uint8Array, plaintext: Uint8Array) => {
      assertBytes(aad, 'aad')
      assertBytes(plaintext, 'plaintext')
      const ct = aead.seal(ctx.key, ctx.nextNonce(), aad, plaintext)
      ctx.increment()
      return ct
    },
    export: ctx.export,
  })
}

/**
 * Set up an HPKE base-mode recipient context from `enc` (RFC 9180 §5.1.1 `SetupBaseR`).
 *
 * The length of `enc` is checked before any cryptography. Every cryptographic failure, in decapsulation or in
 * `open`, raises the same `AuthError('AUTH_FAILED')`.
 *
 * @param recipient - an {@link Identity} (or other {@link Decapsulator}).
 * @param enc - the sender's 1120-byte encapsulation.
 * @throws TypeError on wrong arguments; FormatError (`FORMAT_INVALID`) if `enc` is not 1120 bytes;
 *   AuthError (`AUTH_FAILED`) if decapsulation fails.
 * @example
 * ```ts
 * const r = setupBaseR(alice, enc, info)
 * const fileKey = r.open(aad, ct)
 * ```
 */
export function setupBaseR(
  recipient: Decapsulator,
  enc: Uint8Array,
  info: Uint8Array,
  options: Pick<SetupSenderOptions, 'aead' | 'x25519'> = {},
): RecipientContext {
  if (typeof recipient !== 'object' || recipient === null || typeof recipient.decapsulate !== 'function') {
    throw new TypeError(`"recipient" must be an Identity, got ${describe(recipient)}`)
  }
  assertBytes(enc, 'enc')
  assertInfo(info)
  const { aead, x25519 } = readOptions(options)
  if (enc.length !== XWING_CIPHERTEXT_LENGTH) {
    throw new FormatError('FORMAT_INVALID', `HPKE enc is ${enc.length} bytes, expected ${XWING_CIPHERTEXT_LENGTH}`)
  }
  let sharedSecret: Uint8Array
  try {
    sharedSecret = recipient.decapsulate(enc, x25519)
  } catch (err) {
    // e.g. an X25519 share that is a low-order point: indistinguishable from any other failure.
    throw new AuthError('AUTH_FAILED', undefined, { cause: err })
  }
  const ctx = keySchedule(aead, sharedSecret, info)
  sharedSecret.fill(0)
  return Object.freeze({
    open: (aad: Uint8Array, ciphertext: Uint8Array) => {
      assertBytes(aad, 'aad')
      assertBytes(ciphertext, 'ciphertext')
      if (ciphertext.length < aead.tagLength) throw new AuthError('AUTH_FAILED')
      let pt: Uint8Array
      try {
        pt = aead.open(ctx.key, ctx.nextNonce(), aad, ciphertext)
      } catch {
        throw new AuthError('AUTH_FAILED')
      }
      // RFC 9180 §5.2: the sequence number advances only after a successful open.
      ctx.increment()
      return pt
    },
    export: ctx.export,
  })
}

function assertInfo(info: unknown): asserts info is Uint8Array {
  assertBytes(info, 'info')
  if (info.length > MAX_INFO_LENGTH) throw new RangeError(`"info" must be at most ${MAX_INFO_LENGTH} bytes`)
}

function readOptions(options: SetupSenderOptions): {
  eseed: Uint8Array | undefined
  aead: HpkeAead
  x25519: X25519
} {
  if (typeof options !== 'object' || options === null) throw new TypeError('"options" must be an object')
  const { eseed, aead = HPKE_AES_256_GCM, x25519 = nobleX25519 } = options
  if (eseed !== undefined) assertBytes(eseed, 'eseed', ESEED_LENGTH)
  if (typeof aead !== 'object' || aead === null || typeof aead.seal !== 'function' || typeof aead.open !== 'function') {
    throw new TypeError('"aead" must be an HpkeAead')
  }
  if (
    typeof x25519 !== 'object' ||
    x25519 === null ||
    typeof x25519.scalarMult !== 'function' ||
    typeof x25519.scalarMultBase !== 'function'
  ) {
    throw new TypeError('"x25519" must be an X25519 implementation')
  }
  return { eseed, aead, x25519 }
}

interface Schedule {
  key: Uint8Array
  nextNonce(): Uint8Array
  increment(): void
  export(exporterContext: Uint8Array, length: number): Uint8Array
}

/**
 * `suite_id = "HPKE" ‖ I2OSP(kem_id, 2) ‖ I2OSP(kdf_id, 2) ‖ I2OSP(aead_id, 2)` (RFC 9180 §5.1).
 *
 * @example
 * ```ts
 * hpkeSuiteId(HPKE_AES_256_GCM.id) // 'HPKE' 64 7a 00 01 00 02
 * ```
 * @internal
 */
export function hpkeSuiteId(aeadId: number): Uint8Array {
  return concatBytes(utf8ToBytes('HPKE'), u16(HPKE_KEM_XWING), u16(HPKE_KDF_HKDF_SHA256), u16(aeadId))
}

function u16(n: number): Uint8Array {
  return new Uint8Array([(n >>> 8) & 0xff, n & 0xff])
}

// RFC 9180 §5.1 KeySchedule, mode_base (psk and psk_id empty), plus the §5.2 nonce and §5.3 exporter.
function keySchedule(aead: HpkeAead, sharedSecret: Uint8Array, info: Uint8Array): Schedule {
  const suiteId = hpkeSuiteId(aead.id)
  const labeledExtract = (salt: Uint8Array, label: string, ikm: Uint8Array) =>
    extract(sha256, concatBytes(utf8ToBytes('HPKE-v1'), suiteId, utf8ToBytes(label), ikm), salt)
  const labeledExpand = (prk: Uint8Array, label: string, ctx: Uint8Array, length: number) =>
    expand(sha256, prk, concatBytes(u16(length), utf8ToBytes('HPKE-v1'), suiteId, utf8ToBytes(label), ctx), length)
  const empty = new Uint8Array(0)
  const pskIdHash = labeledExtract(empty, 'psk_id_hash', empty)
  const infoHash = labeledExtract(empty, 'info_hash', info)
  const context = concatBytes(new Uint8Array([MODE_BASE]), pskIdHash, infoHash)
  const secret = labeledExtract(sharedSecret, 'secret', empty)
  const key = labeledExpand(secret, 'key', context, aead.keyLength)
  const baseNonce = labeledExpand(secret, 'base_nonce', context, aead.nonceLength)
  const exporterSecret = labeledExpand(secret, 'exp', context, NH)
  secret.fill(0)
  let seq = 0
  return {
    key,
    // RFC 9180 §5.2 ComputeNonce: base_nonce XOR I2OSP(seq, Nn). seq < 2^53, so it fits in the last 7 bytes.
    nextNonce: () => hpkeNonce(baseNonce, seq),
    increment: () => {
      // RFC 9180 §5.2 IncrementSeq: refuse rather than wrap, so a (key, nonce) pair is never reused.
      if (seq >= Number.MAX_SAFE_INTEGER) throw new ArrowSealError('AEAD_LIMIT', 'HPKE context message limit reached')
      seq++
    },
    export: (exporterContext: Uint8Array, length: number) => {
      assertBytes(exporterContext, 'exporterContext')
      if (typeof length !== 'number') throw new TypeError(`"length" must be a number, got ${describe(length)}`)
      if (!Number.isSafeInteger(length) || length < 1 || length > MAX_EXPORT_LENGTH) {
        throw new RangeError(`"length" must be an integer from 1 to ${MAX_EXPORT_LENGTH}`)
      }
      return labeledExpand(exporterSecret, 'sec', exporterContext, length)
    },
  }
}

/**
 * RFC 9180 §5.2 ComputeNonce: `base_nonce XOR I2OSP(seq, Nn)`. `seq` is below 2^53, as the context enforces.
 *
 * @example
 * ```ts
 * hpkeNonce(new Uint8Array(12), 258) // …00 01 02
 * ```
 * @internal
 */
export function hpkeNonce(baseNonce: Uint8Array, seq: number): Uint8Array {
  assertBytes(baseNonce, 'baseNonce')
  if (typeof seq !== 'number') throw new TypeError(`"seq" must be a number, got ${describe(seq)}`)
  if (!Number.isSafeInteger(seq) || seq < 0) throw new RangeError('"seq" must be a non-negative safe integer')
  const nonce = baseNonce.slice()
  let s = seq
  for (let i = nonce.length - 1; i >= 0 && s > 0; i--) {
    nonce[i] = (nonce[i] as number) ^ (s % 256)
    s = Math.floor(s / 256)
  }
  return nonce
}
