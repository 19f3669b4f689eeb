/**
 * DPoP proofs (RFC 9449) for the key-access gateway: the reader's side ({@link dpopProof}) and the gateway's
 * ({@link verifyDpopProof}, used by `oidc.ts`).
 *
 * A DPoP-bound token is useless without the private key it is bound to: each request carries a fresh proof JWT
 * signed by that key, naming the method, the URL, the token (`ath`) and, as arrowseal adds, the request body
 * (`bsh`, base64url of SHA-256 of the body bytes), so a proof cannot be moved to another request either. Web APIs
 * only (jose on Web Crypto), so readers in browsers can make proofs too.
 *
 * @module
 */
import { base64url, calculateJwkThumbprint, EmbeddedJWK, errors, exportJWK, jwtVerify, SignJWT } from 'jose'
import { KeyAccessError } from '../errors.js'
import { constantTimeEqual } from '../format/bytes.js'
import { orDefault } from './or-default.js'

/** The private claim that commits a proof to the request body: base64url(SHA-256(body)), like `ath` for the token. */
export const DPOP_BODY_CLAIM = 'bsh'

/** Proof signature algorithms the gateway accepts: asymmetric only (RFC 9449 §4.3 step 5), no `none`, no HMAC. */
export const DPOP_ALGORITHMS: readonly string[] = ['ES256', 'ES384', 'EdDSA', 'Ed25519', 'PS256', 'RS256']

// A proof is a few hundred bytes; the bound stops a hostile header from costing more than a parse.
const MAX_PROOF_LENGTH = 8192
const MAX_JTI_LENGTH = 256

/**
 * What {@link dpopProof} needs to make a proof for one request.
 *
 * @example
 * ```ts
 * import type { DpopProofInput } from 'arrowseal'
 * const key = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])
 * const forTokenEndpoint: DpopProofInput = { key, method: 'POST', url: 'https://login.example/token' }
 * ```
 */
export interface DpopProofInput {
  /** The key pair the token is bound to (Web Crypto: ECDSA P-256/P-384 or Ed25519). */
  readonly key: CryptoKeyPair
  /** The HTTP method, e.g. `POST`. */
  readonly method: string
  /** The request URL; query and fragment are dropped (RFC 9449 §4.2 `htu`). */
  readonly url: string | URL
  /** The access token the proof goes with (`ath`); omit it for a proof to the identity provider's token endpoint. */
  readonly token?: string
  /** SHA-256 of the request body (`bsh`); the gateway requires it. */
  readonly bodyDigest?: Uint8Array
  /** Milliseconds since the Unix epoch for `iat`; default: now. */
  readonly now?: number
  /** JWS algorithm; default from the key: `ES256`, `ES384` or `EdDSA`. */
  readonly alg?: string
}

/**
 * Makes a DPoP proof JWT (RFC 9449 §4.2) for one request, with `ath` (the token) and `bsh` (the body digest) when
 * given. Send it in the `DPoP` header next to `Authorization: DPoP <token>`; make a new one for every request.
 *
 * @example
 * ```ts
 * import { dpopProof } from 'arrowseal'
 * const key = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])
 * const body = new TextEncoder().encode('{}')
 * const bodyDigest = new Uint8Array(await crypto.subtle.digest('SHA-256', body))
 * const proof = await dpopProof({ key, method: 'POST', url: 'https://kas.example/v1/rewrap', token: 'eyJ…', bodyDigest })
 * console.log(proof.split('.').length) // 3
 * ```
 */
