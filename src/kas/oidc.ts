/**
 * OIDC principals for the key-access gateway: verifies a DPoP-bound access (or ID) token from a configured issuer
 * and the DPoP proof that comes with it, and names the principal `oidc:<issuer>#<sub>`.
 *
 * Only sender-constrained tokens are accepted (`cnf.jkt`, RFC 9449 §6): a bearer token, one that anybody who saw
 * it could replay, is refused. So a stolen token alone is useless: the thief also needs the private key whose
 * thumbprint the issuer put in the token, because every request needs a fresh proof signed by it, and that proof
 * commits to the method, the URL, the token and the request body. Web APIs only (jose on fetch and Web Crypto).
 *
 * @module
 */
import { createRemoteJWKSet, decodeJwt, errors, type JWTVerifyGetKey, jwtVerify } from 'jose'
import { KeyAccessError } from '../errors.js'
import { concatAll, constantTimeEqual } from '../format/bytes.js'
import { BoundedMap } from '../util/bounded-map.js'
import { verifyDpopProof } from './dpop.js'
import { orDefault } from './or-default.js'
import type { OidcConfig, OidcIssuerConfig, PrincipalName, TokenAuthenticator, TokenAuthInput } from './types.js'

/** Default of `clockToleranceSeconds`: allowed clock difference for the token's `exp`/`nbf` and the proof's `iat`. */
export const OIDC_DEFAULT_CLOCK_TOLERANCE_SECONDS = 60
/** How many DPoP proof ids (`jti`) the authenticator remembers, at most, to refuse a proof used twice. */
export const OIDC_REPLAY_CACHE_SIZE = 100_000

// Token signature algorithms: asymmetric only, as the issuer publishes public keys (RFC 8725 §3.1).
const TOKEN_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
]
const MAX_TOKEN_LENGTH = 16_384
const SUBJECT_RE = /^[\x21-\x7e]{1,255}$/
const DISCOVERY_TIMEOUT_MS = 5_000
const MAX_DISCOVERY_BYTES = 256 * 1024

interface Issuer {
  readonly config: OidcIssuerConfig
  jwks: Promise<JWTVerifyGetKey> | undefined
}

/**
 * Creates the gateway's {@link TokenAuthenticator} for the configured issuers. Each issuer's keys come from its
 * `jwksUri`, or from its discovery document (`<issuer>/.well-known/openid-configuration`), fetched on first use and
 * cached (jose's remote JWKS: refreshed every 10 minutes, and at most every 30 s when a token names an unknown key).
 * Issuer and JWKS URLs must be `https:`, except on loopback (`127.0.0.0/8`, `[::1]`, `localhost`).
 *
 * `authenticate` refuses, each with `KeyAccessError` `KAS_UNAUTHENTICATED` and the reason in the message: a
 * missing or non-`DPoP` authorization, a token of an unknown issuer, a bad signature, another audience, an expired
 * or not yet valid token, a token not bound to a key (no `cnf.jkt`), a missing proof, a proof signed by another
 * key, or a proof for another method, URL, token or body, or outside the clock window. A proof used twice is
 * `KAS_REPLAYED`; an issuer that cannot be reached is `KAS_UNAVAILABLE`.
 *
 * @example
 * ```ts
 * import { createOidcAuthenticator } from 'arrowseal/kas'
 * const tokens = createOidcAuthenticator({
 *   issuers: [{ issuer: 'https://login.example.com', audience: 'https://kas.example.com' }],
 *   clockToleranceSeconds: 30,
 * })
 * // In the gateway: await tokens.authenticate({ authorization, dpop, method, url, bodyDigest, now: Date.now() })
 * console.log(typeof tokens.authenticate) // 'function'
 * ```
 */
