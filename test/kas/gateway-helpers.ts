// Shared set-up of the gateway's in-process tests: a real fastify server listening on loopback, a real store and
// audit log, and a stand-in `unwrapForService` (the real one is exercised by test/kas/e2e-*.test.ts).

import type { AddressInfo } from 'node:net'
import { sha256 } from '@noble/hashes/sha2.js'
import { type AdminAction, signAdminCommand } from '../../src/kas/admin-command.js'
import { createKasServer, type KasServerOptions } from '../../src/kas/node/server.js'
import { openKasStore } from '../../src/kas/node/store.js'
import {
  b64u,
  createRequestSession,
  encodeRequest,
  ephemeralKey,
  type KasRequest,
  signRequest,
} from '../../src/kas/protocol.js'
import type { KasServerHooks, UnwrapForService, UnwrappedService } from '../../src/kas/types.js'
import { type Identity, identityFromSeed } from '../../src/keys/identity.js'
import { type AuditLog, openAuditLog, type StoreLocation } from '../../src/store/log.js'

export const gatewayId = identityFromSeed(new Uint8Array(32).fill(41))
export const adminId = identityFromSeed(new Uint8Array(32).fill(42))
export const readerId = identityFromSeed(new Uint8Array(32).fill(43))
export const otherId = identityFromSeed(new Uint8Array(32).fill(44))
export const ORIGIN = 'kas.test/audit'

/** A header stand-in and what the fake unwrap returns for it. */
export function fakeHeader(tag: number): { header: Uint8Array; view: UnwrappedService } {
  const header = new Uint8Array(300).fill(tag)
  const streamId = new Uint8Array(16).fill(tag)
  return {
    header,
    view: {
      streamId,
      headerDigest: sha256(header),
      signer: new Uint8Array(32),
      url: 'http://127.0.0.1',
      dataset: 'sales',
      roles: new Map([
        ['analysts', [1]],
        ['support', [2]],
      ]),
      groupKeys: new Map([
        [1, new Uint8Array(32).fill(0xa1)],
        [2, new Uint8Array(32).fill(0xa2)],
      ]),
    },
  }
}

export const headers = [fakeHeader(1), fakeHeader(2)]

/** Fake unwrap: knows the two headers above, refuses anything else as NOT_A_RECIPIENT. */
export const fakeUnwrap: UnwrapForService = async (header) => {
  for (const h of headers) {
    if (h.header.length === header.length && h.header.every((b, i) => b === header[i])) {
      // Copies: the server zeroes the keys it still caches when it closes.
      return { ...h.view, groupKeys: new Map([...h.view.groupKeys].map(([k, v]) => [k, v.slice()])) }
    }
  }
  const { AuthError } = await import('../../src/errors.js')
  throw new AuthError('NOT_A_RECIPIENT', 'no stanza for this gateway')
}

export interface Running {
  readonly url: string
  readonly log: AuditLog
  close(): Promise<void>
}

export async function startGateway(
  location: StoreLocation,
  extra: Partial<KasServerOptions> & { hooks?: KasServerHooks } = {},
): Promise<Running> {
  const log = await openAuditLog(location, { origin: ORIGIN, identity: gatewayId })
  const store = await openKasStore(location)
  const server = await createKasServer({
    identity: gatewayId,
    store,
    log,
    trustedWriters: [],
    admins: [adminId.publicKeyObject],
    unwrap: fakeUnwrap,
    ...extra,
  })
  await server.app.listen({ host: '127.0.0.1', port: 0 })
  const port = (server.app.server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    async close() {
      await server.close()
      await store.close()
      await log.close()
    },
  }
}

export async function admin(url: string, action: AdminAction, who: Identity = adminId): Promise<Response> {
  return fetch(`${url}/v1/admin`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(signAdminCommand(action, who, gatewayId.fingerprint)),
  })
}

/** A raw request with every field overridable, signed by `signer` (or unsigned auth given). */
export function rawRequest(
  over: Partial<KasRequest> = {},
  signer: Identity = readerId,
  h = headers[0]!,
): { bytes: Uint8Array; body: string; eph: ReturnType<typeof ephemeralKey> } {
  const eph = ephemeralKey()
  const bytes = encodeRequest({
    version: 1,
    nonce: crypto.getRandomValues(new Uint8Array(16)),
    time: Date.now(),
    audience: gatewayId.fingerprint,
    streamId: h.view.streamId,
    headerDigest: h.view.headerDigest,
    roles: ['analysts'],
    ephemeralKey: eph.publicKey,
    header: h.header,
    ...over,
  })
  return { bytes, eph, body: JSON.stringify({ request: b64u(bytes), auth: signRequest(bytes, signer) }) }
}

export const session = createRequestSession(readerId)

export async function post(url: string, body: string): Promise<{ status: number; json: any; headers: Headers }> {
  const res = await fetch(`${url}/v1/rewrap`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
  return { status: res.status, json: await res.json(), headers: res.headers }
}
