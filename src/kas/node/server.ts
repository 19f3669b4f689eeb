/**
 * The key-access gateway's HTTP service (fastify 5). One request is checked in the documented order (size, parse,
 * version, audience, time, authentication, replay, throttle, suspension, header digest, service stanza,
 * entitlements), its decision is appended to the audit log and is durable before anything is answered, and a grant
 * carries a receipt (the entry, its inclusion proof and a signed checkpoint). No decision is cached by default:
 * entitlements and suspensions are read from the store on every request, so replicas over one database agree at
 * once (an operator may trade that for an entitlement cache with a TTL: src/kas/node/entitlement-cache.ts).
 * @module
 */
import { createHash } from 'node:crypto'
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import { type AuditEvent, type AuditPrincipal, encodeAuditEvent } from '../../audit/event.js'
import { ArrowSealError, KeyAccessError, type KeyAccessErrorCode } from '../../errors.js'
import { constantTimeEqual } from '../../format/bytes.js'
import type { Identity } from '../../keys/identity.js'
import type { PublicKey } from '../../keys/public-key.js'
import type { Ed25519 } from '../../keys/sign.js'
import type { X25519 } from '../../keys/xwing.js'
import type { AuditLog } from '../../store/log.js'
import {
  credentialCache,
  decodeRequest,
  hex,
  type KasRequest,
  keyPrincipal,
  sealResponse,
  verifyRequestAuth,
} from '../protocol.js'
import type { KasAlert, KasServerHooks, PrincipalName, UnwrapForService, UnwrappedService } from '../types.js'
import { handleAdmin } from './admin.js'
import { b64u, fromB64u } from './b64.js'
import { Checkpointer } from './checkpointer.js'
import { withEntitlementCache } from './entitlement-cache.js'
import { denialReason, KAS_STATUS } from './errors.js'
import { createKasMetrics, type KasMetrics } from './metrics.js'
import type { KasStore } from './store.js'

/** Options of {@link createKasServer}. */
export interface KasServerOptions {
  /** The gateway's identity: opens its stanzas, signs checkpoints, is the requests' audience. */
  readonly identity: Identity
  readonly store: KasStore
  /** The audit log, opened with the same identity. */
  readonly log: AuditLog
  /** Writers whose headers the gateway accepts. */
  readonly trustedWriters: readonly PublicKey[]
  /** Identities allowed to send admin commands. */
  readonly admins?: readonly PublicKey[]
  /** `unwrapForService` (src/kas/service-view.ts); injected so unit tests can replace it. */
  readonly unwrap: UnwrapForService
  readonly hooks?: KasServerHooks
  /** Largest request body, bytes (default 1 MiB). */
  readonly bodyLimit?: number
  /** Allowed clock difference, ms (default 120,000). */
  readonly skewMs?: number
  /** Unwrapped headers kept in memory (default 1,024). */
  readonly headerCacheSize?: number
  readonly ed25519?: Ed25519
  readonly x25519?: X25519
  /**
   * The base URL clients address (e.g. `https://kas.example` behind a TLS-terminating proxy), without a trailing
   * slash; DPoP proofs are checked against it. Default: the protocol and Host of each request.
   */
  readonly publicUrl?: string
  /**
   * How long, ms, a replica may reuse a principal's roles and suspension read from the store (default 0: read on
   * every request). See src/kas/node/entitlement-cache.ts and docs/guides/gateway.md for what it means for
   * revocation.
   */
  readonly entitlementCacheTtlMs?: number
  /** Test seam for the clock. */
  readonly now?: () => number
  /** Called for every suspension the anomaly monitor causes (and logged). */
  readonly onAlert?: (alert: KasAlert) => void
}

/** A running gateway (not yet listening). */
export interface KasServer {
  readonly app: FastifyInstance
  readonly metrics: KasMetrics
  close(): Promise<void>
}

/** The principal of a verified request and how the audit event names it. */
export interface Principal {
  readonly name: PrincipalName
  readonly who: AuditPrincipal
}

