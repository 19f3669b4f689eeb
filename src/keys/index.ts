/**
 * The key layer: identities, public keys, Bech32 text, hybrid signatures and HPKE over X-Wing.
 *
 * Public API (for the package index): {@link generateIdentity}, {@link importIdentity}, {@link exportIdentity},
 * {@link parsePublicKey}, {@link publicKeyFromBytes}, {@link Identity}, {@link PublicKey}, {@link hybridVerify}.
 * The rest is exported for the format layer and tests.
 *
 * @module
 */
export { BECH32_MAX_LENGTH, bech32Decode, bech32Encode } from './bech32.js'
export * from './constants.js'
export {
  type Decapsulator,
  HPKE_AES_256_GCM,
  HPKE_KDF_HKDF_SHA256,
  HPKE_KEM_XWING,
  type HpkeAead,
  hpkeNonce,
  hpkeSuiteId,
  type RecipientContext,
  type SenderContext,
  type SetupSenderOptions,
  setupBaseR,
  setupBaseS,
} from './hpke.js'
export { exportIdentity, generateIdentity, Identity, identityFromSeed, importIdentity } from './identity.js'
export { PublicKey, parsePublicKey, publicKeyFingerprint, publicKeyFromBytes } from './public-key.js'
export { hybridVerify, type SignRng, signedMessage } from './sign.js'