export function createOidcAuthenticator(config: OidcConfig): TokenAuthenticator {
  if (typeof config !== 'object' || config === null) throw new TypeError('oidc: the configuration must be an object')
  const tolerance = orDefault(config.clockToleranceSeconds, OIDC_DEFAULT_CLOCK_TOLERANCE_SECONDS)
  if (!Number.isFinite(tolerance) || tolerance < 0 || tolerance > 3600) {
    throw new RangeError('oidc: clockToleranceSeconds must be between 0 and 3600')
  }
  if (!Array.isArray(config.issuers) || config.issuers.length === 0) {
    throw new TypeError('oidc: issuers must be a non-empty list')
  }
  const issuers = new Map<string, Issuer>()
  for (const [i, issuer] of config.issuers.entries()) {
    checkIssuerConfig(issuer, i)
    if (issuers.has(issuer.issuer)) throw new TypeError(`oidc: issuers[${i}]: issuer ${issuer.issuer} is listed twice`)
    issuers.set(issuer.issuer, { config: issuer, jwks: undefined })
  }
  // jkt + jti → when the proof stops being acceptable anyway; bounded, so the oldest ids go first.
  const seenProofs = new BoundedMap<string, number>(OIDC_REPLAY_CACHE_SIZE)

  return {
    async authenticate(input: TokenAuthInput) {
      checkInput(input)
      const token = bearerOf(input.authorization)
      // Before any fetch or crypto: a token presented without its key proof is refused outright.
      if (input.dpop === undefined || input.dpop === '') {
        throw unauthenticated('no DPoP proof: the token must come with a proof by the key it is bound to')
      }
      const issuer = issuerOf(token, issuers)
      const keys = await jwksOf(issuer)
      let payload: Awaited<ReturnType<typeof jwtVerify>>['payload']
      let typ: string | undefined
      try {
        const verified = await jwtVerify(token, keys, {
          issuer: issuer.config.issuer,
          audience: issuer.config.audience,
          algorithms: TOKEN_ALGORITHMS,
          clockTolerance: tolerance,
          currentDate: new Date(input.now),
          requiredClaims: ['exp', 'sub'],
        })
        payload = verified.payload
        typ = verified.protectedHeader.typ
      } catch (err) {
        throw tokenFailure(err)
      }
      // An access token (RFC 9068 at+jwt) or an ID token (JWT or no typ); not a logout token, proof or other JWT.
      const t = typ?.toLowerCase().replace(/^application\//, '')
      if (t !== undefined && t !== 'jwt' && t !== 'at+jwt') throw unauthenticated('token is not an access or ID token')
      const subject = payload.sub
      // OpenID Connect Core §2: sub is at most 255 ASCII characters; printable ones only, as principal names are.
      if (typeof subject !== 'string' || !SUBJECT_RE.test(subject)) {
        throw unauthenticated('token sub is not 1 to 255 printable ASCII characters')
      }
      // RFC 9449 §6.1: the token names the thumbprint of the key it is bound to.
      const cnf = payload['cnf'] as { jkt?: unknown } | undefined
      const jkt = typeof cnf === 'object' && cnf !== null ? cnf.jkt : undefined
      if (typeof jkt !== 'string' || jkt.length === 0) {
        throw unauthenticated('token is not bound to a key (no cnf.jkt): only DPoP-bound tokens are accepted')
      }
      const proof = await verifyDpopProof(input.dpop, {
        method: input.method,
        url: input.url,
        token,
        bodyDigest: input.bodyDigest,
        now: input.now,
        clockToleranceSeconds: tolerance,
      })
      // RFC 9449 §4.3 step 12: the proof's key is the one the token is bound to.
      if (!sameText(proof.jkt, jkt))
        throw unauthenticated('DPoP proof is signed by another key than the token is bound to')
      const replayKey = `${proof.jkt} ${proof.jti}`
      const until = seenProofs.get(replayKey)
      if (until !== undefined && until >= input.now) {
        throw new KeyAccessError('KAS_REPLAYED', 'token rejected: DPoP proof was already used (jti seen before)')
      }
      seenProofs.set(replayKey, (proof.iat + tolerance) * 1000 + 1000)
      const principal: PrincipalName = `oidc:${issuer.config.issuer}#${subject}`
      return { principal, oidc: { issuer: issuer.config.issuer, subject } }
    },
  }
}

/** The server's side of the call: wrong types here are a bug of the caller, not a bad request. */
function checkInput(input: TokenAuthInput): void {
  if (typeof input !== 'object' || input === null) throw new TypeError('oidc: authenticate needs an input object')
  if (typeof input.method !== 'string') throw new TypeError('oidc: input.method must be a string')
  if (typeof input.url !== 'string' || !URL.canParse(input.url)) throw new TypeError('oidc: input.url must be a URL')
  if (!(input.bodyDigest instanceof Uint8Array) || input.bodyDigest.length !== 32) {
    throw new TypeError('oidc: input.bodyDigest must be 32 bytes (SHA-256 of the body)')
  }
  if (typeof input.now !== 'number' || !Number.isFinite(input.now))
    throw new TypeError('oidc: input.now must be a finite number')
}

function checkIssuerConfig(issuer: OidcIssuerConfig, i: number): void {
  if (typeof issuer !== 'object' || issuer === null) throw new TypeError(`oidc: issuers[${i}] must be an object`)
  const url = checkUrl(issuer.issuer, `issuers[${i}].issuer`)
  if (!SUBJECT_RE.test(issuer.issuer))
    throw new TypeError(`oidc: issuers[${i}].issuer must be 1 to 255 printable ASCII characters`)
  // OpenID Connect Discovery §2: an issuer is a URL without query or fragment; the principal name relies on it.
  if (url.search !== '' || url.hash !== '' || issuer.issuer.includes('#') || issuer.issuer.includes('?')) {
    throw new TypeError(`oidc: issuers[${i}].issuer must have no query or fragment`)
  }
  if (typeof issuer.audience !== 'string' || issuer.audience.length === 0) {
    throw new TypeError(`oidc: issuers[${i}].audience must be a non-empty string`)
  }
  if (issuer.jwksUri !== undefined) checkUrl(issuer.jwksUri, `issuers[${i}].jwksUri`)
}

function checkUrl(text: unknown, what: string): URL {
  if (typeof text !== 'string' || !URL.canParse(text)) throw new TypeError(`oidc: ${what} must be a URL`)
  const url = new URL(text)
  if (url.protocol === 'https:') return url
  if (url.protocol === 'http:' && isLoopback(url.hostname)) return url
  throw new TypeError(`oidc: ${what} must be https: (http: only on loopback)`)
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname)
}

