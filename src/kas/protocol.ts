/**
 * The key-access gateway's wire protocol (docs/reference/kas-http.md): the canonical request bytes a reader signs,
 * the two signature kinds (hybrid by the identity, or Ed25519 by a session key the identity certified), and the
 * HPKE-sealed response. Core module (Web APIs only): the client and the Node server share it, so both sides
 * encode and check the same bytes.
 *
 * Request bytes (big-endian, every length checked before use, nothing may follow):
 * ```
 * "ASKR" (4) ‖ version u8 = 1 ‖ u8 nonce_length (16…32) ‖ nonce ‖ u64 time_ms ‖ audience (32)
 *   ‖ stream_id (16) ‖ header_digest (32) ‖ u16 role_count (1…1024) ‖ (u8 len ‖ role)*  (ascending, unique)
 *   ‖ ephemeral_key (1216, X-Wing) ‖ u32 header_length (1…HEADER_LIMIT) ‖ header
 * ```
 * @module
 */
import { ed25519 as nobleCurve } from '@noble/curves/ed25519.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { KeyAccessError } from '../errors.js'
import { ByteReader, ByteWriter, constantTimeEqual } from '../format/bytes.js'
import { certifiedBytes, readCredential, type SessionCredential } from '../format/session.js'
import { setupBaseR, setupBaseS } from '../keys/hpke.js'
import type { Identity } from '../keys/identity.js'
import { type PublicKey, parsePublicKey } from '../keys/public-key.js'
import { type Ed25519, hybridVerify, nobleEd25519, signedMessage } from '../keys/sign.js'
import { nobleX25519, type X25519, xwingDecapsulate, xwingKeygen } from '../keys/xwing.js'

/** Signature label of a reader's request (hybrid or session-signed). */
export const REQUEST_LABEL = 'kas request'
/** Label under which an identity certifies a request session key; distinct from writer sessions on purpose. */
export const SESSION_CREDENTIAL_LABEL = 'kas session credential'
/** Label of an administrator's signed command. */
export const ADMIN_LABEL = 'kas admin'
/** HPKE info of the response. */
export const RESPONSE_INFO: Uint8Array = new TextEncoder().encode('arrowseal/v1 kas response')

const MAGIC = [0x41, 0x53, 0x4b, 0x52] // "ASKR"
const VERSION = 1
const XWING_PK = 1216
const XWING_ENC = 1120
const MAX_ROLES = 1024
/** Largest header a request may carry: the gateway's default body limit leaves room for base64 and auth. */
export const MAX_REQUEST_HEADER_BYTES = 512 * 1024
const ROLE_RE = /^[A-Za-z0-9_.:-]{1,128}$/

/** A decoded request. */
export interface KasRequest {
  readonly version: 1
  readonly nonce: Uint8Array
  /** Milliseconds since the Unix epoch, by the client's clock. */
  readonly time: number
  /** Fingerprint of the gateway's public key the request is for. */
  readonly audience: Uint8Array
  readonly streamId: Uint8Array
  readonly headerDigest: Uint8Array
  /** Roles asked for, ascending and unique. */
  readonly roles: readonly string[]
  /** Fresh X-Wing public key the response is sealed to. */
  readonly ephemeralKey: Uint8Array
  readonly header: Uint8Array
}

function invalid(message: string, cause?: unknown): KeyAccessError {
  return new KeyAccessError('KAS_REQUEST_INVALID', message, cause === undefined ? undefined : { cause })
}

/**
 * Encodes a request canonically; refuses fields outside their ranges.
 *
 * @example
 * ```ts
 * const bytes = encodeRequest({ version: 1, nonce, time: Date.now(), audience, streamId, headerDigest,
 *   roles: ['analysts'], ephemeralKey, header })
 * ```
 */
