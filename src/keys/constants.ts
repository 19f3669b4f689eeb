/**
 * Byte layouts, lengths and domain-separation labels of arrowseal keys (format version 1).
 *
 * These values are part of the on-disk format (`docs/format.md`): changing any of them breaks every existing key,
 * so they live in one place.
 *
 * @module
 * @internal
 */

/**
 * Version byte that starts both the public-key payload and the secret-key payload.
 *
 * @example
 * ```ts
 * console.log(KEY_VERSION)
 * ```
 */
export const KEY_VERSION = 0x01

/**
 * Bech32 prefix of public keys (lowercase text: `aseal1…`).
 *
 * @example
 * ```ts
 * console.log(PUBLIC_KEY_HRP)
 * ```
 */
export const PUBLIC_KEY_HRP = 'aseal'
/**
 * Bech32 prefix of secret keys (uppercase text: `ASEAL-SECRET-KEY-1…`).
 *
 * @example
 * ```ts
 * console.log(SECRET_KEY_HRP)
 * ```
 */
export const SECRET_KEY_HRP = 'ASEAL-SECRET-KEY-'

/**
 * Length of the identity's master seed.
 *
 * @example
 * ```ts
 * console.log(SEED_LENGTH)
 * ```
 */
export const SEED_LENGTH = 32
/**
 * X-Wing public key (ML-KEM-768 encapsulation key 1184 ‖ X25519 32).
 *
 * @example
 * ```ts
 * console.log(XWING_PUBLIC_KEY_LENGTH)
 * ```
 */
export const XWING_PUBLIC_KEY_LENGTH = 1216
/**
 * X-Wing ciphertext, which is HPKE's `enc` (ML-KEM-768 ciphertext 1088 ‖ X25519 32).
 *
 * @example
 * ```ts
 * console.log(XWING_CIPHERTEXT_LENGTH)
 * ```
 */
export const XWING_CIPHERTEXT_LENGTH = 1120
/**
 * Ed25519 public key.
 *
 * @example
 * ```ts
 * console.log(ED25519_PUBLIC_KEY_LENGTH)
 * ```
 */
export const ED25519_PUBLIC_KEY_LENGTH = 32
/**
 * ML-DSA-65 public key.
 *
 * @example
 * ```ts
 * console.log(MLDSA65_PUBLIC_KEY_LENGTH)
 * ```
 */
export const MLDSA65_PUBLIC_KEY_LENGTH = 1952
/**
 * Ed25519 signature.
 *
 * @example
 * ```ts
 * console.log(ED25519_SIGNATURE_LENGTH)
 * ```
 */
export const ED25519_SIGNATURE_LENGTH = 64
/**
 * ML-DSA-65 signature.
 *
 * @example
 * ```ts
 * console.log(MLDSA65_SIGNATURE_LENGTH)
 * ```
 */
export const MLDSA65_SIGNATURE_LENGTH = 3309
/**
 * Hybrid signature: Ed25519 ‖ ML-DSA-65.
 *
 * @example
 * ```ts
 * console.log(HYBRID_SIGNATURE_LENGTH)
 * ```
 */
export const HYBRID_SIGNATURE_LENGTH = ED25519_SIGNATURE_LENGTH + MLDSA65_SIGNATURE_LENGTH

/**
 * Public-key payload: version ‖ X-Wing pk ‖ Ed25519 pk ‖ ML-DSA-65 pk = 3201 bytes.
 *
 * @example
 * ```ts
 * console.log(PUBLIC_KEY_LENGTH)
 * ```
 */
export const PUBLIC_KEY_LENGTH = 1 + XWING_PUBLIC_KEY_LENGTH + ED25519_PUBLIC_KEY_LENGTH + MLDSA65_PUBLIC_KEY_LENGTH
/**
 * Secret-key payload: version ‖ seed = 33 bytes.
 *
 * @example
 * ```ts
 * console.log(SECRET_KEY_LENGTH)
 * ```
 */
export const SECRET_KEY_LENGTH = 1 + SEED_LENGTH

/**
 * HKDF-SHA256 `info` strings that derive each algorithm's 32-byte seed from the master seed (salt empty).
 *
 * @example
 * ```ts
 * console.log(SUBSEED_INFO)
 * ```
 */
export const SUBSEED_INFO = {
  xwing: 'arrowseal/v1 identity xwing',
  ed25519: 'arrowseal/v1 identity ed25519',
  mldsa65: 'arrowseal/v1 identity ml-dsa-65',
} as const

/**
 * Prefix of the fingerprint preimage: SHA-256(label ‖ 0x00 ‖ public-key payload).
 *
 * @example
 * ```ts
 * console.log(FINGERPRINT_LABEL)
 * ```
 */
export const FINGERPRINT_LABEL = 'arrowseal/v1 key id'
/**
 * Length of the fingerprint, and number of its leading bytes shown (hex) as the `keyId`.
 *
 * @example
 * ```ts
 * console.log(FINGERPRINT_LENGTH)
 * ```
 */
export const FINGERPRINT_LENGTH = 32
export const KEY_ID_BYTES = 8

/**
 * Prefix of every signed message: M' = prefix ‖ label ‖ 0x00 ‖ message.
 *
 * @example
 * ```ts
 * console.log(SIGNATURE_PREFIX)
 * ```
 */
export const SIGNATURE_PREFIX = 'arrowseal/v1 sig '
