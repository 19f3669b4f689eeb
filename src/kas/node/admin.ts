/**
 * `POST /v1/admin`: checks an admin command (signature by a trusted admin key, audience, time, nonce), applies it
 * to the store, and audits it (decision `admin`, durable before the answer). The event's `who.keyFingerprint` is
 * the admin; its `target` (a version 2 event) names the principal acted on, key or OIDC, with the role, dataset
 * and validity of an entitlement.
 * @module
 */
import { type AuditEvent, type AuditPrincipal, type AuditTarget, encodeAuditEvent } from '../../audit/event.js'
import { KeyAccessError } from '../../errors.js'
import { constantTimeEqual } from '../../format/bytes.js'
import { datasetProblem } from '../../format/service.js'
import type { PublicKey } from '../../keys/public-key.js'
import { type Ed25519, hybridVerify } from '../../keys/sign.js'
import { ADMIN_LABEL, fromB64u, hex } from '../protocol.js'
import type { KasStore } from './store.js'

/** What the admin handler needs from the server. */
export interface AdminContext {
  readonly admins: readonly PublicKey[]
  readonly audience: Uint8Array
  readonly skewMs: number
  readonly now: number
  readonly store: KasStore
  readonly audit: (event: Omit<AuditEvent, 'version' | 'time'>, time: number) => Promise<number>
  readonly requestId: string
  readonly ed25519?: Ed25519
}