/** The token of an `Authorization: DPoP <token>` header (RFC 9449 §7.1; the scheme is case-insensitive). */
function bearerOf(authorization: string): string {
  if (typeof authorization !== 'string' || authorization === '') throw unauthenticated('no Authorization header')
  const m = /^(\S+) +(\S+)$/.exec(authorization)
  if (m === null) throw unauthenticated('the Authorization header is not "DPoP <token>"')
  if (m[1]!.toLowerCase() !== 'dpop') {
    throw unauthenticated(`the Authorization scheme must be DPoP, not ${m[1]!.slice(0, 16)}: bearer tokens are refused`)
  }
  const token = m[2]!
  if (token.length > MAX_TOKEN_LENGTH || !/^[\w-]+\.[\w-]+\.[\w-]+$/.test(token)) {
    throw unauthenticated('the token is not a signed JWT (compact JWS)')
  }
  return token
}

/** The configured issuer the token names. Reading `iss` before verifying only picks the keys to verify with. */
function issuerOf(token: string, issuers: ReadonlyMap<string, Issuer>): Issuer {
  let iss: unknown
  try {
    iss = decodeJwt(token).iss
  } catch {
    throw unauthenticated('the token is not a JWT')
  }
  const issuer = typeof iss === 'string' ? issuers.get(iss) : undefined
  if (issuer === undefined) throw unauthenticated('the token is from an issuer this gateway does not trust')
  return issuer
}

function jwksOf(issuer: Issuer): Promise<JWTVerifyGetKey> {
  if (issuer.jwks === undefined) {
    const p = resolveJwksUri(issuer.config).then((uri) => createRemoteJWKSet(uri))
    issuer.jwks = p
    // A failed discovery is not remembered: the next request tries again.
    p.catch(() => {
      if (issuer.jwks === p) issuer.jwks = undefined
    })
  }
  return issuer.jwks
}

