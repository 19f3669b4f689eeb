/**
 * The reader's client of a key-access gateway: a {@link KeyAccessProvider} over `fetch` (core, Web APIs only).
 * Each request carries a fresh nonce and a fresh X-Wing key the answer is sealed to; the answer's receipt (audit
 * entry, inclusion proof, signed checkpoint) is verified against the gateway's key before any key is returned.
 * @module
 */

import { openCheckpoint } from '../audit/checkpoint.js'
import { decodeAuditEvent } from '../audit/event.js'
import { leafHash, verifyInclusion } from '../audit/merkle.js'
import { type ArrowSealErrorCode, KeyAccessError, type KeyAccessErrorCode } from '../errors.js'
import { constantTimeEqual } from '../format/bytes.js'
import type { Identity } from '../keys/identity.js'
import { type PublicKey, parsePublicKey } from '../keys/public-key.js'
import {
  b64u,
  createRequestSession,
  encodeRequest,
  ephemeralKey,
  fromB64u,
  openResponse,
  type RequestSession,
  signRequest,
} from './protocol.js'
import type { KeyAccessProvider, KeyAccessReceipt, KeyAccessRequest, KeyAccessResult } from './types.js'

/**
 * Options of {@link keyAccessClient}.
 *
 * @example
 * ```ts
 * const options: KeyAccessClientOptions = { gatewayKey: 'aseal1…', timeoutMs: 5000 }
 * ```
 */
export interface KeyAccessClientOptions {
  /** The gateway's URL; default: the URL the writer put in the header. */
  readonly url?: string
  /** The gateway's public key (`aseal1…`): the audience of requests and the key its checkpoints are signed with. */
  readonly gatewayKey: PublicKey | string
  /** Per attempt, ms (default 10,000). */
  readonly timeoutMs?: number
  /** Further attempts after a retryable failure (unreachable, timeout, 429, 503), default 2. */
  readonly retries?: number
  /** Refuse a grant without a valid receipt (default true). */
  readonly requireReceipt?: boolean
  /** `session` (default): one hybrid signature per hour, Ed25519 per request; `key`: hybrid per request. */
  readonly auth?: 'session' | 'key'
  /** The log origin the checkpoints must carry; default: whatever origin the gateway's key signed. */
  readonly origin?: string
  /** Extra headers per request (e.g. `Authorization: DPoP …` and `DPoP: …` from an identity provider). */
  readonly headers?: (body: Uint8Array, url: string) => Promise<Record<string, string>>
  /** Test seam. */
  readonly fetch?: typeof fetch
}

const RETRYABLE: ReadonlySet<string> = new Set([
  'KAS_UNREACHABLE',
  'KAS_TIMEOUT',
  'KAS_RATE_LIMITED',
  'KAS_UNAVAILABLE',
])
const KNOWN: ReadonlySet<string> = new Set([
  'KAS_REQUEST_INVALID',
  'KAS_REQUEST_TOO_LARGE',
  'KAS_UNAUTHENTICATED',
  'KAS_REPLAYED',
  'KAS_STALE',
  'KAS_WRONG_AUDIENCE',
  'KAS_HEADER_MISMATCH',
  'KAS_NOT_A_RECIPIENT',
  'KAS_DENIED',
  'KAS_SUSPENDED',
  'KAS_RATE_LIMITED',
  'KAS_UNAVAILABLE',
])
const MAX_RESPONSE_BYTES = 4 * 1024 * 1024

/**
 * A key-access provider that asks a gateway over HTTP. Pass it as `keyAccess` when opening a stream.
 *
 * @example
 * ```ts
 * import { keyAccessClient } from 'arrowseal'
 * const keyAccess = keyAccessClient({ gatewayKey: gatewayPublicKey, timeoutMs: 5000 })
 * // const table = await openTable(sealed, { identity: reader, trustedSigners: [writer], keyAccess })
 * ```
 */
