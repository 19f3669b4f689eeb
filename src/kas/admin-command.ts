/**
 * Admin commands of the key-access gateway (grant, revoke, suspend, unsuspend, list): UTF-8 JSON bytes signed
 * with the admin's hybrid key under the label `kas admin`. The gateway parses exactly the bytes that were signed,
 * so no canonical form is needed; nonce, time and audience stop a command from being replayed or redirected.
 * Core module: the CLI builds commands, the Node server checks them.
 * @module
 */
import type { Identity } from '../keys/identity.js'
import { ADMIN_LABEL, b64u, hex } from './protocol.js'
import type { PrincipalName } from './types.js'

/** What an admin can ask. */
export type AdminAction =
  | {
      readonly action: 'grant'
      readonly principal: PrincipalName
      readonly role: string
      readonly dataset: string
      readonly notBefore?: number
      readonly notAfter?: number | null
    }
  | { readonly action: 'revoke'; readonly principal: PrincipalName; readonly role: string; readonly dataset: string }
  | { readonly action: 'suspend'; readonly principal: PrincipalName; readonly reason?: string }
  | { readonly action: 'unsuspend'; readonly principal: PrincipalName }
  | { readonly action: 'list'; readonly principal?: PrincipalName }

/** The signed part: the action plus replay protection. */
export type AdminCommand = AdminAction & {
  readonly v: 1
  /** 16 random bytes, hex. */
  readonly nonce: string
  /** ms since the epoch. */
  readonly time: number
  /** The gateway's key fingerprint, hex. */
  readonly audience: string
}

/**
 * Builds and signs an admin command: the JSON body to POST to `/v1/admin`.
 *
 * @example
 * ```ts
 * const body = signAdminCommand({ action: 'revoke', principal, role: 'analysts', dataset: 'sales' }, admin, gateway.fingerprint)
 * ```
 */
export function signAdminCommand(
  action: AdminAction,
  admin: Identity,
  audience: Uint8Array,
  now: number = Date.now(),
): { request: string; auth: { kind: 'key'; publicKey: string; signature: string } } {
  const command: AdminCommand = {
    v: 1,
    nonce: hex(crypto.getRandomValues(new Uint8Array(16))),
    time: now,
    audience: hex(audience),
    ...action,
  }
  const bytes = new TextEncoder().encode(JSON.stringify(command))
  return {
    request: b64u(bytes),
    auth: { kind: 'key', publicKey: admin.publicKey, signature: b64u(admin.sign(ADMIN_LABEL, bytes)) },
  }
}