export async function dpopProof(input: DpopProofInput): Promise<string> {
  if (typeof input !== 'object' || input === null) throw new TypeError('dpopProof: input must be an object')
  const { key, method } = input
  if (typeof method !== 'string' || !/^[A-Z]{1,16}$/.test(method)) {
    throw new TypeError('dpopProof: method must be an upper-case HTTP method')
  }
  if (
    !key ||
    typeof key !== 'object' ||
    !(key.privateKey instanceof CryptoKey) ||
    !(key.publicKey instanceof CryptoKey)
  ) {
    throw new TypeError('dpopProof: key must be a CryptoKeyPair')
  }
  if (!(typeof input.url === 'string' || input.url instanceof URL) || !URL.canParse(input.url)) {
    throw new TypeError('dpopProof: url must be a URL')
  }
  if (input.alg !== undefined && typeof input.alg !== 'string') throw new TypeError('dpopProof: alg must be a string')
  const alg = input.alg === undefined ? algorithmOf(key.privateKey) : input.alg
  const jwk = await exportJWK(key.publicKey)
  const payload: Record<string, unknown> = {
    jti: base64url.encode(crypto.getRandomValues(new Uint8Array(16))),
    htm: method,
    htu: htuOf(input.url),
  }
  if (input.token !== undefined) {
    if (typeof input.token !== 'string') throw new TypeError('dpopProof: token must be a string')
    payload['ath'] = await sha256b64(new TextEncoder().encode(input.token))
  }
  if (input.bodyDigest !== undefined) {
    if (!(input.bodyDigest instanceof Uint8Array) || input.bodyDigest.length !== 32) {
      throw new TypeError('dpopProof: bodyDigest must be 32 bytes (SHA-256)')
    }
    payload[DPOP_BODY_CLAIM] = base64url.encode(input.bodyDigest)
  }
  const now = orDefault(input.now, Date.now())
  if (typeof now !== 'number' || !Number.isFinite(now))
    throw new TypeError('dpopProof: now must be a finite number of milliseconds')
  return new SignJWT(payload)
    .setProtectedHeader({ typ: 'dpop+jwt', alg, jwk })
    .setIssuedAt(Math.floor(now / 1000))
    .sign(key.privateKey)
}

/**
 * The `headers` option of `keyAccessClient` for a reader that authenticates with a DPoP-bound token: for every
 * request it sends `Authorization: DPoP <token>` and a fresh proof committing to that request's body and URL.
 * `token` may be a function, called per request, so the reader can refresh an expiring token.
 *
 * @example
 * ```ts
 * import { dpopHeaders, keyAccessClient } from 'arrowseal'
 * const key = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])
 * const headers = dpopHeaders({ key, token: async () => 'eyJ…' }) // the token your IdP bound to `key`
 * // const keyAccess = keyAccessClient({ gatewayKey: 'aseal1…', headers })
 * const h = await headers(new TextEncoder().encode('{}'), 'https://kas.example/v1/rewrap')
 * console.log(Object.keys(h)) // ['authorization', 'dpop']
 * ```
 */
export function dpopHeaders(options: {
  readonly key: CryptoKeyPair
  readonly token: string | (() => Promise<string>)
}): (body: Uint8Array, url: string) => Promise<Record<string, string>> {
  if (typeof options !== 'object' || options === null) throw new TypeError('dpopHeaders: options must be an object')
  const { key, token } = options
  if (!key || typeof key !== 'object' || !(key.privateKey instanceof CryptoKey)) {
    throw new TypeError('dpopHeaders: key must be a CryptoKeyPair')
  }
  if (typeof token !== 'string' && typeof token !== 'function') {
    throw new TypeError('dpopHeaders: token must be a string or a function returning one')
  }
  return async (body, url) => {
    const t = typeof token === 'string' ? token : await token()
    const bodyDigest = new Uint8Array(await crypto.subtle.digest('SHA-256', new Uint8Array(body)))
    return { authorization: `DPoP ${t}`, dpop: await dpopProof({ key, method: 'POST', url, token: t, bodyDigest }) }
  }
}

/** What the gateway expects of a proof. */
export interface DpopExpectation {
  readonly method: string
  readonly url: string
  /** The access token presented with the proof. */
  readonly token: string
  readonly bodyDigest: Uint8Array
  readonly now: number
  /** Allowed difference between the proof's `iat` and `now`, either way, in seconds. */
  readonly clockToleranceSeconds: number
}

/** A verified proof: the thumbprint of its key (RFC 7638) and its `jti`, for the replay cache. */
export interface VerifiedDpopProof {
  readonly jkt: string
  readonly jti: string
  readonly iat: number
}

/**
 * Verifies a DPoP proof as RFC 9449 §4.3 asks, plus the body commitment. Throws `KAS_UNAUTHENTICATED` with the
 * precise reason; never puts the proof or the token in a message.
 * @internal
 */