export function keyAccessClient(options: KeyAccessClientOptions): KeyAccessProvider {
  if (options === null || typeof options !== 'object') throw new TypeError('"options" must be an object')
  const gateway = typeof options.gatewayKey === 'string' ? parsePublicKey(options.gatewayKey) : options.gatewayKey
  const timeoutMs = options.timeoutMs ?? 10_000
  const retries = options.retries ?? 2
  const requireReceipt = options.requireReceipt ?? true
  const doFetch = options.fetch ?? fetch
  const sessions = new Map<string, RequestSession>()

  const signer = (identity: Identity): Identity | RequestSession => {
    if (options.auth === 'key') return identity
    const id = identity.publicKey
    let s = sessions.get(id)
    // Renewed a minute before its end, so a request never goes out with a credential about to lapse.
    if (!s || s.notAfter - Date.now() < 60_000) {
      s = createRequestSession(identity)
      if (sessions.size > 16) sessions.clear()
      sessions.set(id, s)
    }
    return s
  }

  async function attempt(request: KeyAccessRequest, endpoint: string): Promise<KeyAccessResult> {
    const eph = ephemeralKey()
    const bytes = encodeRequest({
      version: 1,
      nonce: crypto.getRandomValues(new Uint8Array(16)),
      time: Date.now(),
      audience: gateway.fingerprint,
      streamId: request.streamId,
      headerDigest: request.headerDigest,
      roles: request.service.roles,
      ephemeralKey: eph.publicKey,
      header: request.header,
    })
    const body = new TextEncoder().encode(
      JSON.stringify({ request: b64u(bytes), auth: signRequest(bytes, signer(request.identity)) }),
    )
    const extra = options.headers ? await options.headers(body, endpoint) : {}
    let res: Response
    try {
      res = await doFetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...extra },
        body,
        signal: AbortSignal.timeout(timeoutMs),
      })
    } catch (err) {
      const name = (err as { name?: string } | null)?.name
      if (name === 'TimeoutError' || name === 'AbortError') {
        throw new KeyAccessError('KAS_TIMEOUT', `the gateway did not answer within ${timeoutMs} ms`, { cause: err })
      }
      throw new KeyAccessError('KAS_UNREACHABLE', `the gateway at ${endpoint} cannot be reached`, { cause: err })
    }
    const text = await readLimited(res)
    let json: Record<string, unknown>
    try {
      json = JSON.parse(text) as Record<string, unknown>
      if (json === null || typeof json !== 'object') throw new TypeError()
    } catch {
      throw new KeyAccessError('KAS_UNAVAILABLE', `the gateway answered ${res.status} without a JSON body`)
    }
    if (res.status !== 200) {
      const e = (json.error ?? {}) as { code?: unknown; message?: unknown; requestId?: unknown }
      const code = typeof e.code === 'string' && KNOWN.has(e.code) ? (e.code as KeyAccessErrorCode) : 'KAS_UNAVAILABLE'
      const message = typeof e.message === 'string' ? e.message.slice(0, 500) : `HTTP ${res.status}`
      const err = new KeyAccessError(code, `the gateway refused: ${message}`, {
        ...(typeof e.requestId === 'string' ? { requestId: e.requestId.slice(0, 128) } : {}),
      })
      const retryAfter = Number(res.headers.get('retry-after'))
      ;(err as { retryAfterMs?: number }).retryAfterMs = Number.isFinite(retryAfter) ? retryAfter * 1000 : undefined
      throw err
    }
    return readGrant(json, bytes, eph, request)
  }

  function readGrant(
    json: Record<string, unknown>,
    bytes: Uint8Array,
    eph: ReturnType<typeof ephemeralKey>,
    request: KeyAccessRequest,
  ): Promise<KeyAccessResult> {
    const bad = (why: string) => new KeyAccessError('KAS_RECEIPT_INVALID', `the gateway's answer is invalid: ${why}`)
    const requestId = typeof json.requestId === 'string' ? json.requestId : ''
    const granted = Array.isArray(json.rolesGranted) ? json.rolesGranted : null
    if (granted === null || !granted.every((r) => typeof r === 'string' && request.service.roles.includes(r))) {
      throw bad('rolesGranted is not a subset of the roles asked')
    }
    const sealed = typeof json.sealed === 'string' ? fromB64u(json.sealed) : null
    if (sealed === null) throw bad('sealed is missing')
    const groupKeys = openResponse(eph, bytes, sealed)
    return (async () => {
      const receipt = await verifyReceipt(json.receipt, requestId, granted as string[], request).catch((err) => {
        if (requireReceipt) throw err
        return undefined
      })
      return { groupKeys, rolesGranted: granted as string[], ...(receipt ? { receipt } : {}) }
    })()
  }

  async function verifyReceipt(
    raw: unknown,
    requestId: string,
    granted: readonly string[],
    request: KeyAccessRequest,
  ): Promise<KeyAccessReceipt> {
    const bad = (why: string, cause?: unknown) =>
      new KeyAccessError('KAS_RECEIPT_INVALID', `the receipt does not verify: ${why}`, cause ? { cause } : undefined)
    if (raw === null || typeof raw !== 'object') throw bad('no receipt')
    const r = raw as Record<string, unknown>
    const entry = typeof r.entry === 'string' ? fromB64u(r.entry) : null
    const proof =
      Array.isArray(r.proof) && r.proof.length <= 64
        ? r.proof.map((p) => (typeof p === 'string' ? fromB64u(p) : null))
        : null
    if (entry === null || proof === null || proof.some((p) => p === null) || !Number.isSafeInteger(r.index)) {
      throw bad('malformed')
    }
    if (typeof r.checkpoint !== 'string' || r.checkpoint.length > 64 * 1024) throw bad('no checkpoint')
    const index = r.index as number
    try {
      const origin = options.origin ?? r.checkpoint.split('\n', 1)[0]!
      const cp = await openCheckpoint(r.checkpoint, gateway, { origin })
      verifyInclusion(leafHash(entry), index, cp.size, proof as Uint8Array[], cp.root)
    } catch (err) {
      throw bad('the checkpoint or the inclusion proof', err)
    }
    let event: ReturnType<typeof decodeAuditEvent>
    try {
      event = decodeAuditEvent(entry)
    } catch (err) {
      throw bad('the entry is not an audit event', err)
    }
    const fp = event.who.keyFingerprint
    const sameRoles =
      event.rolesGranted.length === granted.length && [...granted].sort().every((g, i) => event.rolesGranted[i] === g)
    if (
      event.decision !== 'grant' ||
      event.requestId !== requestId ||
      !event.streamId ||
      !constantTimeEqual(event.streamId, request.streamId) ||
      !event.headerDigest ||
      !constantTimeEqual(event.headerDigest, request.headerDigest) ||
      !sameRoles ||
      (options.headers === undefined && (!fp || !constantTimeEqual(fp, request.identity.fingerprint)))
    ) {
      throw bad('the entry does not record this grant')
    }
    return { index, entry, proof: proof as Uint8Array[], checkpoint: r.checkpoint }
  }

  return {
    async requestKeys(request: KeyAccessRequest): Promise<KeyAccessResult> {
      const base = (options.url ?? request.service.url).replace(/\/+$/, '')
      const endpoint = `${base}/v1/rewrap`
      for (let n = 0; ; n++) {
        try {
          return await attempt(request, endpoint)
        } catch (err) {
          const code = (err as { code?: ArrowSealErrorCode }).code
          if (n >= retries || code === undefined || !RETRYABLE.has(code)) throw err
          const hinted = (err as { retryAfterMs?: number }).retryAfterMs
          await new Promise((r) => setTimeout(r, Math.min(hinted ?? 100 * 2 ** n, 5000)))
        }
      }
    },
  }
}

async function readLimited(res: Response): Promise<string> {
  const length = Number(res.headers.get('content-length'))
  if (Number.isFinite(length) && length > MAX_RESPONSE_BYTES) {
    throw new KeyAccessError('KAS_UNAVAILABLE', 'the gateway answer is too large')
  }
  const buf = await res.arrayBuffer()
  if (buf.byteLength > MAX_RESPONSE_BYTES)
    throw new KeyAccessError('KAS_UNAVAILABLE', 'the gateway answer is too large')
  return new TextDecoder().decode(buf)
}
