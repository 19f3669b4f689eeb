/**
 * The seams of the key-access gateway (issue 13), fixed first so that the header format, the HTTP service and
 * the identity-provider and monitoring modules can be built side by side and meet without glue.
 *
 * Types only: nothing here runs. The modules that implement them:
 * - `src/kas/service-view.ts` (`unwrapForService`): what a gateway learns from a header wrapped to it;
 * - `src/kas/client.ts` (`keyAccessClient`): the reader's HTTP client, a {@link KeyAccessProvider};
 * - `src/kas/oidc.ts` (`createOidcAuthenticator`), `src/kas/throttle.ts` (`createThrottle`),
 *   `src/kas/anomaly.ts` (`createAnomalyMonitor`): plugged into the server through {@link KasServerHooks}.
 * @module
 */
import type { Identity } from '../keys/identity.js'
import type { PublicKey } from '../keys/public-key.js'

/**
 * A principal as the gateway names it, in entitlements, audit events and metrics:
 * - `key:<64 lower-case hex>`: the SHA-256 fingerprint of an arrowseal public key (docs/format.md § Keys);
 * - `oidc:<issuer>#<subject>`: an OIDC subject of a configured issuer.
 */
export type PrincipalName = string

/**
 * What a gateway learns from a header it verified and whose service stanza it opened.
 *
 * @example
 * ```ts
 * const show = (v: ServiceView) => `${v.url} ${v.dataset}: ${[...v.roles.keys()].join(', ')}`
 * ```
 */
export interface ServiceView {
  /** The stream's 16-byte id, authentic (the writer's signature verified). */
  readonly streamId: Uint8Array
  /** SHA-256 of the whole header, as frames and unit AADs bind it. */
  readonly headerDigest: Uint8Array
  /** Fingerprint of the writer's long-term public key. */
  readonly signer: Uint8Array
  /** The service URL the writer named for these roles. */
  readonly url: string
  /** The dataset (stream family) the writer named; entitlements are per dataset. */
  readonly dataset: string
  /** Each role wrapped to this service, with the sealed group ids it may read, ascending. */
  readonly roles: ReadonlyMap<string, readonly number[]>
}

/**
 * A {@link ServiceView} plus the group keys of the service stanza. Callers zero the keys after use.
 *
 * @example
 * ```ts
 * const view: UnwrappedService = await unwrapForService(header, gateway, [writerKey])
 * for (const key of view.groupKeys.values()) key.fill(0)
 * ```
 */
export interface UnwrappedService extends ServiceView {
  readonly groupKeys: ReadonlyMap<number, Uint8Array>
}

/** The signature of `unwrapForService` in `src/kas/service-view.ts`. */
export type UnwrapForService = (
  header: Uint8Array,
  gateway: Identity,
  trustedWriters: readonly PublicKey[],
) => Promise<UnwrappedService>

/**
 * What the opener hands a key-access provider when the reader is not a direct recipient of the roles it wants.
 *
 * @example
 * ```ts
 * const describe = (r: KeyAccessRequest) => `${r.service.url} for ${r.service.roles.join(', ')}`
 * ```
 */
export interface KeyAccessRequest {
  /** The whole header, byte for byte as read. */
  readonly header: Uint8Array
  readonly headerDigest: Uint8Array
  readonly streamId: Uint8Array
  /** The service entry of the header the request goes to. */
  readonly service: { readonly url: string; readonly dataset: string; readonly roles: readonly string[] }
  /** The reader's identity: signs the request (or a session of it does). */
  readonly identity: Identity
}

/**
 * The receipt of a grant: the audit entry, its inclusion proof and the signed checkpoint it verifies against.
 *
 * @example
 * ```ts
 * const where = (r: KeyAccessReceipt) => `entry ${r.index}, ${r.proof.length} proof hashes`
 * ```
 */
export interface KeyAccessReceipt {
  /** Index of the audit entry. */
  readonly index: number
  /** The entry's bytes: an encoded audit event (docs/format.md § Events). */
  readonly entry: Uint8Array
  /** Inclusion proof of the entry in the tree of the checkpoint. */
  readonly proof: readonly Uint8Array[]
  /** The signed checkpoint note (C2SP tlog-checkpoint), as text. */
  readonly checkpoint: string
}

/**
 * What a key-access provider returns. The opener checks every key against its commitment before using it.
 *
 * @example
 * ```ts
 * const none: KeyAccessResult = { groupKeys: new Map(), rolesGranted: [] }
 * ```
 */
export interface KeyAccessResult {
  /** Group id → group key, only for the groups granted. */
  readonly groupKeys: ReadonlyMap<number, Uint8Array>
  readonly rolesGranted: readonly string[]
  /** Present when the gateway sent one; the client has verified it when `requireReceipt` is set. */
  readonly receipt?: KeyAccessReceipt
}

/**
 * Fetches group keys for a stream from a gateway. The opener calls it at most once per stream.
 *
 * @example
 * ```ts
 * const provider: KeyAccessProvider = { requestKeys: async (request) => askMyGateway(request) }
 * await openTable(sealed, { identity, trustedSigners: [writerKey], keyAccess: provider })
 * ```
 */
