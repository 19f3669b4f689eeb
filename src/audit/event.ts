/**
 * Audit events: a typed, versioned, canonical binary encoding (one byte sequence per event), the bytes a log
 * stores as a leaf.
 *
 * ```
 * "ASAE" (4) ‖ version 0x01 ‖ field*      field = tag (u8) ‖ length (u16, big-endian) ‖ value
 * ```
 *
 * Fields appear in strictly increasing tag order, each at most once; every tag is known (a new field is a new
 * version); fixed-size fields have their exact size; lists are sorted and without duplicates. The decoder refuses
 * anything else, so `encode(decode(b))` equals `b` for every accepted `b`.
 *
 * Nothing free-form can be stored: names, reasons and ids are restricted tokens, and the only byte fields are a
 * key fingerprint, a stream id and a header digest of fixed sizes. No key, no secret and no sealed field value
 * fits in an event.
 *
 * @module
 */
import { FormatError } from '../errors.js'
import { isBytes } from '../keys/assert.js'

/**
 * What the gateway decided. `admin` records an administrative act, `alert` a security signal.
 *
 * @example
 * ```ts
 * const d: AuditDecision = 'deny'
 * ```
 */
export type AuditDecision = 'grant' | 'deny' | 'admin' | 'alert'

/**
 * Who asked: at least one of the three.
 *
 * @example
 * ```ts
 * const who: AuditPrincipal = { oidc: { issuer: 'https://idp.example', subject: 'u-123' } }
 * ```
 */
export interface AuditPrincipal {
  /** An application principal id, a token of `[A-Za-z0-9_.:@/-]`, 1–128 characters. */
  readonly id?: string
  /** SHA-256 fingerprint of the principal's arrowseal public key, 32 bytes. */
  readonly keyFingerprint?: Uint8Array
  /** An OIDC identity: issuer URL and subject (printable ASCII without spaces, 1–255 characters each). */
  readonly oidc?: { readonly issuer: string; readonly subject: string }
}

/**
 * One audit event.
 *
 * @example
 * ```ts
 * const event: AuditEvent = {
 *   version: 1, decision: 'deny', time: Date.now(), who: { id: 'svc-batch' },
 *   rolesAsked: ['support'], rolesGranted: [], reason: 'ROLE_NOT_HELD', requestId: 'req-9',
 * }
 * ```
 */
export interface AuditEvent {
  /** Event format version; 1. */
  readonly version: 1
  readonly decision: AuditDecision
  /** Milliseconds since the Unix epoch (UTC), a safe non-negative integer. */
  readonly time: number
  readonly who: AuditPrincipal
  /** The sealed stream's 16-byte `stream_id` (docs/format.md §Header), when the event concerns one. */
  readonly streamId?: Uint8Array
  /** SHA-256 of the stream's header bytes, 32 bytes, when the event concerns one. */
  readonly headerDigest?: Uint8Array
  /** Roles asked for and granted (policy role names). Sorted and de-duplicated on encoding. */
  readonly rolesAsked: readonly string[]
  readonly rolesGranted: readonly string[]
  /** Why: an upper-case code such as `POLICY_MATCH` or `ROLE_NOT_HELD`, 1–64 characters `[A-Z0-9_]`. */
  readonly reason: string
  /** The request's id, for correlation with service logs: `[A-Za-z0-9._:-]`, 1–128 characters. */
  readonly requestId: string
}

/**
 * Largest encoded event accepted, 16 KiB.
 *
 * @example
 * ```ts
 * if (bytes.length > MAX_AUDIT_EVENT_BYTES) throw new Error('not an event')
 * ```
 */
export const MAX_AUDIT_EVENT_BYTES = 16 * 1024

const MAGIC = [0x41, 0x53, 0x41, 0x45] // "ASAE"
const VERSION = 1

const TAG = {
  decision: 0x01,
  time: 0x02,
  principalId: 0x03,
  keyFingerprint: 0x04,
  oidcIssuer: 0x05,
  oidcSubject: 0x06,
  streamId: 0x07,
  headerDigest: 0x08,
  rolesAsked: 0x09,
  rolesGranted: 0x0a,
  reason: 0x0b,
  requestId: 0x0c,
} as const

const DECISIONS: readonly AuditDecision[] = ['grant', 'deny', 'admin', 'alert']
const MAX_ROLES = 64

const PRINCIPAL_RE = /^[A-Za-z0-9_.:@/-]{1,128}$/
const OIDC_RE = /^[\x21-\x7e]{1,255}$/
const ROLE_RE = /^[A-Za-z0-9_.:-]{1,128}$/ // the policy's role grammar (src/policy/policy.ts)
const REASON_RE = /^[A-Z][A-Z0-9_]{0,63}$/
const REQUEST_RE = /^[A-Za-z0-9._:-]{1,128}$/
const SECRET_RE = /SECRET-?KEY/i

/**
 * Encode an event canonically. Throws `TypeError`/`RangeError` for a field of the wrong type or grammar.
 *
 * @example
 * ```ts
 * import { encodeAuditEvent } from 'arrowseal'
 * const bytes = encodeAuditEvent({
 *   version: 1, decision: 'grant', time: Date.now(), who: { id: 'svc-billing' },
 *   rolesAsked: ['analysts'], rolesGranted: ['analysts'], reason: 'POLICY_MATCH', requestId: 'req-1',
 * })
 * ```
 */