async function resolveJwksUri(config: OidcIssuerConfig): Promise<URL> {
  if (config.jwksUri !== undefined) return new URL(config.jwksUri)
  const where = `${config.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`
  let doc: unknown
  try {
    const res = await fetch(where, {
      headers: { accept: 'application/json' },
      redirect: 'error',
      signal: AbortSignal.timeout(DISCOVERY_TIMEOUT_MS),
    })
    if (res.status !== 200) throw new Error(`HTTP ${res.status}`)
    doc = JSON.parse(await boundedText(res, MAX_DISCOVERY_BYTES))
  } catch (err) {
    throw new KeyAccessError('KAS_UNAVAILABLE', `identity provider ${config.issuer}: discovery failed`, { cause: err })
  }
  const meta = (typeof doc === 'object' && doc !== null ? doc : {}) as { issuer?: unknown; jwks_uri?: unknown }
  // OpenID Connect Discovery §4.3: the document must name exactly the issuer it was fetched for.
  if (meta.issuer !== config.issuer) {
    throw new KeyAccessError('KAS_UNAVAILABLE', `identity provider ${config.issuer}: discovery names another issuer`)
  }
  try {
    return checkUrl(meta.jwks_uri, 'jwks_uri')
  } catch {
    throw new KeyAccessError('KAS_UNAVAILABLE', `identity provider ${config.issuer}: discovery has no usable jwks_uri`)
  }
}

/** The body as text, read no further than `max` bytes (an issuer is trusted, but not to fill our memory). */
async function boundedText(res: Response, max: number): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? '0')
  if (declared > max) throw new Error('document too large')
  if (res.body === null) return ''
  const reader = res.body.getReader()
  const parts: Uint8Array[] = []
  let n = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    n += value.length
    if (n > max) {
      await reader.cancel()
      throw new Error('document too large')
    }
    parts.push(value)
  }
  return new TextDecoder().decode(concatAll(parts))
}

function tokenFailure(err: unknown): KeyAccessError {
  // jose's remote JWKS: a timeout, an unusable set, a non-200 answer (the generic JOSEError) or a failed fetch.
  const generic = err instanceof errors.JOSEError && err.code === 'ERR_JOSE_GENERIC'
  if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid || generic || err instanceof TypeError) {
    return new KeyAccessError('KAS_UNAVAILABLE', "identity provider's keys (JWKS) could not be fetched")
  }
  if (err instanceof KeyAccessError) return err
  if (err instanceof errors.JWTExpired) return unauthenticated('token has expired (exp)')
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'aud') return unauthenticated('token is for another audience (aud)')
    if (err.claim === 'iss') return unauthenticated('token is from an issuer this gateway does not trust')
    if (err.claim === 'nbf') return unauthenticated('token is not yet valid (nbf)')
    return unauthenticated(`token lacks a valid ${err.claim} claim`)
  }
  if (err instanceof errors.JWKSNoMatchingKey)
    return unauthenticated("token is signed by a key the issuer doesn't publish")
  if (err instanceof errors.JWKSMultipleMatchingKeys) return unauthenticated('token names an ambiguous key (kid)')
  if (err instanceof errors.JWSSignatureVerificationFailed) return unauthenticated('token signature does not verify')
  if (err instanceof errors.JOSEAlgNotAllowed) return unauthenticated('token uses an algorithm that is not allowed')
  return unauthenticated('token is malformed')
}

function sameText(a: string, b: string): boolean {
  const enc = new TextEncoder()
  return constantTimeEqual(enc.encode(a), enc.encode(b))
}

// No `cause`: jose's errors carry the claims they refused, and nothing of a credential goes into an error.
function unauthenticated(reason: string): KeyAccessError {
  return new KeyAccessError('KAS_UNAUTHENTICATED', `token rejected: ${reason}`)
}
