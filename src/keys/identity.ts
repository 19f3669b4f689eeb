/**
 * Secret identities: one 32-byte master seed from which the X-Wing, Ed25519 and ML-DSA-65 keys are derived.
 *
 * Sub-seeds: `HKDF-SHA256(ikm = seed, salt = empty, info = "arrowseal/v1 identity <alg>", L = 32)` for
 * `<alg>` in `xwing`, `ed25519`, `ml-dsa-65`. The secret text is the uppercase Bech32 of `0x01 ‖ seed` with the
 * prefix `ASEAL-SECRET-KEY-`, and {@link exportIdentity} is the only way to obtain it.
 *
 * Secret bytes live in `#private` fields. Methods use them (decapsulate, sign) but never return them, and
 * `toString`, `toJSON` and `util.inspect` show only the key id.
 *
 * @module
 */
import { ed25519 } from '@noble/curves/ed25519.js'
import { hkdf } from '@noble/hashes/hkdf.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { concatBytes, utf8ToBytes } from '@noble/hashes/utils.js'
import { KeyError } from '../errors.js'
import { assertBytes, assertString, describe } from './assert.js'
import { bech32Decode, bech32Encode } from './bech32.js'
import {
  KEY_VERSION,
  SECRET_KEY_HRP,
  SECRET_KEY_LENGTH,
  SEED_LENGTH,
  SUBSEED_INFO,
  XWING_CIPHERTEXT_LENGTH,
} from './constants.js'
import { type MlDsaKey, postQuantum } from './pq.js'
import { type PublicKey, publicKeyFromBytes } from './public-key.js'
import { type Ed25519, hybridSign, type SignRng } from './sign.js'
import { nobleX25519, type X25519, type XWingSecretKey, xwingDecapsulate, xwingKeygen } from './xwing.js'

/**
 * FIPS 204 context string of the ML-DSA-65 signature on a signed note: `"arrowseal/v1 signed-note"`.
 *
 * @example
 * ```ts
 * new TextDecoder().decode(NOTE_MLDSA_CONTEXT) // 'arrowseal/v1 signed-note'
 * ```
 * @internal
 */
export const NOTE_MLDSA_CONTEXT: Uint8Array = utf8ToBytes('arrowseal/v1 signed-note')

const INTERNAL: unique symbol = Symbol('arrowseal.Identity')
const INSPECT = Symbol.for('nodejs.util.inspect.custom')

// Set in Identity's static block: the only path from an Identity to its seed, used by exportIdentity alone.
let readSeed: (identity: Identity) => Uint8Array

/**
 * A secret arrowseal identity. Create one with {@link generateIdentity} or {@link importIdentity}.
 *
 * @example
 * ```ts
 * import { generateIdentity } from 'arrowseal'
 * const me = await generateIdentity()
 * console.log(me.publicKey) // 'aseal1…' — safe to share
 * console.log(String(me))   // 'Identity(keyId=…)' — never the secret
 * ```
 */
export class Identity {
  /** Public key text, `aseal1…`. */
  readonly publicKey: string
  /** Short display id: hex of the fingerprint's first 8 bytes. */
  readonly keyId: string
  /** The parsed public key. */
  readonly publicKeyObject: PublicKey
  readonly #seed: Uint8Array
  readonly #xwingSecret: XWingSecretKey
  readonly #ed25519Seed: Uint8Array
  readonly #mldsa: MlDsaKey

  static {
    readSeed = (identity) => identity.#seed.slice()
  }