// An OIDC issuer has no '#' (OpenID Connect Discovery §2, checked by src/kas/oidc.ts), so the first '#' splits the
// name unambiguously; the subject may hold any printable character.
const PRINCIPAL_RE = /^(key:([0-9a-f]{64})|oidc:([\x21-\x22\x24-\x7e]{1,255})#([\x21-\x7e]{1,255}))$/
const ROLE_RE = /^[A-Za-z0-9_.:-]{1,128}$/

type AdminEvent = Omit<AuditEvent, 'version' | 'time'>

const invalid = (m: string) => new KeyAccessError('KAS_REQUEST_INVALID', m)

/** Handles one admin request body (bytes as received). */
export async function handleAdmin(body: unknown, ctx: AdminContext): Promise<unknown> {
  if (!Buffer.isBuffer(body)) throw invalid('the body must be application/json')
  let outer: Record<string, unknown>
  try {
    outer = JSON.parse(body.toString('utf8')) as Record<string, unknown>
    if (outer === null || typeof outer !== 'object') throw new TypeError()
  } catch {
    throw invalid('the body is not a JSON object')
  }
  const bytes = typeof outer.request === 'string' ? fromB64u(outer.request) : null
  if (bytes === null || bytes.length > 64 * 1024) throw invalid('"request" must be base64url of the command')
  const auth = outer.auth as Record<string, unknown> | null
  const unauth = new KeyAccessError('KAS_UNAUTHENTICATED', 'the admin command is not signed by a trusted admin key')
  if (auth === null || typeof auth !== 'object' || auth.kind !== 'key' || typeof auth.signature !== 'string') {
    throw unauth
  }
  const signature = fromB64u(auth.signature)
  if (signature === null) throw unauth
  const admin = ctx.admins.find((k) => k.text === auth.publicKey)
  if (!admin || !hybridVerify(admin, ADMIN_LABEL, bytes, signature, ctx.ed25519)) throw unauth
  let c: Record<string, unknown>
  try {
    c = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as Record<string, unknown>
    if (c === null || typeof c !== 'object') throw new TypeError()
  } catch {
    throw invalid('the command is not a JSON object')
  }
  if (c.v !== 1) throw invalid('the command version must be 1')
  if (
    typeof c.audience !== 'string' ||
    !constantTimeEqual(new TextEncoder().encode(c.audience), new TextEncoder().encode(hex(ctx.audience)))
  ) {
    throw new KeyAccessError('KAS_WRONG_AUDIENCE', 'the command is addressed to another gateway')
  }
  if (typeof c.time !== 'number' || !Number.isSafeInteger(c.time) || Math.abs(ctx.now - c.time) > ctx.skewMs) {
    throw new KeyAccessError('KAS_STALE', 'the command time is outside the allowed clock skew')
  }
  if (typeof c.nonce !== 'string' || !/^[0-9a-f]{32,64}$/.test(c.nonce))
    throw invalid('the nonce must be 16 to 32 bytes of hex')
  const nonce = Uint8Array.from(Buffer.from(`ad${c.nonce}`, 'hex'))
  if (!(await ctx.store.useNonce(nonce, c.time + ctx.skewMs + 1000, ctx.now))) {
    throw new KeyAccessError('KAS_REPLAYED', 'this command was already seen')
  }
  const principal = c.principal
  if (principal !== undefined && (typeof principal !== 'string' || !PRINCIPAL_RE.test(principal))) {
    throw invalid('"principal" must be key:<64 hex> or oidc:<issuer>#<subject>')
  }
  const need = (v: unknown, re: RegExp, name: string): string => {
    if (typeof v !== 'string' || !re.test(v)) throw invalid(`"${name}" is missing or malformed`)
    return v
  }
  // "*" (every dataset) or a dataset a header can name: the same rule the audit event applies, so an accepted
  // command can always be audited.
  const dataset = (v: unknown): string => {
    if (typeof v !== 'string' || (v !== '*' && datasetProblem(v) !== null)) {
      throw invalid('"dataset" is missing or malformed')
    }
    return v
  }
  // The event is built and encoded before the store changes: a command whose event could not be written (a name
  // the event grammar refuses) is refused whole, never applied unaudited.
  const eventOf = (reason: string, roles: string[], target?: AuditTarget): AdminEvent => {
    const event: AdminEvent = {
      decision: 'admin',
      who: { keyFingerprint: admin.fingerprint },
      rolesAsked: roles,
      rolesGranted: reason === 'ENTITLEMENT_GRANTED' ? roles : [],
      reason,
      requestId: ctx.requestId,
      ...(target === undefined ? {} : { target }),
    }
    try {
      encodeAuditEvent({ version: target === undefined ? 1 : 2, time: ctx.now, ...event })
    } catch {
      throw invalid('the command names a principal, role or dataset an audit event cannot record')
    }
    return event
  }
  const record = (event: AdminEvent) => ctx.audit(event, ctx.now)
  switch (c.action) {
    case 'grant': {
      const p = need(principal, PRINCIPAL_RE, 'principal')
      const role = need(c.role, ROLE_RE, 'role')
      const ds = dataset(c.dataset)
      const nb = c.notBefore ?? 0
      const na = c.notAfter ?? null
      if (typeof nb !== 'number' || !Number.isSafeInteger(nb) || nb < 0) throw invalid('"notBefore" must be ms')
      if (na !== null && (typeof na !== 'number' || !Number.isSafeInteger(na) || na <= nb)) {
        throw invalid('"notAfter" must be ms after notBefore')
      }
      const validity = na === null ? { notBefore: nb } : { notBefore: nb, notAfter: na }
      const event = eventOf('ENTITLEMENT_GRANTED', [role], { principal: targetOf(p), role, dataset: ds, ...validity })
      await ctx.store.grant({ principal: p, role, dataset: ds, notBefore: nb, notAfter: na })
      await record(event)
      return { requestId: ctx.requestId, ok: true }
    }
    case 'revoke': {
      const p = need(principal, PRINCIPAL_RE, 'principal')
      const role = need(c.role, ROLE_RE, 'role')
      const ds = dataset(c.dataset)
      const event = eventOf('ENTITLEMENT_REVOKED', [role], { principal: targetOf(p), role, dataset: ds })
      const existed = await ctx.store.revoke(p, role, ds)
      await record(event)
      return { requestId: ctx.requestId, ok: true, existed }
    }
    case 'suspend': {
      const p = need(principal, PRINCIPAL_RE, 'principal')
      const reason = typeof c.reason === 'string' ? c.reason.slice(0, 500) : 'suspended by an admin'
      // The free-text reason stays in the store (kas list shows it): an audit event holds no free text.
      const event = eventOf('PRINCIPAL_SUSPENDED', [], { principal: targetOf(p) })
      await ctx.store.suspend(p, reason, ctx.now)
      await record(event)
      return { requestId: ctx.requestId, ok: true }
    }
    case 'unsuspend': {
      const p = need(principal, PRINCIPAL_RE, 'principal')
      const event = eventOf('PRINCIPAL_UNSUSPENDED', [], { principal: targetOf(p) })
      const existed = await ctx.store.unsuspend(p)
      await record(event)
      return { requestId: ctx.requestId, ok: true, existed }
    }
    case 'list': {
      const p = principal === undefined ? undefined : need(principal, PRINCIPAL_RE, 'principal')
      // Reading who holds what is an access too: audited before the answer, with the principal asked about.
      await record(eventOf('ENTITLEMENTS_LISTED', [], p === undefined ? undefined : { principal: targetOf(p) }))
      return {
        requestId: ctx.requestId,
        entitlements: await ctx.store.list(p),
        suspensions: (await ctx.store.suspensions()).filter((s) => p === undefined || s.principal === p),
      }
    }
    default:
      throw invalid('"action" must be grant, revoke, suspend, unsuspend or list')
  }
}

/** The audit form of a principal name that matched {@link PRINCIPAL_RE}. */
function targetOf(name: string): AuditPrincipal {
  const m = PRINCIPAL_RE.exec(name)!
  if (m[2] !== undefined) return { keyFingerprint: Uint8Array.from(Buffer.from(m[2], 'hex')) }
  return { oidc: { issuer: m[3]!, subject: m[4]! } }
}