export function encodeAuditEvent(event: AuditEvent): Uint8Array {
  if (event === null || typeof event !== 'object') throw new TypeError('"event" must be an object')
  if (event.version !== VERSION) throw new RangeError('"event.version" must be 1')
  const out: number[] = [...MAGIC, VERSION]
  const field = (tag: number, value: ArrayLike<number>): void => {
    out.push(tag, value.length >>> 8, value.length & 0xff)
    for (let i = 0; i < value.length; i++) out.push(value[i]!)
  }
  const d = DECISIONS.indexOf(event.decision)
  if (d < 0) throw new RangeError('"event.decision" must be grant, deny, admin or alert')
  field(TAG.decision, [d + 1])
  if (!Number.isSafeInteger(event.time) || event.time < 0) {
    throw new RangeError('"event.time" must be a safe non-negative integer (ms)')
  }
  field(TAG.time, u64(event.time))
  const who = event.who
  if (who === null || typeof who !== 'object') throw new TypeError('"event.who" must be an object')
  if (who.id === undefined && who.keyFingerprint === undefined && who.oidc === undefined) {
    throw new RangeError('"event.who" needs an id, a keyFingerprint or an oidc identity')
  }
  if (who.id !== undefined) field(TAG.principalId, token(who.id, PRINCIPAL_RE, 'event.who.id'))
  if (who.keyFingerprint !== undefined) field(TAG.keyFingerprint, fixed(who.keyFingerprint, 32, 'keyFingerprint'))
  if (who.oidc !== undefined) {
    if (who.oidc === null || typeof who.oidc !== 'object') throw new TypeError('"event.who.oidc" must be an object')
    field(TAG.oidcIssuer, token(who.oidc.issuer, OIDC_RE, 'event.who.oidc.issuer'))
    field(TAG.oidcSubject, token(who.oidc.subject, OIDC_RE, 'event.who.oidc.subject'))
  }
  if (event.streamId !== undefined) field(TAG.streamId, fixed(event.streamId, 16, 'streamId'))
  if (event.headerDigest !== undefined) field(TAG.headerDigest, fixed(event.headerDigest, 32, 'headerDigest'))
  field(TAG.rolesAsked, roleList(event.rolesAsked, 'event.rolesAsked'))
  field(TAG.rolesGranted, roleList(event.rolesGranted, 'event.rolesGranted'))
  field(TAG.reason, token(event.reason, REASON_RE, 'event.reason'))
  field(TAG.requestId, token(event.requestId, REQUEST_RE, 'event.requestId'))
  return new Uint8Array(out)
}

/**
 * Decode an event, refusing with `FORMAT_INVALID` (or `FORMAT_UNSUPPORTED` for another version) anything that is
 * not the canonical encoding of a valid event.
 *
 * @example
 * ```ts
 * import { decodeAuditEvent } from 'arrowseal'
 * const event = decodeAuditEvent(await log.entry(7))
 * console.log(event.decision, event.who.id)
 * ```
 */