export function encodeRequest(r: KasRequest): Uint8Array {
  if (r.nonce.length < 16 || r.nonce.length > 32) throw new RangeError('nonce must be 16 to 32 bytes')
  if (!Number.isSafeInteger(r.time) || r.time < 0) throw new RangeError('time must be a non-negative integer')
  for (const [v, n, name] of [
    [r.audience, 32, 'audience'],
    [r.streamId, 16, 'streamId'],
    [r.headerDigest, 32, 'headerDigest'],
    [r.ephemeralKey, XWING_PK, 'ephemeralKey'],
  ] as const) {
    if (v.length !== n) throw new RangeError(`${name} must be ${n} bytes`)
  }
  const roles = [...new Set(r.roles)].sort()
  if (roles.length < 1 || roles.length > MAX_ROLES) throw new RangeError(`1 to ${MAX_ROLES} roles`)
  const names = roles.map((x) => {
    if (!ROLE_RE.test(x)) throw new RangeError('a role name is not a policy role name')
    return new TextEncoder().encode(x)
  })
  if (r.header.length < 1 || r.header.length > MAX_REQUEST_HEADER_BYTES) throw new RangeError('header size')
  const size =
    5 + 1 + r.nonce.length + 8 + 32 + 16 + 32 + 2 + names.reduce((a, n) => a + 1 + n.length, 0) + XWING_PK + 4
  const w = new ByteWriter(size + r.header.length)
  w.put(Uint8Array.from(MAGIC)).u8(VERSION).u8(r.nonce.length).put(r.nonce).u64(r.time)
  w.put(r.audience).put(r.streamId).put(r.headerDigest).u16(names.length)
  for (const n of names) w.u8(n.length).put(n)
  w.put(r.ephemeralKey).u32(r.header.length).put(r.header)
  return w.done()
}

/**
 * Decodes request bytes, refusing anything that is not the canonical encoding of a valid request
 * (`KAS_REQUEST_INVALID`). Never allocates more than the input's size.
 *
 * @example
 * ```ts
 * const request = decodeRequest(bytes)
 * ```
 */
export function decodeRequest(bytes: Uint8Array): KasRequest {
  try {
    const r = new ByteReader(bytes, 'kas request')
    const magic = r.bytes(4, 'magic')
    if (MAGIC.some((m, i) => magic[i] !== m)) throw invalid('not an arrowseal key-access request')
    const version = r.u8('version')
    if (version !== VERSION) throw invalid(`request version ${version} is not supported`)
    const nonceLength = r.u8('nonce length')
    if (nonceLength < 16 || nonceLength > 32) throw invalid('the nonce must be 16 to 32 bytes')
    const nonce = r.bytes(nonceLength, 'nonce')
    const time = r.u64('time')
    const audience = r.bytes(32, 'audience')
    const streamId = r.bytes(16, 'stream id')
    const headerDigest = r.bytes(32, 'header digest')
    const count = r.u16('role count')
    if (count < 1 || count > MAX_ROLES) throw invalid(`the request must ask for 1 to ${MAX_ROLES} roles`)
    const roles: string[] = []
    const dec = new TextDecoder('utf-8', { fatal: true })
    for (let i = 0; i < count; i++) {
      const name = dec.decode(r.bytes(r.u8('role length'), 'role'))
      if (!ROLE_RE.test(name)) throw invalid('a role name is not a policy role name')
      if (i > 0 && !(roles[i - 1]! < name)) throw invalid('roles must be ascending and unique')
      roles.push(name)
    }
    const ephemeralKey = r.bytes(XWING_PK, 'ephemeral key')
    const headerLength = r.u32('header length')
    if (headerLength < 1 || headerLength > MAX_REQUEST_HEADER_BYTES) throw invalid('the header size is out of range')
    const header = r.bytes(headerLength, 'header')
    r.end()
    return { version: 1, nonce, time, audience, streamId, headerDigest, roles, ephemeralKey, header }
  } catch (err) {
    if (err instanceof KeyAccessError) throw err
    throw invalid('the request bytes are malformed', err)
  }
}

/** How the reader authenticates a request (the `auth` member of the body). */
export type KasAuth =
  | { readonly kind: 'key'; readonly publicKey: string; readonly signature: string }
  | { readonly kind: 'session'; readonly publicKey: string; readonly credential: string; readonly signature: string }

/** A request session: an Ed25519 key the reader's identity certified for a while. The seed stays in here. */
export interface RequestSession {
  readonly publicKey: string
  readonly credential: Uint8Array
  readonly notAfter: number
  sign(message: Uint8Array): Uint8Array
}

/**
 * Starts a request session: one hybrid signature now, then one Ed25519 signature per request.
 *
 * @example
 * ```ts
 * const session = createRequestSession(reader, 3600)
 * ```
 */
