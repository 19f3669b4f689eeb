/**
 * Public keys: parsing, validation, fingerprints.
 *
 * A public key is the Bech32 text `aseal1…` of the payload
 * `0x01 ‖ X-Wing pk (1216) ‖ Ed25519 pk (32) ‖ ML-DSA-65 pk (1952)` (3201 bytes). Its fingerprint is
 * `SHA-256("arrowseal/v1 key id" ‖ 0x00 ‖ payload)` and its `keyId` is the hex of the fingerprint's first
 * 8 bytes. Every component is checked when the key is parsed, so later code never meets a malformed key.
 *
 * @module
 */
import { ed25519 } from '@noble/curves/ed25519.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js'
import { KeyError } from '../errors.js'
import { assertBytes, assertString } from './assert.js'
import { bech32Decode, bech32Encode } from './bech32.js'
import {
  ED25519_PUBLIC_KEY_LENGTH,
  FINGERPRINT_LABEL,
  KEY_ID_BYTES,
  KEY_VERSION,
  MLDSA65_PUBLIC_KEY_LENGTH,
  PUBLIC_KEY_HRP,
  PUBLIC_KEY_LENGTH,
  XWING_PUBLIC_KEY_LENGTH,
} from './constants.js'
import { type PreparedXWingPublicKey, prepareXWingPublicKey } from './xwing.js'

// Only this module may construct a PublicKey, so every instance has been validated.
const INTERNAL: unique symbol = Symbol('arrowseal.PublicKey')
const INSPECT = Symbol.for('nodejs.util.inspect.custom')

/** ML-KEM-768: k = 3 polynomials of 256 coefficients, 12 bits each, then the 32-byte seed rho. */
const MLKEM_Q = 3329
const MLKEM_T_BYTES = 3 * 384
const MLKEM_EK_BYTES = MLKEM_T_BYTES + 32
// X25519 u-coordinates (little-endian, bit 255 ignored as RFC 7748 §5 says) of every point of small order on
// the curve or its twist, including the non-canonical encodings of 0 and 1: exactly the inputs whose shared
// secret is all-zero for every clamped scalar (the same blocklist as libsodium's `has_small_order`). A table
// compare costs nothing; a probing scalar multiplication would cost ~3 ms per parse. Tests check this table
// against such a probe on every Wycheproof X25519 public value.
const X25519_LOW_ORDER = [
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000000',
  'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
  '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
].map(hexToBytes)

let readPreparedXWing: (key: PublicKey) => PreparedXWingPublicKey

/**
 * A parsed, validated arrowseal public key. Immutable: byte getters return fresh copies, so a caller cannot
 * change a key that the parse cache shares with other callers.
 *
 * @example
 * ```ts
 * import { parsePublicKey } from 'arrowseal'
 * const pk = parsePublicKey(alice.publicKey)
 * console.log(pk.keyId) // e.g. '3f9c0a17b2d4e611'
 * ```
 */
export class PublicKey {
  /** Canonical (lowercase) text form, `aseal1…`. */
  readonly text: string
  /** Lowercase hex of the fingerprint's first 8 bytes: a short display id. */
  readonly keyId: string
  readonly #bytes: Uint8Array
  readonly #fingerprint: Uint8Array
  // ML-KEM's expanded matrix for this key, built on first encapsulation and reused (public data only).
  #preparedXWing: PreparedXWingPublicKey | undefined

  static {
    readPreparedXWing = (key) => {
      key.#preparedXWing ??= prepareXWingPublicKey(key.#bytes.subarray(1, 1 + XWING_PUBLIC_KEY_LENGTH))
      return key.#preparedXWing
    }
  }

  /** @internal Use {@link parsePublicKey} or {@link publicKeyFromBytes}. */
  constructor(token: typeof INTERNAL, bytes: Uint8Array, text: string, fingerprint: Uint8Array) {
    if (token !== INTERNAL) throw new TypeError('use parsePublicKey() or publicKeyFromBytes() to create a PublicKey')
    this.#bytes = bytes
    this.text = text
    this.#fingerprint = fingerprint
    this.keyId = bytesToHex(fingerprint.subarray(0, KEY_ID_BYTES))
    Object.freeze(this)
  }