class Denied extends Error {
  constructor(
    readonly error: KeyAccessError,
    readonly retryAfterMs?: number,
  ) {
    super(error.message)
  }
}

const deny = (code: KeyAccessErrorCode, message: string, retryAfterMs?: number) =>
  new Denied(new KeyAccessError(code, message), retryAfterMs)

/**
 * Builds the gateway's fastify app.
 *
 * @example
 * ```ts
 * const server = await createKasServer({ identity, store, log, trustedWriters: [writer], unwrap: unwrapForService })
 * await server.app.listen({ host: '127.0.0.1', port: 8443 })
 * ```
 */
export async function createKasServer(options: KasServerOptions): Promise<KasServer> {
  const { identity, log, unwrap, hooks = {} } = options
  const bodyLimit = options.bodyLimit ?? 1024 * 1024
  const skew = options.skewMs ?? 120_000
  const now = options.now ?? Date.now
  const store = withEntitlementCache(options.store, options.entitlementCacheTtlMs ?? 0, now)
  const metrics = createKasMetrics()
  const checkpointer = new Checkpointer(log)
  const credentials = credentialCache(10_000)
  const headers = new Map<string, UnwrappedService>()
  const headerCacheSize = options.headerCacheSize ?? 1024
  const audience = identity.fingerprint
  const app = Fastify({ bodyLimit, logger: false, return503OnClosing: true })

  // The body stays bytes: it is parsed by hand after the size check, and a DPoP proof commits to its digest.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (_req, body, done) => done(null, body))

  async function audit(event: Omit<AuditEvent, 'version' | 'time'>, time: number): Promise<number> {
    const { index } = await log.append(encodeAuditEvent({ version: event.target ? 2 : 1, time, ...event }))
    return index
  }

  async function raise(alerts: readonly KasAlert[], requestId: string): Promise<void> {
    for (const a of alerts) {
      metrics.alerts.inc({ kind: a.kind })
      options.onAlert?.(a)
      const who = principalWho(a.principal)
      await audit(
        {
          decision: 'alert',
          who,
          rolesAsked: [],
          rolesGranted: [],
          reason: `ALERT_${a.kind.toUpperCase().replace(/-/g, '_')}`,
          requestId,
        },
        a.time,
      )
      if (a.suspend) await store.suspend(a.principal, `alert ${a.kind}: ${a.why}`.slice(0, 500), a.time)
    }
  }

  async function unwrapCached(req: KasRequest): Promise<UnwrappedService> {
    const key = hex(req.headerDigest)
    const hit = headers.get(key)
    if (hit) return hit
    let view: UnwrappedService
    try {
      view = await unwrap(req.header, identity, options.trustedWriters)
    } catch (err) {
      if (err instanceof ArrowSealError && err.code === 'NOT_A_RECIPIENT') {
        throw deny('KAS_NOT_A_RECIPIENT', 'this gateway holds no service stanza of this header')
      }
      if (err instanceof ArrowSealError && (err.code === 'SIGNER_UNTRUSTED' || err.code === 'SIGNATURE_INVALID')) {
        throw deny('KAS_DENIED', `the header's writer is not trusted by this gateway (${err.code})`)
      }
      if (err instanceof ArrowSealError) {
        throw deny('KAS_REQUEST_INVALID', `the header does not open for this gateway (${err.code})`)
      }
      throw err
    }
    if (headers.size >= headerCacheSize) {
      // Dropped, not zeroed: a request that looked this header up may still be awaiting the store before it seals
      // these keys into its answer, and zeroing them under it would send zero keys. They stay in the gateway's own
      // memory until collected, as its X-Wing key does; close() zeroes what is still cached.
      headers.delete(headers.keys().next().value!)
    }
    headers.set(key, view)
    return view
  }

  async function authenticate(
    request: FastifyRequest,
    body: Record<string, unknown>,
    raw: Buffer,
    bytes: Uint8Array,
    t: number,
  ): Promise<Principal> {
    const authorization = request.headers.authorization
    if (typeof authorization === 'string' && authorization !== '') {
      if (!hooks.tokens) throw deny('KAS_UNAUTHENTICATED', 'this gateway accepts no identity-provider tokens')
      const dpop = request.headers.dpop
      const r = await hooks.tokens.authenticate({
        authorization,
        dpop: typeof dpop === 'string' ? dpop : undefined,
        method: request.method,
        url: `${options.publicUrl ?? `${request.protocol}://${request.host}`}${request.url}`,
        bodyDigest: sha256(raw),
        now: t,
      })
      return { name: r.principal, who: { oidc: r.oidc } }
    }
    const key = verifyRequestAuth(body.auth, bytes, t, {
      cache: credentials,
      ...(options.ed25519 ? { ed25519: options.ed25519 } : {}),
    })
    return { name: keyPrincipal(key), who: { keyFingerprint: key.fingerprint } }
  }

  async function rewrap(request: FastifyRequest, reply: FastifyReply, requestId: string): Promise<unknown> {
    const t = now()
    const raw = request.body
    if (!Buffer.isBuffer(raw)) throw deny('KAS_REQUEST_INVALID', 'the body must be application/json')
    let body: Record<string, unknown>
    try {
      const parsed: unknown = JSON.parse(raw.toString('utf8'))
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new TypeError('not an object')
      body = parsed as Record<string, unknown>
    } catch {
      throw deny('KAS_REQUEST_INVALID', 'the body is not a JSON object')
    }
    const bytes = typeof body.request === 'string' ? fromB64u(body.request) : null
    if (bytes === null) throw deny('KAS_REQUEST_INVALID', '"request" must be base64url of the request bytes')
    let req: KasRequest
    try {
      req = decodeRequest(bytes)
    } catch (err) {
      throw new Denied(err as KeyAccessError)
    }
    if (!constantTimeEqual(req.audience, audience)) {
      throw deny('KAS_WRONG_AUDIENCE', 'the request is addressed to another gateway')
    }
    if (Math.abs(t - req.time) > skew) {
      throw deny('KAS_STALE', `the request time is more than ${skew / 1000} s from the gateway's clock`)
    }
    let principal: Principal
    try {
      principal = await authenticate(request, body, raw, bytes, t)
    } catch (err) {
      if (err instanceof Denied) throw err
      if (err instanceof KeyAccessError) throw new Denied(err)
      throw deny('KAS_UNAUTHENTICATED', 'request authentication failed')
    }
    // From here on the principal is known: every refusal is a decision and is audited.
    const roles = req.roles
    const denyAudited = async (e: Denied, view?: { dataset: string }): Promise<never> => {
      await audit(
        {
          decision: 'deny',
          who: principal.who,
          streamId: req.streamId,
          headerDigest: req.headerDigest,
          rolesAsked: auditableRoles(roles),
          rolesGranted: [],
          reason: denialReason(e.error.code as KeyAccessErrorCode),
          requestId,
        },
        t,
      )
      await observe(
        principal.name,
        request.ip,
        req,
        view?.dataset,
        'deny',
        denialReason(e.error.code as KeyAccessErrorCode),
        t,
        requestId,
      )
      throw e
    }
    const nonceFresh = store.useNonce(req.nonce, req.time + skew + 1000, t)
    // A header already opened (every request of a stream but its first) names its dataset at once, so the access
    // read (suspension and roles) starts now, alongside the nonce insert: two independent round trips on
    // PostgreSQL in parallel instead of in sequence. Only reads start early; the decisions keep their documented
    // order (replay, throttle, suspension, header, entitlements), and a header not yet opened is still opened
    // only after the replay and throttle checks (the expensive step is not offered to a throttled principal).
    const digestOk = constantTimeEqual(sha256(req.header), req.headerDigest)
    const early = digestOk && store.access ? headers.get(hex(req.headerDigest)) : undefined
    const earlyAccess = early && store.access ? store.access(principal.name, early.dataset, t) : undefined
    // Settled later or never (a replay or throttle refusal does not read it): never an unhandled rejection.
    earlyAccess?.catch(() => {})
    if (!(await nonceFresh)) {
      await denyAudited(deny('KAS_REPLAYED', 'this request was already seen'))
    }
    const slot = hooks.throttle?.take(principal.name, request.ip, t)
    if (slot && !slot.ok) {
      // Not audited one by one (a flood would become a flood of writes): counted, and the monitor may alert.
      metrics.throttled.inc({ scope: slot.scope })
      await observe(principal.name, request.ip, req, undefined, 'deny', 'RATE_LIMITED', t, requestId)
      throw deny('KAS_RATE_LIMITED', `too many requests (${slot.scope})`, slot.retryAfterMs)
    }
    // The header is checked and opened (a cache hit but for a stream's first request) before the suspension is
    // read, so that the suspension and the roles of the header's dataset come in one read (store.access: one round
    // trip on PostgreSQL, not two). The refusals keep their documented order: a suspended principal is refused as
    // suspended whatever its header, and a header failure comes next.
    let view: UnwrappedService | undefined = early
    let headerFailure: unknown
    if (!digestOk) {
      headerFailure = deny('KAS_HEADER_MISMATCH', 'SHA-256 of the header is not the request header_digest')
    } else if (view === undefined) {
      try {
        view = await unwrapCached(req)
      } catch (err) {
        headerFailure = err
      }
    }
    const access =
      earlyAccess !== undefined
        ? await earlyAccess
        : view !== undefined && store.access
          ? await store.access(principal.name, view.dataset, t)
          : null
    if (access ? access.suspended : await store.suspension(principal.name)) {
      await denyAudited(deny('KAS_SUSPENDED', 'this principal is suspended'))
    }
    if (view === undefined) {
      if (headerFailure instanceof Denied) return denyAudited(headerFailure)
      throw headerFailure
    }
    if (!constantTimeEqual(view.streamId, req.streamId)) {
      await denyAudited(deny('KAS_HEADER_MISMATCH', 'the request stream_id is not the header stream id'), view)
    }
    const notServed = roles.filter((r) => !view.roles.has(r))
    if (notServed.length > 0) {
      await denyAudited(deny('KAS_DENIED', `roles not wrapped to this gateway: ${notServed.join(', ')}`), view)
    }
    const held = access?.roles ?? (await store.rolesOf(principal.name, view.dataset, t))
    const granted = roles.filter((r) => held.has(r))
    if (granted.length === 0) {
      await denyAudited(deny('KAS_DENIED', `no entitlement to the roles asked in dataset "${view.dataset}"`), view)
    }
    const groups = new Map<number, Uint8Array>()
    for (const r of granted) for (const g of view.roles.get(r)!) groups.set(g, view.groupKeys.get(g)!)
    const sealed = sealResponse(req.ephemeralKey, bytes, groups, options.x25519, sha256)
    const entry = encodeAuditEvent({
      version: 1,
      decision: 'grant',
      time: t,
      who: principal.who,
      streamId: req.streamId,
      headerDigest: req.headerDigest,
      rolesAsked: auditableRoles(roles),
      rolesGranted: auditableRoles(granted),
      reason: granted.length === roles.length ? 'ENTITLED' : 'ENTITLED_PARTIAL',
      requestId,
    })
    // Durable first: nothing is answered for a grant the log does not hold.
    const { index } = await log.append(entry)
    await observe(principal.name, request.ip, req, view.dataset, 'grant', 'ENTITLED', t, requestId)
    const cp = await checkpointer.covering(index)
    const proof = await log.inclusionProof(index, cp.size)
    metrics.grants.inc()
    void reply
    return {
      requestId,
      rolesGranted: granted,
      sealed: b64u(sealed),
      receipt: { index, entry: b64u(entry), proof: proof.map(b64u), checkpoint: cp.note },
    }
  }

  async function observe(
    principal: PrincipalName,
    source: string,
    req: KasRequest,
    dataset: string | undefined,
    decision: 'grant' | 'deny',
    reason: string,
    time: number,
    requestId: string,
  ): Promise<void> {
    if (!hooks.monitor) return
    const alerts = hooks.monitor.observe({
      time,
      principal,
      source,
      stream: hex(req.streamId),
      ...(dataset === undefined ? {} : { dataset }),
      roles: req.roles,
      decision,
      reason,
    })
    if (alerts.length > 0) await raise(alerts, requestId)
  }

  function sendError(reply: FastifyReply, requestId: string, err: unknown): FastifyReply {
    let e: KeyAccessError
    let retry: number | undefined
    if (err instanceof Denied) {
      e = err.error
      retry = err.retryAfterMs
    } else if (err instanceof KeyAccessError && KAS_STATUS[err.code] !== undefined) {
      e = err
    } else {
      // Store, log or anything unexpected: the client may retry; the details stay in the server.
      e = new KeyAccessError('KAS_UNAVAILABLE', 'the gateway cannot decide now; retry later')
    }
    const status = KAS_STATUS[e.code] ?? 503
    metrics.requests.inc({ code: e.code })
    if (retry !== undefined) reply.header('retry-after', String(Math.max(1, Math.ceil(retry / 1000))))
    return reply.code(status).send({ error: { code: e.code, message: e.message, requestId } })
  }

  app.setErrorHandler((err, request, reply) => {
    const requestId = (request as { kasId?: string }).kasId ?? newRequestId()
    const code = (err as { code?: string }).code
    if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return sendError(reply, requestId, deny('KAS_REQUEST_TOO_LARGE', `the body is larger than ${bodyLimit} bytes`))
    }
    if (typeof code === 'string' && code.startsWith('FST_ERR_CTP')) {
      return sendError(reply, requestId, deny('KAS_REQUEST_INVALID', 'the body cannot be read'))
    }
    return sendError(reply, requestId, err)
  })

  app.post('/v1/rewrap', async (request, reply) => {
    const requestId = newRequestId()
    ;(request as { kasId?: string }).kasId = requestId
    const end = metrics.latency.startTimer()
    try {
      const out = await rewrap(request, reply, requestId)
      metrics.requests.inc({ code: 'OK' })
      return out
    } catch (err) {
      return sendError(reply, requestId, err)
    } finally {
      end()
    }
  })

  app.post('/v1/admin', async (request, reply) => {
    const requestId = newRequestId()
    try {
      return await handleAdmin(request.body, {
        admins: options.admins ?? [],
        audience,
        skewMs: skew,
        now: now(),
        store,
        audit,
        requestId,
        ...(options.ed25519 ? { ed25519: options.ed25519 } : {}),
      })
    } catch (err) {
      return sendError(reply, requestId, err instanceof KeyAccessError ? new Denied(err) : err)
    }
  })

  app.get('/healthz', async () => ({ ok: true }))
  app.get('/readyz', async (_req, reply) => {
    try {
      await store.ping()
      await log.size()
      return { ok: true }
    } catch {
      return reply.code(503).send({ ok: false })
    }
  })
  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', metrics.registry.contentType)
    return metrics.registry.metrics()
  })
  registerLogRoutes(app, log)

  return {
    app,
    metrics,
    async close() {
      await app.close()
      for (const v of headers.values()) for (const k of v.groupKeys.values()) k.fill(0)
      headers.clear()
    },
  }
}