export function createRequestSession(
  identity: Identity,
  lifetimeSeconds = 3600,
  ed: Ed25519 = nobleEd25519,
  now: number = Date.now(),
): RequestSession {
  const seed = crypto.getRandomValues(new Uint8Array(32))
  // The public key: sign-free derivation through noble (the injected impl only signs and verifies).
  const key = ed25519PublicKey(seed)
  const notBefore = Math.floor(now / 1000) - 60
  const window = { key, notBefore, notAfter: notBefore + 60 + lifetimeSeconds }
  const certificate = identity.sign(SESSION_CREDENTIAL_LABEL, certifiedBytes(identity.fingerprint, window))
  const w = new ByteWriter(32 + 16 + certificate.length)
  w.put(key).u64(window.notBefore).u64(window.notAfter).put(certificate)
  const credential = w.done()
  return Object.freeze({
    publicKey: identity.publicKey,
    credential,
    notAfter: window.notAfter * 1000,
    sign: (message: Uint8Array) => ed.sign(seed, signedMessage(REQUEST_LABEL, message)),
    toString: () => 'RequestSession',
    toJSON: () => ({ type: 'RequestSession' }),
  })
}

function ed25519PublicKey(seed: Uint8Array): Uint8Array {
  return nobleCurve.getPublicKey(seed)
}

/**
 * Signs request bytes for `auth.kind = 'key'` (hybrid) or with a session.
 *
 * @example
 * ```ts
 * const auth = signRequest(bytes, reader)
 * ```
 */
export function signRequest(bytes: Uint8Array, signer: Identity | RequestSession, ed?: Ed25519): KasAuth {
  if ('credential' in signer) {
    return {
      kind: 'session',
      publicKey: signer.publicKey,
      credential: b64u(signer.credential),
      signature: b64u(signer.sign(bytes)),
    }
  }
  return { kind: 'key', publicKey: signer.publicKey, signature: b64u(signer.sign(REQUEST_LABEL, bytes, undefined, ed)) }
}

/** A session credential whose certificate verified: the reader's key and what the certificate states. */
export interface VerifiedSession {
  readonly key: PublicKey
  readonly credential: SessionCredential
}

/**
 * Cache of verified session credentials (bounded; successes only), by the credential's text and the reader key's
 * text: a hit skips parsing the ~5 KB key, decoding the ~4.6 KB credential and the hybrid certificate check, so
 * a request of a known session costs one Ed25519 verification. The validity window is checked on every request.
 */
export interface CredentialCache {
  get(publicKey: string, credential: string): VerifiedSession | undefined
  add(publicKey: string, credential: string, session: VerifiedSession): void
}

/**
 * A bounded FIFO map of verified credentials.
 *
 * @example
 * ```ts
 * const cache = credentialCache(10_000)
 * ```
 */
export function credentialCache(max = 10_000): CredentialCache {
  // Keyed by the credential text alone (hashing it is cheaper than hashing both texts joined); the key's text is
  // compared in full on a hit, so another key presenting the same credential misses and is checked from scratch.
  // (The parsed key's text is the canonical lower-case form: a key sent in upper case always misses, safely.)
  const map = new Map<string, VerifiedSession>()
  return {
    get: (publicKey, credential) => {
      const session = map.get(credential)
      return session !== undefined && session.key.text === publicKey ? session : undefined
    },
    add: (publicKey, credential, session) => {
      if (session.key.text !== publicKey) return
      map.delete(credential)
      if (map.size >= max) map.delete(map.keys().next().value!)
      map.set(credential, session)
    },
  }
}

/**
 * Verifies the `auth` of a request; returns the reader's public key. Throws `KAS_UNAUTHENTICATED`.
 *
 * @example
 * ```ts
 * const reader = verifyRequestAuth(auth, bytes, Date.now())
 * ```
 */