  /** The 3201-byte payload (copy). */
  get bytes(): Uint8Array {
    return this.#bytes.slice()
  }
  /** SHA-256 fingerprint, 32 bytes (copy). */
  get fingerprint(): Uint8Array {
    return this.#fingerprint.slice()
  }
  /** X-Wing (ML-KEM-768 + X25519) encapsulation key, 1216 bytes (copy). */
  get xwing(): Uint8Array {
    return this.#bytes.slice(1, 1 + XWING_PUBLIC_KEY_LENGTH)
  }
  /** Ed25519 verification key, 32 bytes (copy). */
  get ed25519(): Uint8Array {
    const start = 1 + XWING_PUBLIC_KEY_LENGTH
    return this.#bytes.slice(start, start + ED25519_PUBLIC_KEY_LENGTH)
  }
  /** ML-DSA-65 verification key, 1952 bytes (copy). */
  get mldsa65(): Uint8Array {
    return this.#bytes.slice(1 + XWING_PUBLIC_KEY_LENGTH + ED25519_PUBLIC_KEY_LENGTH)
  }

  /**
   * True if `other` is the same key (same payload bytes).
   *
   * @example
   * ```ts
   * parsePublicKey(a.publicKey).equals(a.publicKeyObject) // true
   * ```
   */
  equals(other: PublicKey): boolean {
    if (!(other instanceof PublicKey)) throw new TypeError('"other" must be a PublicKey')
    return other.text === this.text
  }

  /** The text form; public keys are safe to print. */
  toString(): string {
    return this.text
  }
  /** The text form, so a key serialises as its `aseal1…` string. */
  toJSON(): string {
    return this.text
  }
  [INSPECT](): string {
    return `PublicKey(keyId=${this.keyId})`
  }
}

/**
 * The key's X-Wing public key prepared for encapsulation (ML-KEM matrix expanded once per key, then cached on
 * the key, which the parse cache shares).
 *
 * @example
 * ```ts
 * const { cipherText } = xwingEncapsulate(preparedXWing(pk))
 * ```
 * @internal
 */
export function preparedXWing(key: PublicKey): PreparedXWingPublicKey {
  return readPreparedXWing(key)
}

/**
 * SHA-256 fingerprint of a public-key payload: `SHA-256("arrowseal/v1 key id" ‖ 0x00 ‖ payload)`.
 *
 * @example
 * ```ts
 * const fp = publicKeyFingerprint(pk.bytes) // 32 bytes, equal to pk.fingerprint
 * ```
 * @internal
 */
export function publicKeyFingerprint(payload: Uint8Array): Uint8Array {
  return sha256(concatBytes(utf8ToBytes(FINGERPRINT_LABEL), new Uint8Array([0]), payload))
}

/**
 * Build a {@link PublicKey} from its 3201-byte payload, checking the version byte, the length and every
 * component (the ML-KEM modulus check of FIPS 203 §7.2; a canonical, non-small-order Ed25519 point).
 *
 * @throws TypeError if `bytes` is not a Uint8Array; {@link KeyError} if the payload is not a valid key.
 * @example
 * ```ts
 * const same = publicKeyFromBytes(pk.bytes)
 * ```
 */
export function publicKeyFromBytes(bytes: Uint8Array): PublicKey {
  assertBytes(bytes, 'bytes')
  return fromPayload(bytes.slice(), undefined)
}

function fromPayload(payload: Uint8Array, text: string | undefined): PublicKey {
  if (payload.length < 1) throw new KeyError('public key: payload is empty')
  if (payload[0] !== KEY_VERSION) {
    throw new KeyError(`public key: unsupported version ${payload[0]} (this library reads version ${KEY_VERSION})`)
  }
  if (payload.length !== PUBLIC_KEY_LENGTH) {
    throw new KeyError(`public key: payload is ${payload.length} bytes, expected ${PUBLIC_KEY_LENGTH}`)
  }
  checkMlKemModulus(payload.subarray(1, 1 + MLKEM_T_BYTES))
  checkX25519(payload.subarray(1 + MLKEM_EK_BYTES, 1 + XWING_PUBLIC_KEY_LENGTH))
  checkEd25519(payload.subarray(1 + XWING_PUBLIC_KEY_LENGTH, 1 + XWING_PUBLIC_KEY_LENGTH + ED25519_PUBLIC_KEY_LENGTH))
  // ML-DSA-65 keys have no invalid encodings of the right length (t1 packs 10-bit values): only the length.
  const mldsaLength = payload.length - 1 - XWING_PUBLIC_KEY_LENGTH - ED25519_PUBLIC_KEY_LENGTH
  if (mldsaLength !== MLDSA65_PUBLIC_KEY_LENGTH) throw new KeyError('public key: ML-DSA-65 key has the wrong length')
  const canonical = text ?? bech32Encode(PUBLIC_KEY_HRP, payload)
  return new PublicKey(INTERNAL, payload, canonical, publicKeyFingerprint(payload))
}