export async function verifyDpopProof(proof: string | undefined, expect: DpopExpectation): Promise<VerifiedDpopProof> {
  // §4.3 step 1: exactly one DPoP header. A server that joins repeated headers with ", " yields a comma, which
  // no compact JWS contains.
  if (proof === undefined || proof === '') throw unauthenticated('no DPoP proof sent with the DPoP-bound token')
  if (typeof proof !== 'string' || proof.length > MAX_PROOF_LENGTH || !/^[\w-]+\.[\w-]+\.[\w-]+$/.test(proof)) {
    throw unauthenticated('the DPoP header is not one compact JWS')
  }
  let verified: Awaited<ReturnType<typeof jwtVerify>>
  try {
    // §4.3 steps 2-6: well-formed JWT, typ dpop+jwt, asymmetric alg from the allowlist, signed by its own public
    // `jwk` (EmbeddedJWK refuses a private key there), and iat inside the window (maxTokenAge 0 ± tolerance).
    verified = await jwtVerify(proof, EmbeddedJWK, {
      typ: 'dpop+jwt',
      algorithms: [...DPOP_ALGORITHMS],
      currentDate: new Date(expect.now),
      clockTolerance: expect.clockToleranceSeconds,
      maxTokenAge: 0,
      requiredClaims: ['jti', 'htm', 'htu', 'iat'],
    })
  } catch (err) {
    throw unauthenticated(`DPoP proof ${proofFailure(err)}`)
  }
  const { payload, protectedHeader } = verified
  const jti = payload.jti
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > MAX_JTI_LENGTH) {
    throw unauthenticated('DPoP proof jti is missing or too long')
  }
  // §4.3 steps 8-9: the proof is for this method and this URL (query and fragment ignored, RFC 3986 §6 normalised).
  if (payload['htm'] !== expect.method) throw unauthenticated('DPoP proof is for another HTTP method (htm)')
  let htu: string
  try {
    htu = htuOf(String(payload['htu']))
  } catch {
    throw unauthenticated('DPoP proof htu is not a URL')
  }
  if (htu !== htuOf(expect.url)) throw unauthenticated('DPoP proof is for another URL (htu)')
  // §4.3 step 12 (a proof presented with an access token): ath is the hash of exactly this token.
  const ath = decodeDigest(payload['ath'])
  if (ath === null) throw unauthenticated('DPoP proof has no valid ath (hash of the access token)')
  const tokenDigest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(expect.token)))
  if (!constantTimeEqual(ath, tokenDigest)) throw unauthenticated('DPoP proof is for another access token (ath)')
  // arrowseal's addition: the proof commits to the body, so it cannot accompany another request.
  const bsh = decodeDigest(payload[DPOP_BODY_CLAIM])
  if (bsh === null) throw unauthenticated(`DPoP proof has no valid ${DPOP_BODY_CLAIM} (hash of the request body)`)
  if (!constantTimeEqual(bsh, expect.bodyDigest)) {
    throw unauthenticated(`DPoP proof is for another request body (${DPOP_BODY_CLAIM})`)
  }
  const jwk = protectedHeader.jwk
  if (jwk === undefined) throw unauthenticated('DPoP proof has no jwk header')
  const jkt = await calculateJwkThumbprint(jwk, 'sha256')
  return { jkt, jti, iat: payload.iat ?? 0 }
}

function algorithmOf(key: CryptoKey): string {
  const a = key.algorithm as { name: string; namedCurve?: string }
  if (a.name === 'Ed25519') return 'EdDSA'
  if (a.name === 'ECDSA' && a.namedCurve === 'P-256') return 'ES256'
  if (a.name === 'ECDSA' && a.namedCurve === 'P-384') return 'ES384'
  throw new TypeError(`dpopProof: cannot choose an algorithm for a ${a.name} key; pass alg`)
}

/** The URL without query and fragment, normalised by the WHATWG parser (RFC 9449 §4.3 step 9). */
function htuOf(url: string | URL): string {
  const u = new URL(url)
  u.search = ''
  u.hash = ''
  return u.href
}

async function sha256b64(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  return base64url.encode(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)))
}

function decodeDigest(value: unknown): Uint8Array | null {
  if (typeof value !== 'string' || !/^[\w-]{43}$/.test(value)) return null
  try {
    return base64url.decode(value)
  } catch {
    return null
  }
}

function proofFailure(err: unknown): string {
  if (err instanceof errors.JWTExpired) return 'is too old (iat outside the window)'
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'typ') return 'is not typ dpop+jwt'
    if (err.claim === 'iat') return 'is from the future (iat outside the window)'
    return `lacks a valid ${err.claim} claim`
  }
  if (err instanceof errors.JOSEAlgNotAllowed) return 'uses an algorithm that is not allowed'
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'signature does not verify with its jwk'
  return 'is malformed (header, jwk or claims)'
}

// No `cause`: jose's errors carry the claims they refused, and nothing of a credential goes into an error.
function unauthenticated(reason: string): KeyAccessError {
  return new KeyAccessError('KAS_UNAUTHENTICATED', `token rejected: ${reason}`)
}