  /** @internal Use {@link generateIdentity}, {@link importIdentity} or {@link identityFromSeed}. */
  constructor(token: typeof INTERNAL, seed: Uint8Array) {
    if (token !== INTERNAL) throw new TypeError('use generateIdentity() or importIdentity() to create an Identity')
    this.#seed = seed
    const xwingSeed = subSeed(seed, SUBSEED_INFO.xwing)
    this.#ed25519Seed = subSeed(seed, SUBSEED_INFO.ed25519)
    const mldsaSeed = subSeed(seed, SUBSEED_INFO.mldsa65)
    // Expand each key once and keep the expanded form: X-Wing's seed expansion (ML-KEM keygen, ~3 ms) would
    // otherwise be repeated on every decapsulation, and ML-DSA-65's (~3.5 ms) on every signature. Both are made
    // by the post-quantum provider in use (native on Node 24 through the Node entry; same public keys).
    const xwing = xwingKeygen(xwingSeed)
    xwingSeed.fill(0)
    this.#xwingSecret = xwing.secretKey
    const ed = ed25519.keygen(this.#ed25519Seed)
    const mldsa = postQuantum().mldsaKeygen(mldsaSeed)
    mldsaSeed.fill(0)
    this.#mldsa = mldsa
    const payload = concatBytes(new Uint8Array([KEY_VERSION]), xwing.publicKey, ed.publicKey, mldsa.publicKey)
    this.publicKeyObject = publicKeyFromBytes(payload)
    this.publicKey = this.publicKeyObject.text
    this.keyId = this.publicKeyObject.keyId
    Object.freeze(this)
  }

  /** SHA-256 fingerprint of the public key, 32 bytes (copy). */
  get fingerprint(): Uint8Array {
    return this.publicKeyObject.fingerprint
  }

  /**
   * X-Wing decapsulation: the 32-byte shared secret for an encapsulation `enc` (1120 bytes) made to this
   * identity's public key. Used by HPKE ({@link setupBaseR}); the secret key never leaves the object.
   *
   * @param x25519 - X25519 implementation (default: noble's; the Node entry injects `node:crypto`'s).
   * @throws TypeError / RangeError if `enc` is not a 1120-byte Uint8Array; Error if its X25519 share is of
   *   small order (HPKE turns that into `AuthError`).
   * @example
   * ```ts
   * const { cipherText, sharedSecret } = xwingEncapsulate(preparedXWing(id.publicKeyObject))
   * id.decapsulate(cipherText) // equals sharedSecret
   * ```
   * @internal
   */
  decapsulate(enc: Uint8Array, x25519: X25519 = nobleX25519): Uint8Array {
    assertBytes(enc, 'enc', XWING_CIPHERTEXT_LENGTH)
    return xwingDecapsulate(enc, this.#xwingSecret, x25519)
  }

  /**
   * Hybrid-sign `message` under `label` (see {@link hybridVerify}); returns the 3373-byte signature.
   *
   * @param label - what is being signed, 1–64 printable ASCII characters, e.g. `'header'`.
   * @param rng - optional source of ML-DSA's randomness, for deterministic tests; default is fresh randomness.
   * @example
   * ```ts
   * const sig = writer.sign('header', headerBytes)
   * ```
   * @internal
   */
  sign(label: string, message: Uint8Array, rng?: SignRng, ed25519?: Ed25519): Uint8Array {
    return hybridSign(this.#ed25519Seed, this.#mldsa, label, message, rng, ed25519)
  }

  /**
   * Sign the text of a C2SP signed note (https://c2sp.org/signed-note) with the raw Ed25519 key, as that spec
   * requires for interoperable notes, and with ML-DSA-65 under the FIPS 204 context
   * {@link NOTE_MLDSA_CONTEXT}. Used only by the audit log's checkpoints.
   *
   * Domain separation from {@link Identity.sign}: every hybrid-signed message contains a 0x00 byte (after the
   * label), and a note text must contain no control character but newline, so the two message sets are
   * disjoint; the check below enforces it. ML-DSA additionally uses its own context string.
   *
   * @throws RangeError if `text` is not a note text (empty, not ending in a newline, or holding a control
   *   character other than newline).
   * @example
   * ```ts
   * const { ed25519, mldsa65 } = logIdentity.signNote('example.com/log\n1\nAAAA…=\n')
   * ```
   * @internal
   */
  signNote(text: string, rng?: SignRng, ed?: Ed25519): { ed25519: Uint8Array; mldsa65: Uint8Array } {
    assertString(text, 'text')
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the check is about control characters
    if (!text.endsWith('\n') || /[\u0000-\u0009\u000b-\u001f]/.test(text)) {
      throw new RangeError('"text" must end in a newline and hold no control character other than newline')
    }
    const m = utf8ToBytes(text)
    let rnd: Uint8Array | undefined
    if (rng !== undefined) {
      rnd = rng(32)
      assertBytes(rnd, 'rng() result', 32)
    }
    return {
      // Ed25519 is deterministic: an injected implementation (node:crypto's, ~20× faster) signs the same bytes.
      ed25519: ed ? ed.sign(this.#ed25519Seed, m) : ed25519.sign(m, this.#ed25519Seed),
      mldsa65: this.#mldsa.signWithContext(m, NOTE_MLDSA_CONTEXT, rnd),
    }
  }

  /** `Identity(keyId=…)`: never secret material. */
  toString(): string {
    return `Identity(keyId=${this.keyId})`
  }
  /** Only public facts, so an identity accidentally logged as JSON leaks nothing. */
  toJSON(): { type: 'Identity'; keyId: string; publicKey: string } {
    return { type: 'Identity', keyId: this.keyId, publicKey: this.publicKey }
  }
  [INSPECT](): string {
    return this.toString()
  }
}

function subSeed(seed: Uint8Array, info: string): Uint8Array {
  return hkdf(sha256, seed, new Uint8Array(0), utf8ToBytes(info), SEED_LENGTH)
}

/**
 * Derive an identity from a 32-byte master seed. Deterministic: the same seed always gives the same keys.
 *
 * @throws TypeError if `seed` is not a Uint8Array; RangeError if it is not 32 bytes.
 * @example
 * ```ts
 * const id = identityFromSeed(new Uint8Array(32).fill(1)) // test fixtures only
 * ```
 * @internal
 */
export function identityFromSeed(seed: Uint8Array): Identity {
  assertBytes(seed, 'seed', SEED_LENGTH)
  return new Identity(INTERNAL, seed.slice())
}

/**
 * Generate a new random identity (32 bytes from `crypto.getRandomValues`).
 *
 * @example
 * ```ts
 * import { generateIdentity, exportIdentity } from 'arrowseal'
 * const id = await generateIdentity()
 * const secret = exportIdentity(id) // 'ASEAL-SECRET-KEY-1…' — store it safely
 * ```
 */
export async function generateIdentity(): Promise<Identity> {
  const seed = crypto.getRandomValues(new Uint8Array(SEED_LENGTH))
  return new Identity(INTERNAL, seed)
}

/**
 * Import an identity from its secret text `ASEAL-SECRET-KEY-1…` (lowercase accepted, mixed case is not).
 *
 * @throws TypeError if `secretText` is not a string; {@link KeyError} (`KEY_INVALID`) saying what is wrong
 *   (prefix, checksum, version, length), never echoing the text.
 * @example
 * ```ts
 * import { importIdentity } from 'arrowseal'
 * const id = await importIdentity(process.env.ASEAL_SECRET_KEY ?? '')
 * ```
 */
export async function importIdentity(secretText: string): Promise<Identity> {
  assertString(secretText, 'secretText')
  const payload = bech32Decode(secretText, SECRET_KEY_HRP, 'secret key')
  try {
    if (payload.length < 1) throw new KeyError('secret key: payload is empty')
    if (payload[0] !== KEY_VERSION) {
      throw new KeyError(`secret key: unsupported version ${payload[0]} (this library reads version ${KEY_VERSION})`)
    }
    if (payload.length !== SECRET_KEY_LENGTH) {
      throw new KeyError(`secret key: payload is ${payload.length} bytes, expected ${SECRET_KEY_LENGTH}`)
    }
    return new Identity(INTERNAL, payload.slice(1))
  } finally {
    payload.fill(0)
  }
}

/**
 * The secret text of an identity, `ASEAL-SECRET-KEY-1…`: the only way to get the secret out of an
 * {@link Identity}. Treat the result like a password.
 *
 * @throws TypeError if `identity` is not an Identity.
 * @example
 * ```ts
 * import { generateIdentity, exportIdentity, importIdentity } from 'arrowseal'
 * const id = await generateIdentity()
 * const again = await importIdentity(exportIdentity(id))
 * again.publicKey === id.publicKey // true
 * ```
 */
export function exportIdentity(identity: Identity): string {
  if (!(identity instanceof Identity)) throw new TypeError(`"identity" must be an Identity, got ${describe(identity)}`)
  const seed = readSeed(identity)
  const payload = concatBytes(new Uint8Array([KEY_VERSION]), seed)
  try {
    return bech32Encode(SECRET_KEY_HRP, payload, true)
  } finally {
    seed.fill(0)
    payload.fill(0)
  }
}
