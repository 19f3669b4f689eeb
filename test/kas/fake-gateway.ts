/**
 * An in-process key-access provider for the core tests of the service format: it runs the real
 * `unwrapForService` on the header it is given and grants the roles its `entitled` list allows, as a gateway
 * would, without HTTP (that path is the server's, tested with real processes in its own tests).
 */

import { unwrapForService } from '../../src/kas/service-view.js'
import type { KeyAccessProvider, KeyAccessRequest } from '../../src/kas/types.js'
import type { Identity } from '../../src/keys/identity.js'
import type { PublicKey } from '../../src/keys/public-key.js'

export interface FakeGateway extends KeyAccessProvider {
  /** Every request it was asked, in order. */
  readonly requests: KeyAccessRequest[]
}

/** A gateway holding `gateway`'s secret that trusts `writers` and grants the roles in `entitled` (default: all). */
export function fakeGateway(
  gateway: Identity,
  writers: readonly PublicKey[],
  entitled?: readonly string[],
): FakeGateway {
  const requests: KeyAccessRequest[] = []
  return {
    requests,
    async requestKeys(request) {
      requests.push(request)
      const view = await unwrapForService(request.header, gateway, writers)
      try {
        const granted = request.service.roles.filter((r) => view.roles.has(r) && (!entitled || entitled.includes(r)))
        const groupKeys = new Map<number, Uint8Array>()
        for (const r of granted) for (const g of view.roles.get(r)!) groupKeys.set(g, view.groupKeys.get(g)!.slice())
        return { groupKeys, rolesGranted: granted }
      } finally {
        for (const k of view.groupKeys.values()) k.fill(0)
      }
    },
  }
}