/** The log over HTTP, for `arrowseal audit verify --url` and for auditors (read-only, public facts only). */
function registerLogRoutes(app: FastifyInstance, log: AuditLog): void {
  const int = (v: unknown): number | null => {
    if (typeof v !== 'string' || !/^(0|[1-9][0-9]{0,15})$/.test(v)) return null
    const n = Number(v)
    return Number.isSafeInteger(n) ? n : null
  }
  const bad = (reply: FastifyReply, message: string) =>
    reply.code(400).send({ error: { code: 'KAS_REQUEST_INVALID', message, requestId: newRequestId() } })
  const guard = async (reply: FastifyReply, fn: () => Promise<unknown>) => {
    try {
      return await fn()
    } catch (err) {
      const code = err instanceof ArrowSealError ? err.code : ''
      if (code === 'PROOF_INVALID' || err instanceof RangeError) return bad(reply, 'index or size out of range')
      return reply
        .code(503)
        .send({ error: { code: 'KAS_UNAVAILABLE', message: 'the log cannot answer now', requestId: newRequestId() } })
    }
  }
  app.get('/v1/log/checkpoint', async (_req, reply) =>
    guard(reply, async () => {
      const note = (await log.latestCheckpoint()) ?? (await log.checkpoint())
      reply.header('content-type', 'text/plain; charset=utf-8')
      return note
    }),
  )
  // A range, for auditors who rehash the whole history (`arrowseal audit verify --url`): at most 1,000 per call.
  app.get('/v1/log/entries', async (req, reply) => {
    const q = req.query as Record<string, unknown>
    const start = int(q.start)
    const count = int(q.count)
    if (start === null || count === null || count < 1 || count > 1000) {
      return bad(reply, 'start must be a non-negative integer and count 1 to 1000')
    }
    return guard(reply, async () => {
      const size = await log.size()
      const entries: string[] = []
      for (let i = start; i < Math.min(size, start + count); i++) entries.push(b64u(await log.entry(i)))
      return { start, entries }
    })
  })
  app.get('/v1/log/entries/:i', async (req, reply) => {
    const i = int((req.params as { i?: string }).i)
    if (i === null) return bad(reply, 'the entry index must be a non-negative integer')
    return guard(reply, async () => ({ index: i, entry: b64u(await log.entry(i)) }))
  })
  app.get('/v1/log/proof/inclusion', async (req, reply) => {
    const q = req.query as Record<string, unknown>
    const index = int(q.index)
    const size = int(q.size)
    if (index === null || size === null) return bad(reply, 'index and size must be non-negative integers')
    return guard(reply, async () => ({ index, size, proof: (await log.inclusionProof(index, size)).map(b64u) }))
  })
  app.get('/v1/log/proof/consistency', async (req, reply) => {
    const q = req.query as Record<string, unknown>
    const old = int(q.old)
    const size = int(q.new)
    if (old === null || size === null) return bad(reply, 'old and new must be non-negative integers')
    return guard(reply, async () => ({ old, new: size, proof: (await log.consistencyProof(old, size)).map(b64u) }))
  })
}