export function verifyRequestAuth(
  auth: unknown,
  bytes: Uint8Array,
  now: number,
  options: { ed25519?: Ed25519; cache?: CredentialCache } = {},
): PublicKey {
  const ed = options.ed25519 ?? nobleEd25519
  const fail = (why: string, cause?: unknown) =>
    new KeyAccessError('KAS_UNAUTHENTICATED', `request authentication failed: ${why}`, cause ? { cause } : undefined)
  if (auth === null || typeof auth !== 'object') throw fail('no auth object')
  const a = auth as Record<string, unknown>
  if (typeof a.publicKey !== 'string' || a.publicKey.length > 8192) throw fail('publicKey must be an aseal1 key')
  if (typeof a.signature !== 'string' || a.signature.length > 8192) throw fail('signature must be base64url')
  if (a.kind !== 'key' && a.kind !== 'session') throw fail('auth.kind must be "key" or "session"')
  if (a.kind === 'session' && (typeof a.credential !== 'string' || a.credential.length > 8192)) {
    throw fail('credential must be base64url')
  }
  const signature = fromB64u(a.signature)
  if (signature === null) throw fail('signature is not base64url')
  if (a.kind === 'key') {
    const key = parseReaderKey(a.publicKey, fail)
    if (!hybridVerify(key, REQUEST_LABEL, bytes, signature, ed)) throw fail('the signature does not verify')
    return key
  }
  const credential = a.credential as string
  let session = options.cache?.get(a.publicKey, credential)
  if (session === undefined) {
    session = verifyCredential(parseReaderKey(a.publicKey, fail), credential, now, ed, fail)
    options.cache?.add(a.publicKey, credential, session)
  }
  // On every request, cached or not: a credential verified earlier expires like any other.
  if (!withinWindow(session.credential, now)) throw fail('the session credential is not valid now')
  if (!ed.verify(signature, signedMessage(REQUEST_LABEL, bytes), session.credential.key)) {
    throw fail('the session signature does not verify')
  }
  return session.key
}

type Fail = (why: string, cause?: unknown) => KeyAccessError

function parseReaderKey(text: string, fail: Fail): PublicKey {
  try {
    return parsePublicKey(text)
  } catch (err) {
    throw fail('publicKey does not parse', err)
  }
}

const withinWindow = (cred: SessionCredential, now: number): boolean => {
  const seconds = Math.floor(now / 1000)
  return seconds >= cred.notBefore && seconds <= cred.notAfter
}

/** Decodes a session credential and checks its certificate by `key` (the window first: a cheap refusal). */
function verifyCredential(key: PublicKey, text: string, now: number, ed: Ed25519, fail: Fail): VerifiedSession {
  const raw = fromB64u(text)
  if (raw === null) throw fail('credential is not base64url')
  let credential: SessionCredential
  try {
    const r = new ByteReader(raw, 'kas session credential')
    credential = readCredential(r)
    r.end()
  } catch (err) {
    throw fail('the credential is malformed', err)
  }
  if (!withinWindow(credential, now)) throw fail('the session credential is not valid now')
  const certified = certifiedBytes(key.fingerprint, credential)
  if (!hybridVerify(key, SESSION_CREDENTIAL_LABEL, certified, credential.certificate, ed)) {
    throw fail('the session credential does not verify')
  }
  return { key, credential }
}

/** An ephemeral X-Wing key pair for one request: the secret never leaves this object. */
export interface EphemeralKey {
  readonly publicKey: Uint8Array
  decapsulate(enc: Uint8Array, x?: X25519): Uint8Array
}

/**
 * Draws a fresh X-Wing key pair.
 *
 * @example
 * ```ts
 * const eph = ephemeralKey()
 * ```
 */
export function ephemeralKey(): EphemeralKey {
  const seed = crypto.getRandomValues(new Uint8Array(32))
  const { publicKey, secretKey } = xwingKeygen(seed)
  seed.fill(0)
  return Object.freeze({
    publicKey,
    decapsulate: (enc: Uint8Array, x: X25519 = nobleX25519) => xwingDecapsulate(enc, secretKey, x),
  })
}

/**
 * Encodes granted group keys as a stanza plaintext lays them out: `u16 count ‖ (u16 group ‖ key32)*`, ascending.
 *
 * @example
 * ```ts
 * const pt = encodeGroupKeys(new Map([[1, key]]))
 * ```
 */
export function encodeGroupKeys(keys: ReadonlyMap<number, Uint8Array>): Uint8Array {
  const ids = [...keys.keys()].sort((a, b) => a - b)
  const w = new ByteWriter(2 + 34 * ids.length)
  w.u16(ids.length)
  for (const id of ids) w.u16(id).put(keys.get(id)!)
  return w.done()
}

/**
 * Decodes {@link encodeGroupKeys}; refuses anything else.
 *
 * @example
 * ```ts
 * const keys = decodeGroupKeys(pt)
 * ```
 */
