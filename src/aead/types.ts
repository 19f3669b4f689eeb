/**
 * The symmetric crypto backend contract used on the hot path: AES-256-GCM with a 96-bit nonce and a 128-bit tag,
 * plus SHA-256. Three implementations produce byte-identical output: WebCrypto (browsers, Deno, Bun, Node),
 * `node:crypto` (Node-only entry) and `@noble/ciphers` (pure JS, for runtimes with neither).
 *
 * Backends are values that callers pass around explicitly; there is no global registry to mutate.
 *
 * @module
 */

/**
 * Length in bytes of an AES-256 key.
 *
 * @example
 * ```ts
 * const raw = crypto.getRandomValues(new Uint8Array(AEAD_KEY_LENGTH))
 * ```
 */
export const AEAD_KEY_LENGTH = 32

/**
 * Length in bytes of a GCM nonce. Only 96-bit nonces are accepted: other sizes go through GHASH (SP 800-38D §7.1).
 *
 * @example
 * ```ts
 * const nonce = new Uint8Array(AEAD_NONCE_LENGTH) // then write a counter into its tail
 * ```
 */
export const AEAD_NONCE_LENGTH = 12

/**
 * Length in bytes of the GCM authentication tag appended to every ciphertext.
 *
 * @example
 * ```ts
 * const plaintextLength = sealed.byteLength - AEAD_TAG_LENGTH
 * ```
 */
export const AEAD_TAG_LENGTH = 16

/**
 * Largest byte length accepted for any single input (plaintext, AAD, ciphertext, hash input) in one call.
 *
 * GCM itself allows about 2^36 bytes of plaintext per nonce (SP 800-38D §5.2.1.1); we cap far lower so that a
 * length always fits a u32 frame field and no call can run unbounded work.
 *
 * @example
 * ```ts
 * import { AEAD_MAX_INPUT_LENGTH } from './types.js'
 * if (chunk.byteLength > AEAD_MAX_INPUT_LENGTH) throw new RangeError('chunk too large')
 * ```
 */
export const AEAD_MAX_INPUT_LENGTH = 2 ** 32 - 1

/**
 * An imported AES-256 key. Opaque: it never exposes its bytes, and its `toString`, `toJSON` and Node
 * `util.inspect` output are redacted. A key can be used only with the backend instance that imported it.
 *
 * @example
 * ```ts
 * const key = await backend.importKey(rawKey)
 * console.log(String(key)) // 'AeadKey(webcrypto) [redacted]'
 * ```
 */
export interface AeadKey {
  /** Name of the backend that imported the key. */
  readonly backend: string
}

/**
 * An AES-256-GCM + SHA-256 implementation.
 *
 * Caller misuse (wrong argument types, a key that is not 32 bytes, a nonce that is not 12 bytes, an input of
 * 2^32 bytes or more) raises `TypeError` or `RangeError`. Bad *data* given to {@link CryptoBackend.open} always
 * raises `AuthError` with code `AUTH_FAILED` and the one shared message, whatever went wrong.
 *
 * @example
 * ```ts
 * import { defaultBackend } from './default.js'
 * const backend = defaultBackend()
 * const key = await backend.importKey(crypto.getRandomValues(new Uint8Array(32)))
 * const nonce = crypto.getRandomValues(new Uint8Array(12))
 * const aad = new TextEncoder().encode('header digest')
 * const sealed = await backend.seal(key, nonce, aad, new TextEncoder().encode('hello'))
 * const plain = await backend.open(key, nonce, aad, sealed)
 * ```
 */
export interface CryptoBackend {
  /** Which implementation this is. */
  readonly name: 'node' | 'webcrypto' | 'noble'
  /** Imports a 32-byte AES-256 key once, so per-unit calls do no key import. Throws RangeError otherwise. */
  importKey(raw: Uint8Array): Promise<AeadKey>
  /** Encrypts and authenticates; returns `ciphertext || 16-byte tag`. */
  seal(key: AeadKey, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array>
  /**
   * Optional fast path: encrypts the concatenation of `parts` and writes `ciphertext || tag` into `out`, which
   * must be exactly the parts' total length plus 16 bytes. Same bytes as {@link CryptoBackend.seal} of the
   * joined parts; a backend implements it only when it can avoid joining them (callers go through `sealParts`,
   * which falls back to `seal`).
   */
  sealInto?(
    key: AeadKey,
    nonce: Uint8Array,
    aad: Uint8Array,
    parts: readonly Uint8Array[],
    out: Uint8Array,
  ): Promise<void>
  /** Verifies and decrypts `ciphertext || tag`; throws `AuthError('AUTH_FAILED')` on any failure. */
  open(key: AeadKey, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Promise<Uint8Array>
  /** SHA-256 digest (32 bytes). */
  sha256(data: Uint8Array): Promise<Uint8Array>
  /**
   * Optional fast path: the SHA-256 digest of the concatenation of `parts`, fed in order without joining them.
   * Same digest as {@link CryptoBackend.sha256} of the joined parts; callers go through `digestParts`, which
   * falls back to joining (the rewrapper hashes a frame as the chunks it arrived in).
   */
  sha256Parts?(parts: readonly Uint8Array[]): Promise<Uint8Array>
}
