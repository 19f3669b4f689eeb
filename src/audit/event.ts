/**
 * Audit events: a typed, versioned, canonical binary encoding (one byte sequence per event), the bytes a log
 * stores as a leaf.
 *
 * ```
 * "ASAE" (4) ‖ version 0x01 or 0x02 ‖ field*      field = tag (u8) ‖ length (u16, big-endian) ‖ value
 * ```
 *
 * Fields appear in strictly increasing tag order, each at most once; every tag is known (a new field is a new
 * version); fixed-size fields have their exact size; lists are sorted and without duplicates. The decoder refuses
 * anything else, so `encode(decode(b))` equals `b` for every accepted `b`.
 *
 * Version 2 adds the `target` of an administrative act (the principal acted on, and the role, dataset and validity
 * of an entitlement) and is used exactly when an event has one, so every event without a target keeps its version 1
 * bytes and readers that only know version 1 keep reading grants, denials and alerts.
 *
 * Nothing free-form can be stored: names, reasons and ids are restricted tokens, a dataset is a dataset name of the
 * header format, and the only byte fields are key fingerprints, a stream id and a header digest of fixed sizes. No
 * key, no secret and no sealed field value fits in an event.
 *
 * @module
 */
import { FormatError } from '../errors.js'
import { datasetProblem } from '../format/service.js'
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
 * What an administrative act was done to: the principal acted on and, for an entitlement, its role, dataset and
 * validity, so that an auditor can tell who granted what to whom, and when, from the log alone.
 *
 * @example
 * ```ts
 * const target: AuditTarget = {
 *   principal: { oidc: { issuer: 'https://idp.example', subject: 'u-123' } },
 *   role: 'analysts', dataset: 'sales', notBefore: 0,
 * }
 * ```
 */
export interface AuditTarget {
  /** The principal acted on (the entitlement holder, the suspended principal). */
  readonly principal: AuditPrincipal
  /** The entitlement's role (policy role grammar). */
  readonly role?: string
  /**
   * The entitlement's dataset as the gateway stores it: `*` for every dataset, or a dataset name of the header format
   * (UTF-8 without control characters, at most 256 bytes; may be empty, the unnamed dataset).
   */
  readonly dataset?: string
  /** Start of the entitlement's validity, ms since the Unix epoch. */
  readonly notBefore?: number
  /** End of the entitlement's validity, ms since the Unix epoch, after `notBefore` when both are given. */
  readonly notAfter?: number
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
  /** Event format version: 2 exactly when the event has a {@link AuditEvent.target}, else 1. */
  readonly version: 1 | 2
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
  /** What an administrative act was done to (version 2 only). */
  readonly target?: AuditTarget
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
  // Version 2: the target of an administrative act.
  targetId: 0x0d,
  targetKeyFingerprint: 0x0e,
  targetOidcIssuer: 0x0f,
  targetOidcSubject: 0x10,
  targetRole: 0x11,
  targetDataset: 0x12,
  targetNotBefore: 0x13,
  targetNotAfter: 0x14,
} as const

/** The tags of a principal's fields, for `who` and for `target.principal`. */
interface PrincipalTags {
  readonly id: number
  readonly keyFingerprint: number
  readonly oidcIssuer: number
  readonly oidcSubject: number
}
const WHO_TAGS: PrincipalTags = {
  id: TAG.principalId,
  keyFingerprint: TAG.keyFingerprint,
  oidcIssuer: TAG.oidcIssuer,
  oidcSubject: TAG.oidcSubject,
}
const TARGET_TAGS: PrincipalTags = {
  id: TAG.targetId,
  keyFingerprint: TAG.targetKeyFingerprint,
  oidcIssuer: TAG.targetOidcIssuer,
  oidcSubject: TAG.targetOidcSubject,
}
/** The last tag each version knows. */
const LAST_TAG: Readonly<Record<number, number>> = { 1: TAG.requestId, 2: TAG.targetNotAfter }

const DECISIONS: readonly AuditDecision[] = ['grant', 'deny', 'admin', 'alert']
const MAX_ROLES = 64

const PRINCIPAL_RE = /^[A-Za-z0-9_.:@/-]{1,128}$/
const OIDC_RE = /^[\x21-\x7e]{1,255}$/
const ROLE_RE = /^[A-Za-z0-9_.:-]{1,128}$/ // the policy's role grammar (src/policy/policy.ts)
const REASON_RE = /^[A-Z][A-Z0-9_]{0,63}$/
const REQUEST_RE = /^[A-Za-z0-9._:-]{1,128}$/
const SECRET_RE = /SECRET-?KEY/i