export function decodeGroupKeys(bytes: Uint8Array): Map<number, Uint8Array> {
  const r = new ByteReader(bytes, 'kas response')
  const n = r.u16('group count')
  const out = new Map<number, Uint8Array>()
  let last = -1
  for (let i = 0; i < n; i++) {
    const id = r.u16('group id')
    if (id <= last) throw new KeyAccessError('KAS_RECEIPT_INVALID', 'the response group ids are not ascending')
    last = id
    out.set(id, r.bytes(32, 'group key').slice())
  }
  r.end()
  return out
}

/**
 * Seals the granted keys to the request's ephemeral key: `enc (1120) ‖ AES-GCM ciphertext`, AAD SHA-256(request).
 *
 * @param hash - SHA-256 (default noble's); the gateway passes node:crypto's, ~7× faster on a request of ~10 KB.
 * @example
 * ```ts
 * const sealed = sealResponse(request.ephemeralKey, requestBytes, keys)
 * ```
 */
export function sealResponse(
  ephemeral: Uint8Array,
  requestBytes: Uint8Array,
  keys: ReadonlyMap<number, Uint8Array>,
  x?: X25519,
  hash: (bytes: Uint8Array) => Uint8Array = sha256,
): Uint8Array {
  const s = setupBaseS(ephemeral, RESPONSE_INFO, x ? { x25519: x } : {})
  const pt = encodeGroupKeys(keys)
  const ct = s.seal(hash(requestBytes), pt)
  pt.fill(0)
  const out = new Uint8Array(s.enc.length + ct.length)
  out.set(s.enc, 0)
  out.set(ct, s.enc.length)
  return out
}

/**
 * Opens a sealed response with the request's ephemeral key. Throws `KAS_RECEIPT_INVALID` if it does not open.
 *
 * @example
 * ```ts
 * const keys = openResponse(eph, requestBytes, sealed)
 * ```
 */
export function openResponse(
  eph: EphemeralKey,
  requestBytes: Uint8Array,
  sealed: Uint8Array,
  x?: X25519,
): Map<number, Uint8Array> {
  if (sealed.length < XWING_ENC + 16 + 2) throw new KeyAccessError('KAS_RECEIPT_INVALID', 'the response is short')
  try {
    const r = setupBaseR(eph, sealed.subarray(0, XWING_ENC), RESPONSE_INFO, x ? { x25519: x } : {})
    return decodeGroupKeys(r.open(sha256(requestBytes), sealed.subarray(XWING_ENC)))
  } catch (err) {
    throw new KeyAccessError('KAS_RECEIPT_INVALID', 'the sealed response does not open', { cause: err })
  }
}

/**
 * base64url without padding (RFC 4648 §5).
 *
 * @example
 * ```ts
 * b64u(new Uint8Array([255])) // '_w'
 * ```
 */
export function b64u(bytes: Uint8Array): string {
  let bin = ''
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

const B64U_RE = /^[A-Za-z0-9_-]*$/

/**
 * Decodes canonical base64url without padding, or returns null.
 *
 * @example
 * ```ts
 * fromB64u('_w') // Uint8Array [255]
 * ```
 */
export function fromB64u(text: string): Uint8Array | null {
  if (!B64U_RE.test(text) || text.length % 4 === 1) return null
  let bin: string
  try {
    bin = atob(text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4))
  } catch {
    return null
  }
  // Canonical: the bits of the last character past the data are zero (checked directly; re-encoding the whole
  // text to compare cost more than the decoding on the gateway's request path).
  const rest = text.length % 4
  if (rest !== 0) {
    const last = B64U_ALPHABET.indexOf(text[text.length - 1]!)
    if ((last & (rest === 2 ? 0x0f : 0x03)) !== 0) return null
  }
  const out = new Uint8Array(bin.length)
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i)
  return out
}

const B64U_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

/**
 * Lower-case hex.
 *
 * @example
 * ```ts
 * hex(new Uint8Array([1, 255])) // '01ff'
 * ```
 */
export function hex(bytes: Uint8Array): string {
  let s = ''
  for (const b of bytes) s += b.toString(16).padStart(2, '0')
  return s
}

/**
 * The principal name of a key: `key:` and its fingerprint in hex.
 *
 * @example
 * ```ts
 * keyPrincipal(reader.publicKeyObject) // 'key:3f…'
 * ```
 */
export function keyPrincipal(key: PublicKey): string {
  return `key:${hex(key.fingerprint)}`
}

/** True when `a` and `b` are the same bytes (constant time). */
export const sameBytes = constantTimeEqual