export function decodeAuditEvent(bytes: Uint8Array): AuditEvent {
  if (!isBytes(bytes)) throw new TypeError('"bytes" must be a Uint8Array')
  if (bytes.length > MAX_AUDIT_EVENT_BYTES) throw bad(`the event is larger than ${MAX_AUDIT_EVENT_BYTES} bytes`)
  if (bytes.length < 5 || MAGIC.some((m, i) => bytes[i] !== m)) throw bad('not an arrowseal audit event')
  if (bytes[4] !== VERSION)
    throw new FormatError('FORMAT_UNSUPPORTED', `audit event version ${bytes[4]} is not supported`)
  const fields = new Map<number, Uint8Array>()
  let pos = 5
  let last = 0
  while (pos < bytes.length) {
    if (pos + 3 > bytes.length) throw bad('an event field header is cut short')
    const tag = bytes[pos]!
    const len = (bytes[pos + 1]! << 8) | bytes[pos + 2]!
    pos += 3
    if (tag <= last) throw bad('event fields are out of order or repeated')
    if (tag > TAG.requestId) throw bad(`unknown event field tag ${tag}`)
    if (pos + len > bytes.length) throw bad('an event field is cut short')
    fields.set(tag, bytes.subarray(pos, pos + len))
    pos += len
    last = tag
  }
  const need = (tag: number, name: string): Uint8Array => {
    const v = fields.get(tag)
    if (v === undefined) throw bad(`the event has no ${name}`)
    return v
  }
  const dec = need(TAG.decision, 'decision')
  if (dec.length !== 1 || dec[0]! < 1 || dec[0]! > DECISIONS.length) throw bad('the event decision is invalid')
  const t = need(TAG.time, 'time')
  if (t.length !== 8) throw bad('the event time is not 8 bytes')
  const hi = ((t[0]! << 24) | (t[1]! << 16) | (t[2]! << 8) | t[3]!) >>> 0
  const lo = ((t[4]! << 24) | (t[5]! << 16) | (t[6]! << 8) | t[7]!) >>> 0
  if (hi > 0x1fffff) throw bad('the event time is larger than 2^53 - 1')
  const time = hi * 2 ** 32 + lo
  const who: { id?: string; keyFingerprint?: Uint8Array; oidc?: { issuer: string; subject: string } } = {}
  const pid = fields.get(TAG.principalId)
  if (pid !== undefined) who.id = readToken(pid, PRINCIPAL_RE, 'principal id')
  const fp = fields.get(TAG.keyFingerprint)
  if (fp !== undefined) who.keyFingerprint = readFixed(fp, 32, 'key fingerprint')
  const iss = fields.get(TAG.oidcIssuer)
  const sub = fields.get(TAG.oidcSubject)
  if ((iss === undefined) !== (sub === undefined)) throw bad('the event has half an OIDC identity')
  if (iss !== undefined && sub !== undefined) {
    who.oidc = { issuer: readToken(iss, OIDC_RE, 'OIDC issuer'), subject: readToken(sub, OIDC_RE, 'OIDC subject') }
  }
  if (pid === undefined && fp === undefined && iss === undefined) throw bad('the event names no principal')
  const sid = fields.get(TAG.streamId)
  const hd = fields.get(TAG.headerDigest)
  const event: AuditEvent = {
    version: 1,
    decision: DECISIONS[dec[0]! - 1]!,
    time,
    who,
    ...(sid === undefined ? {} : { streamId: readFixed(sid, 16, 'stream id') }),
    ...(hd === undefined ? {} : { headerDigest: readFixed(hd, 32, 'header digest') }),
    rolesAsked: readRoles(need(TAG.rolesAsked, 'roles asked')),
    rolesGranted: readRoles(need(TAG.rolesGranted, 'roles granted')),
    reason: readToken(need(TAG.reason, 'reason'), REASON_RE, 'reason'),
    requestId: readToken(need(TAG.requestId, 'request id'), REQUEST_RE, 'request id'),
  }
  return event
}

function u64(n: number): number[] {
  const hi = Math.floor(n / 2 ** 32)
  const lo = n % 2 ** 32
  return [
    hi >>> 24,
    (hi >>> 16) & 0xff,
    (hi >>> 8) & 0xff,
    hi & 0xff,
    lo >>> 24,
    (lo >>> 16) & 0xff,
    (lo >>> 8) & 0xff,
    lo & 0xff,
  ]
}

function ascii(s: string): number[] {
  const out: number[] = []
  for (let i = 0; i < s.length; i++) out.push(s.charCodeAt(i))
  return out
}

function token(value: unknown, re: RegExp, name: string): number[] {
  if (typeof value !== 'string') throw new TypeError(`"${name}" must be a string`)
  if (!re.test(value)) throw new RangeError(`"${name}" does not match ${re.source}`)
  // A guard against accidents: an arrowseal secret key text pasted into an id field is refused, not logged.
  if (SECRET_RE.test(value)) throw new RangeError(`"${name}" looks like a secret key`)
  return ascii(value)
}

function fixed(value: unknown, size: number, name: string): Uint8Array {
  if (!isBytes(value)) throw new TypeError(`"${name}" must be a Uint8Array`)
  if (value.length !== size) throw new RangeError(`"${name}" must be ${size} bytes, got ${value.length}`)
  return value
}

function roleList(value: unknown, name: string): number[] {
  if (!Array.isArray(value)) throw new TypeError(`"${name}" must be an array of role names`)
  if (value.length > MAX_ROLES) throw new RangeError(`"${name}" has more than ${MAX_ROLES} roles`)
  for (const r of value) token(r, ROLE_RE, name)
  // Canonical: sorted by code unit (= byte order for ASCII), duplicates dropped.
  const sorted = [...new Set(value as string[])].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  const out: number[] = []
  for (const r of sorted) out.push(r.length, ...ascii(r))
  return out
}

function readToken(v: Uint8Array, re: RegExp, name: string): string {
  let s = ''
  for (const b of v) s += String.fromCharCode(b)
  if (!re.test(s) || SECRET_RE.test(s)) throw bad(`the event ${name} is not a valid token`)
  return s
}

function readFixed(v: Uint8Array, size: number, name: string): Uint8Array {
  if (v.length !== size) throw bad(`the event ${name} is not ${size} bytes`)
  return v.slice()
}

function readRoles(v: Uint8Array): string[] {
  const roles: string[] = []
  let pos = 0
  while (pos < v.length) {
    const len = v[pos]!
    if (pos + 1 + len > v.length) throw bad('a role name is cut short')
    const r = readToken(v.subarray(pos + 1, pos + 1 + len), ROLE_RE, 'role name')
    if (roles.length > 0 && !(roles[roles.length - 1]! < r)) throw bad('event roles are not sorted and unique')
    roles.push(r)
    if (roles.length > MAX_ROLES) throw bad(`the event has more than ${MAX_ROLES} roles`)
    pos += 1 + len
  }
  return roles
}

function bad(message: string): FormatError {
  return new FormatError('FORMAT_INVALID', message)
}
