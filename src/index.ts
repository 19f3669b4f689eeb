/**
 * arrowseal: end-to-end sealed Apache Arrow record batches.
 *
 * - {@link sealTable} / {@link openTable} for tables in memory, {@link SealStream} / {@link OpenStream} for
 *   streams of batches, {@link inspect} for header facts without keys.
 * - {@link generateIdentity}, {@link importIdentity}, {@link exportIdentity}, {@link parsePublicKey} for keys;
 *   {@link createWriterSession} for writers that start many streams.
 * - {@link signCheckpoint} / {@link openCheckpoint}, {@link inclusionProof} / {@link verifyInclusion},
 *   {@link consistencyProof} / {@link verifyConsistency} and {@link encodeAuditEvent} for the audit log
 *   (stores: `arrowseal/store`).
 * - Every data error is an {@link ArrowSealError} with a stable `code`.
 *
 * This entry uses Web APIs only (WebCrypto, WHATWG streams) and runs in browsers, Deno, Bun and Node. On Node,
 * the `node` export condition selects the node:crypto backend automatically.
 *
 * @packageDocumentation
 */

export { defaultBackend } from './aead/default.js'
export { nobleBackend } from './aead/noble.js'
export type { AeadKey, CryptoBackend } from './aead/types.js'
export { webCryptoBackend } from './aead/webcrypto.js'
export * from './audit/index.js'
export {
  ArrowSealError,
  type ArrowSealErrorCode,
  AuditError,
  AuthError,
  FormatError,
  KeyAccessError,
  type KeyAccessErrorCode,
  KeyError,
  PolicyError,
  RewrapError,
} from './errors.js'
export { HARD_LIMITS } from './format/constants.js'
export type { SessionCredential } from './format/session.js'
export {
  type InspectedField,
  type InspectedGroup,
  type InspectedRecipient,
  type InspectedRewrap,
  type InspectedService,
  type InspectResult,
  inspect,
} from './inspect.js'
export { type KeyAccessClientOptions, keyAccessClient } from './kas/client.js'
export { type DpopProofInput, dpopHeaders, dpopProof } from './kas/dpop.js'
export { type UnwrapOptions, unwrapForService } from './kas/service-view.js'
export type {
  KeyAccessProvider,
  KeyAccessReceipt,
  KeyAccessRequest,
  KeyAccessResult,
  ServiceView,
  UnwrappedService,
} from './kas/types.js'
export { exportIdentity, generateIdentity, Identity, importIdentity } from './keys/identity.js'
export { MAX_KEYRING, parseKeyring, pickIdentity, pickIdentityFromStream } from './keys/keyring.js'
export { PublicKey, parsePublicKey } from './keys/public-key.js'
export { createWriterSession, WriterSession, type WriterSessionOptions } from './keys/session.js'
export type { Ed25519 } from './keys/sign.js'
export type { X25519 } from './keys/xwing.js'
export { rewrap, rewrapStream } from './lifecycle/rewrap.js'
export type { RewrapOptions } from './lifecycle/rewrap-options.js'
export {
  canonicalPolicy,
  type FieldRule,
  type Policy,
  parsePolicy,
  parseRecipients,
  type RecipientEntry,
  type Recipients,
  type ServiceRecipient,
} from './policy/policy.js'
export type { SharedPool } from './seal/crypto-pool.js'
export type { KeyAccessInfo } from './seal/key-access.js'
export type { OpenOptions, SealOptions, SessionPolicy } from './seal/options.js'
export type { Runtime } from './seal/runtime.js'
export { TOKEN_METADATA_KEY, type TokenOptions } from './seal/tokenise.js'
export { OpenStream, type OpenStreamInit } from './stream/open-stream.js'
export { SealStream, type SealStreamInit } from './stream/seal-stream.js'
export { type OpenedTable, openTable, openTableWithInfo, sealTable } from './table.js'
export type { SealedInput, TableInput } from './table-input.js'