export interface KeyAccessProvider {
  /** Asks for the keys of one stream; throws a typed error (`KeyAccessError`) when refused or unreachable. */
  requestKeys(request: KeyAccessRequest): Promise<KeyAccessResult>
}

/** One decision as the monitor sees it. */
export interface DecisionObservation {
  /** Milliseconds since the Unix epoch. */
  readonly time: number
  readonly principal: PrincipalName
  /** The client's address as the server saw it. */
  readonly source: string
  /** Lower-case hex of the stream id, when the request got that far. */
  readonly stream?: string
  readonly dataset?: string
  readonly roles: readonly string[]
  readonly decision: 'grant' | 'deny'
  /** The reason code written to the audit event. */
  readonly reason: string
}

/** An alert: every one says why, with the value and the threshold it crossed. */
export interface KasAlert {
  readonly kind: 'denial-burst' | 'fan-out' | 'rate' | 'throttled'
  readonly principal: PrincipalName
  readonly time: number
  /** One sentence for people. */
  readonly why: string
  readonly value: number
  readonly threshold: number
  /** True when the configuration asks to suspend the principal on this alert. */
  readonly suspend: boolean
}

/** Watches the decision stream. Must be cheap: it runs on every request. */
export interface AnomalyMonitor {
  observe(observation: DecisionObservation): readonly KasAlert[]
}

/** Token buckets per principal and per source. */
export interface Throttle {
  /** Takes one token for this request, or says how long to wait. */
  take(
    principal: PrincipalName | null,
    source: string,
    now: number,
  ):
    | { readonly ok: true }
    | { readonly ok: false; readonly retryAfterMs: number; readonly scope: 'principal' | 'source' }
}

/** What the server hands a token authenticator (RFC 9449 DPoP-style: the token is bound to a request key). */
export interface TokenAuthInput {
  /** The `Authorization` header, e.g. `DPoP eyJ…`. */
  readonly authorization: string
  /** The `DPoP` header: a proof JWT signed by the key the token is bound to. */
  readonly dpop: string | undefined
  readonly method: string
  /** The request URL as the client addressed it (htu). */
  readonly url: string
  /** SHA-256 of the request body bytes; the proof must commit to it. */
  readonly bodyDigest: Uint8Array
  readonly now: number
}

/** Verifies a bearer of an identity-provider token. Throws a typed error with a stable code when it fails. */
export interface TokenAuthenticator {
  authenticate(input: TokenAuthInput): Promise<{
    readonly principal: PrincipalName
    readonly oidc: { readonly issuer: string; readonly subject: string }
  }>
}

/** The optional parts of a gateway, each injected so it can be configured, replaced and tested alone. */
export interface KasServerHooks {
  readonly tokens?: TokenAuthenticator
  readonly throttle?: Throttle
  readonly monitor?: AnomalyMonitor
}

/** One trusted identity provider. */
export interface OidcIssuerConfig {
  /** The issuer URL; tokens must carry exactly this `iss`. */
  readonly issuer: string
  /** The audience tokens must carry (`aud`), usually the gateway's URL. */
  readonly audience: string
  /** The JWKS URL; default: from the issuer's `/.well-known/openid-configuration`. */
  readonly jwksUri?: string
}

/** Configuration of `createOidcAuthenticator` (the `oidc` section of the gateway's config file). */
export interface OidcConfig {
  readonly issuers: readonly OidcIssuerConfig[]
  /** Allowed clock difference for `exp`, `nbf`, `iat` and the proof's `iat`, in seconds (default documented). */
  readonly clockToleranceSeconds?: number
}

/** Configuration of `createThrottle` (the `throttle` section). Rates per second; every field has a documented default. */
export interface ThrottleConfig {
  readonly perPrincipal?: { readonly rate?: number; readonly burst?: number }
  readonly perSource?: { readonly rate?: number; readonly burst?: number }
  /** Bound on remembered buckets, so a flood of new names cannot grow memory without limit. */
  readonly maxKeys?: number
}

/** Configuration of `createAnomalyMonitor` (the `anomaly` section); every field has a documented default. */
export interface AnomalyConfig {
  readonly denialBurst?: { readonly count?: number; readonly windowSeconds?: number }
  readonly fanOut?: { readonly factor?: number; readonly minDistinct?: number; readonly windowSeconds?: number }
  readonly rate?: { readonly factor?: number; readonly halfLifeSeconds?: number; readonly minRate?: number }
  /** Alert kinds that suspend the principal automatically (default: none). */
  readonly suspendOn?: readonly KasAlert['kind'][]
  readonly maxPrincipals?: number
}

/** The factories' signatures, implemented in src/kas/oidc.ts, throttle.ts and anomaly.ts. */
export type CreateOidcAuthenticator = (config: OidcConfig) => TokenAuthenticator
export type CreateThrottle = (config?: ThrottleConfig) => Throttle
export type CreateAnomalyMonitor = (config?: AnomalyConfig) => AnomalyMonitor
