/**
 * Options of {@link rewrap} and {@link rewrapStream} (format.md §Rewrapped streams), and their validation at the
 * public boundary.
 * @module
 */
import type { CryptoBackend } from '../aead/types.js'
import type { Identity } from '../keys/identity.js'
import type { PublicKey } from '../keys/public-key.js'
import type { WriterSession } from '../keys/session.js'
import type { Policy, RecipientEntry } from '../policy/policy.js'
import type { SessionPolicy } from '../seal/options.js'

/**
 * What a rewrap changes, and who does it. Payload units are never touched: only the header (a new one, signed by
 * `signer`, embedding the previous header with the original writer's signature) and the frames' authenticators.
 *
 * @example
 * ```ts
 * import type { RewrapOptions } from 'arrowseal'
 * declare const steward: import('arrowseal').Identity, writerKey: string, carol: string, aliceKeyId: string
 * const options: RewrapOptions = {
 *   identity: steward,
 *   signer: steward,
 *   trustedSigners: [writerKey],
 *   policy: { fields: { id: 'public', amount: ['analysts'] } },
 *   add: { analysts: [carol] },
 *   remove: [aliceKeyId],
 * }
 * ```
 */
export interface RewrapOptions {
  /**
   * The rewrapper's identity or identities. Each must be an active recipient of the stream (it verifies every
   * frame under its own MAC key before re-authenticating it); together they must hold the key of every group
   * that `add` grants (`REWRAP_NOT_ENTITLED` otherwise).
   */
  readonly identity: Identity | readonly Identity[]
  /** Signs the new header: the rewrapper's identity (suite 1) or a writer session it certified (suite 2). */
  readonly signer: Identity | WriterSession
  /**
   * Keys whose signatures the rewrapper accepts on the input: the original writer and, for a stream rewrapped
   * before, every earlier rewrapper (`SIGNER_UNTRUSTED` otherwise). Verified before anything else is used.
   */
  readonly trustedSigners: readonly (string | PublicKey)[]
  /**
   * The policy the stream was sealed with. Headers do not record roles, so `add` resolves each role to the
   * sealed groups whose fields the policy gives that role; required when `add` is given. The rewrapper must see
   * every sealed group's schema (hold its key, or the schema is revealed), else it cannot tell whether a role reads
   * it (`REWRAP_NOT_ENTITLED`).
   */
  readonly policy?: Policy
  /**
   * Recipients to add, by role (the shape of `SealOptions.recipients`). A key named under several roles gets one
   * stanza with the union of their groups. A key that stays an active recipient cannot be added again
   * (`POLICY_INVALID`): remove it and add it with all its roles in the same call. A key-access gateway
   * (`{ service, key }`) gets the roles' groups wrapped to its key, a service entry in the new layer, and the
   * layer a frame key of its own that signs every frame, so its readers, who have no MAC key, still cannot forge
   * frames for one another. Moving a role to a gateway is `remove` of its direct readers and `add` of the gateway
   * in one call.
   */
  readonly add?: Readonly<Record<string, readonly RecipientEntry[]>>
  /**
   * The dataset the new gateways' service entries name (entitlements are per dataset): default, the dataset the
   * stream's gateways already name, else `""`. Only used when `add` names a gateway.
   */
  readonly dataset?: string
  /**
   * Recipients to remove from every role: public keys (`aseal1…`) or key ids (16 hex digits). Each must name an
   * active recipient of the stream (`RECIPIENT_UNKNOWN` otherwise). Removal stops compliant readers of the new
   * stream; it cannot take back group keys a removed reader already unwrapped (docs/threat-model.md).
   */
  readonly remove?: readonly string[]
  /** How the input's writer sessions are judged, as for readers (default `'accept'`). */
  readonly sessions?: SessionPolicy
  /** AEAD and hash backend; default as for sealing. */
  readonly backend?: CryptoBackend
  /** Largest input frame accepted (default 256 MiB, hard limit 1 GiB), as for readers. */
  readonly maxFrameBytes?: number
  /**
   * `rewrapStream` of the Node entry only: hash frames of 1 MiB or more on a second thread as well as on the
   * calling one (default `true`; started at the first such frame, stopped when the stream ends). The output is
   * byte for byte the same; frames still go out in order, each only after its own checks. `false` keeps the
   * rewrap on the calling thread. Ignored by `rewrap` and by the core entry.
   */
  readonly hashThread?: boolean
}