// FIPS 203 §7.2 input check: every 12-bit coefficient of the encoded t-hat must be < q. Done here so that a
// bad key fails at parse time with KeyError instead of deep inside an encapsulation.
function checkMlKemModulus(t: Uint8Array): void {
  for (let i = 0; i + 2 < t.length; i += 3) {
    const b0 = t[i] as number
    const b1 = t[i + 1] as number
    const b2 = t[i + 2] as number
    if ((b0 | ((b1 & 0x0f) << 8)) >= MLKEM_Q || ((b1 >>> 4) | (b2 << 4)) >= MLKEM_Q) {
      throw new KeyError('public key: X-Wing (ML-KEM-768) key fails the modulus check')
    }
  }
}

// A low-order X25519 share would make the X25519 half of X-Wing contribute nothing; noble's encapsulation
// refuses it (the all-zero check of RFC 7748 §6.1), so reject it here, at parse time, with a clear KeyError.
function checkX25519(u: Uint8Array): void {
  if (isLowOrderX25519(u)) throw new KeyError('public key: X-Wing (X25519) key is a low-order point')
}

/**
 * True if the 32-byte X25519 u-coordinate `u` is a point of small order (all-zero shared secret).
 *
 * @example
 * ```ts
 * isLowOrderX25519(new Uint8Array(32)) // true
 * ```
 * @internal
 */
export function isLowOrderX25519(u: Uint8Array): boolean {
  return X25519_LOW_ORDER.some((bad) => {
    let diff = (bad[31] as number) ^ ((u[31] as number) & 0x7f)
    for (let i = 0; i < 31; i++) diff |= (bad[i] as number) ^ (u[i] as number)
    return diff === 0
  })
}

// RFC 8032 strict decoding (no ZIP-215 leniency) and no small-order points, which would make signatures
// verify for many messages.
function checkEd25519(pk: Uint8Array): void {
  let ok = false
  try {
    ok = !ed25519.Point.fromBytes(pk, false).isSmallOrder()
  } catch {
    ok = false
  }
  if (!ok) throw new KeyError('public key: Ed25519 key is not a valid curve point')
}

/** Bound on the parse cache: headers name the same few keys again and again. */
const CACHE_LIMIT = 256
const cache = new Map<string, PublicKey>()

/**
 * Parse an `aseal1…` public key. Results are cached by text (least recently used, at most 256 entries), since
 * stream headers are parsed often. Upper-case text is accepted (BIP-173); `text` on the result is lowercase.
 *
 * @throws TypeError if `text` is not a string; {@link KeyError} (`KEY_INVALID`) naming what is wrong (prefix,
 *   checksum, version, length, component), never echoing the input.
 * @example
 * ```ts
 * import { generateIdentity, parsePublicKey } from 'arrowseal'
 * const id = await generateIdentity()
 * const pk = parsePublicKey(id.publicKey)
 * pk.keyId === id.keyId // true
 * ```
 */
export function parsePublicKey(text: string): PublicKey {
  assertString(text, 'text')
  const hit = cache.get(text)
  if (hit !== undefined) {
    cache.delete(text)
    cache.set(text, hit)
    return hit
  }
  const payload = bech32Decode(text, PUBLIC_KEY_HRP, 'public key')
  const key = fromPayload(payload, text.toLowerCase())
  if (cache.size >= CACHE_LIMIT) {
    const oldest = cache.keys().next()
    if (!oldest.done) cache.delete(oldest.value)
  }
  cache.set(text, key)
  return key
}

/**
 * For tests: the number of cached parses.
 *
 * @example
 * ```ts
 * _publicKeyCacheSize() // ≤ 256
 * ```
 * @internal
 */
export function _publicKeyCacheSize(): number {
  return cache.size
}
