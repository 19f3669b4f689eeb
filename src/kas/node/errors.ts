/**
 * The gateway's error codes and their HTTP statuses (docs/reference/kas-http.md § Errors), in one table so the
 * server and the reference cannot drift apart.
 * @module
 */
import type { KeyAccessErrorCode } from '../../errors.js'

/** HTTP status of each code the gateway itself answers with. */
export const KAS_STATUS: Readonly<Partial<Record<KeyAccessErrorCode, number>>> = Object.freeze({
  KAS_REQUEST_INVALID: 400,
  KAS_WRONG_AUDIENCE: 400,
  KAS_HEADER_MISMATCH: 400,
  KAS_UNAUTHENTICATED: 401,
  KAS_STALE: 401,
  KAS_DENIED: 403,
  KAS_SUSPENDED: 403,
  KAS_NOT_A_RECIPIENT: 404,
  KAS_REPLAYED: 409,
  KAS_REQUEST_TOO_LARGE: 413,
  KAS_RATE_LIMITED: 429,
  KAS_UNAVAILABLE: 503,
})

/** The reason written to a denial's audit event for each code. */
export function denialReason(code: KeyAccessErrorCode): string {
  return code.replace(/^KAS_/, '')
}