/**
 * Encode an event canonically. Throws `TypeError`/`RangeError` for a field of the wrong type or grammar, and for a
 * version that does not fit the content (version 2 exactly when there is a `target`).
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
  if (event.version !== 1 && event.version !== 2) throw new RangeError('"event.version" must be 1 or 2')
  // One version per content: a target needs version 2, and version 2 is only for an event with a target.
  if ((event.target !== undefined) !== (event.version === 2)) {
    throw new RangeError('"event.version" must be 2 when the event has a target, and 1 when it has none')
  }
  const out: number[] = [...MAGIC, event.version]
  const field = (tag: number, value: ArrayLike<number>): void => {
    out.push(tag, value.length >>> 8, value.length & 0xff)
    for (let i = 0; i < value.length; i++) out.push(value[i]!)
  }
  const d = DECISIONS.indexOf(event.decision)
  if (d < 0) throw new RangeError('"event.decision" must be grant, deny, admin or alert')
  field(TAG.decision, [d + 1])
  field(TAG.time, u64(ms(event.time, 'event.time')))
  principalFields(event.who, WHO_TAGS, 'event.who', field)
  if (event.streamId !== undefined) field(TAG.streamId, fixed(event.streamId, 16, 'streamId'))
  if (event.headerDigest !== undefined) field(TAG.headerDigest, fixed(event.headerDigest, 32, 'headerDigest'))
  field(TAG.rolesAsked, roleList(event.rolesAsked, 'event.rolesAsked'))
  field(TAG.rolesGranted, roleList(event.rolesGranted, 'event.rolesGranted'))
  field(TAG.reason, token(event.reason, REASON_RE, 'event.reason'))
  field(TAG.requestId, token(event.requestId, REQUEST_RE, 'event.requestId'))
  const target = event.target
  if (target !== undefined) {
    if (target === null || typeof target !== 'object') throw new TypeError('"event.target" must be an object')
    principalFields(target.principal, TARGET_TAGS, 'event.target.principal', field)
    if (target.role !== undefined) field(TAG.targetRole, token(target.role, ROLE_RE, 'event.target.role'))
    if (target.dataset !== undefined) field(TAG.targetDataset, datasetBytes(target.dataset))
    const nb = target.notBefore === undefined ? undefined : ms(target.notBefore, 'event.target.notBefore')
    const na = target.notAfter === undefined ? undefined : ms(target.notAfter, 'event.target.notAfter')
    if (nb !== undefined && na !== undefined && na <= nb) {
      throw new RangeError('"event.target.notAfter" must be after notBefore')
    }
    if (nb !== undefined) field(TAG.targetNotBefore, u64(nb))
    if (na !== undefined) field(TAG.targetNotAfter, u64(na))
  }
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
 * console.log(event.decision, event.who.id, event.target?.principal)
 * ```
 */