const ROLE_RE = /^[A-Za-z0-9_.:-]{1,128}$/

/** The audit event holds at most 64 roles of its grammar; a request may ask for more, so the list is capped. */
function auditableRoles(roles: readonly string[]): string[] {
  return roles.filter((r) => ROLE_RE.test(r)).slice(0, 64)
}

/**
 * How an audit event names a principal: a key by its fingerprint, an OIDC subject by issuer and subject.
 *
 * @example
 * ```ts
 * principalWho('key:' + '00'.repeat(32)) // { keyFingerprint: Uint8Array(32) }
 * ```
 */
export function principalWho(name: PrincipalName): AuditPrincipal {
  const k = /^key:([0-9a-f]{64})$/.exec(name)
  if (k) return { keyFingerprint: Uint8Array.from(Buffer.from(k[1]!, 'hex')) }
  const o = /^oidc:([^#]+)#(.+)$/.exec(name)
  if (o) return { oidc: { issuer: o[1]!, subject: o[2]! } }
  return { id: name.replace(/[^A-Za-z0-9_.:@/-]/g, '_').slice(0, 128) || 'unknown' }
}

/** SHA-256 on node:crypto: the header (~10 KB) is hashed twice per request, ~7× faster than noble's. */
function sha256(bytes: Uint8Array): Uint8Array {
  const d = createHash('sha256').update(bytes).digest()
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength)
}

function newRequestId(): string {
  return `r-${hex(crypto.getRandomValues(new Uint8Array(12)))}`
}