export function decodeAuditEvent(bytes: Uint8Array): AuditEvent {
  if (!isBytes(bytes)) throw new TypeError('"bytes" must be a Uint8Array')
  if (bytes.length > MAX_AUDIT_EVENT_BYTES) throw bad(`the event is larger than ${MAX_AUDIT_EVENT_BYTES} bytes`)
  if (bytes.length < 5 || MAGIC.some((m, i) => bytes[i] !== m)) throw bad('not an arrowseal audit event')
  const version = bytes[4]!
  const lastTag = LAST_TAG[version]
  if (lastTag === undefined) {
    throw new FormatError('FORMAT_UNSUPPORTED', `audit event version ${version} is not supported`)
  }
  const fields = new Map<number, Uint8Array>()
  let pos = 5
  let last = 0
  while (pos < bytes.length) {
    if (pos + 3 > bytes.length) throw bad('an event field header is cut short')
    const tag = bytes[pos]!
    const len = (bytes[pos + 1]! << 8) | bytes[pos + 2]!
    pos += 3
    if (tag <= last) throw bad('event fields are out of order or repeated')
    if (tag > lastTag) throw bad(`unknown event field tag ${tag} in a version ${version} event`)
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
  const who = readPrincipal(fields, WHO_TAGS, '')
  if (who === undefined) throw bad('the event names no principal')
  const sid = fields.get(TAG.streamId)
  const hd = fields.get(TAG.headerDigest)
  const target = version === 2 ? readTarget(fields) : undefined
  const event: AuditEvent = {
    version: version === 2 ? 2 : 1,
    decision: DECISIONS[dec[0]! - 1]!,
    time: readU64(need(TAG.time, 'time'), 'time'),
    who,
    ...(sid === undefined ? {} : { streamId: readFixed(sid, 16, 'stream id') }),
    ...(hd === undefined ? {} : { headerDigest: readFixed(hd, 32, 'header digest') }),
    rolesAsked: readRoles(need(TAG.rolesAsked, 'roles asked')),
    rolesGranted: readRoles(need(TAG.rolesGranted, 'roles granted')),
    reason: readToken(need(TAG.reason, 'reason'), REASON_RE, 'reason'),
    requestId: readToken(need(TAG.requestId, 'request id'), REQUEST_RE, 'request id'),
    ...(target === undefined ? {} : { target }),
  }
  return event
}

type FieldWriter = (tag: number, value: ArrayLike<number>) => void

/** Writes a principal's fields (`who` or `target.principal`): at least one of id, key fingerprint, OIDC identity. */
function principalFields(p: AuditPrincipal, tags: PrincipalTags, name: string, field: FieldWriter): void {
  if (p === null || typeof p !== 'object') throw new TypeError(`"${name}" must be an object`)
  if (p.id === undefined && p.keyFingerprint === undefined && p.oidc === undefined) {
    throw new RangeError(`"${name}" needs an id, a keyFingerprint or an oidc identity`)
  }
  if (p.id !== undefined) field(tags.id, token(p.id, PRINCIPAL_RE, `${name}.id`))
  if (p.keyFingerprint !== undefined) field(tags.keyFingerprint, fixed(p.keyFingerprint, 32, `${name}.keyFingerprint`))
  if (p.oidc !== undefined) {
    if (p.oidc === null || typeof p.oidc !== 'object') throw new TypeError(`"${name}.oidc" must be an object`)
    field(tags.oidcIssuer, token(p.oidc.issuer, OIDC_RE, `${name}.oidc.issuer`))
    field(tags.oidcSubject, token(p.oidc.subject, OIDC_RE, `${name}.oidc.subject`))
  }
}

/** Reads a principal's fields; undefined when none is present. `prefix` names the principal in messages. */
function readPrincipal(
  fields: Map<number, Uint8Array>,
  tags: PrincipalTags,
  prefix: string,
): AuditPrincipal | undefined {
  const who: { id?: string; keyFingerprint?: Uint8Array; oidc?: { issuer: string; subject: string } } = {}
  const pid = fields.get(tags.id)
  if (pid !== undefined) who.id = readToken(pid, PRINCIPAL_RE, `${prefix}principal id`)
  const fp = fields.get(tags.keyFingerprint)
  if (fp !== undefined) who.keyFingerprint = readFixed(fp, 32, `${prefix}key fingerprint`)
  const iss = fields.get(tags.oidcIssuer)
  const sub = fields.get(tags.oidcSubject)
  if ((iss === undefined) !== (sub === undefined)) throw bad(`the event has half an ${prefix}OIDC identity`)
  if (iss !== undefined && sub !== undefined) {
    who.oidc = {
      issuer: readToken(iss, OIDC_RE, `${prefix}OIDC issuer`),
      subject: readToken(sub, OIDC_RE, `${prefix}OIDC subject`),
    }
  }
  return pid === undefined && fp === undefined && iss === undefined ? undefined : who
}

/** The target of a version 2 event, which must name a principal. */
function readTarget(fields: Map<number, Uint8Array>): AuditTarget {
  const principal = readPrincipal(fields, TARGET_TAGS, 'target ')
  if (principal === undefined) throw bad('the version 2 event names no target principal')
  const role = fields.get(TAG.targetRole)
  const dataset = fields.get(TAG.targetDataset)
  const nbBytes = fields.get(TAG.targetNotBefore)
  const naBytes = fields.get(TAG.targetNotAfter)
  const nb = nbBytes === undefined ? undefined : readU64(nbBytes, 'target not-before time')
  const na = naBytes === undefined ? undefined : readU64(naBytes, 'target not-after time')
  if (nb !== undefined && na !== undefined && na <= nb) throw bad('the target not-after time is not after not-before')
  return {
    principal,
    ...(role === undefined ? {} : { role: readToken(role, ROLE_RE, 'target role') }),
    ...(dataset === undefined ? {} : { dataset: readDataset(dataset) }),
    ...(nb === undefined ? {} : { notBefore: nb }),
    ...(na === undefined ? {} : { notAfter: na }),
  }
}

function ms(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`"${name}" must be a safe non-negative integer (ms)`)
  }
  return value
}

function readU64(t: Uint8Array, name: string): number {
  if (t.length !== 8) throw bad(`the event ${name} is not 8 bytes`)
  const hi = ((t[0]! << 24) | (t[1]! << 16) | (t[2]! << 8) | t[3]!) >>> 0
  const lo = ((t[4]! << 24) | (t[5]! << 16) | (t[6]! << 8) | t[7]!) >>> 0
  if (hi > 0x1fffff) throw bad(`the event ${name} is larger than 2^53 - 1`)
  return hi * 2 ** 32 + lo
}

// The header format's dataset rule (src/format/service.ts), so any dataset a gateway can grant can be audited.
const utf8Encoder = new TextEncoder()
// fatal: invalid UTF-8 is refused, not replaced; ignoreBOM: a leading U+FEFF is kept, so re-encoding is exact.
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

function datasetBytes(value: unknown): Uint8Array {
  if (typeof value !== 'string') throw new TypeError('"event.target.dataset" must be a string')
  const problem = datasetProblem(value)
  if (problem !== null) throw new RangeError(`"event.target.dataset" ${problem}`)
  if (SECRET_RE.test(value)) throw new RangeError('"event.target.dataset" looks like a secret key')
  return utf8Encoder.encode(value)
}

function readDataset(v: Uint8Array): string {
  let s: string
  try {
    s = utf8Decoder.decode(v)
  } catch {
    throw bad('the event target dataset is not UTF-8')
  }
  if (datasetProblem(s) !== null || SECRET_RE.test(s)) throw bad('the event target dataset is not a valid dataset')
  return s
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
