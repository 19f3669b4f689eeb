/**
 * The writer's half of the service section: which planned stanzas belong to gateways, and which roles (and so
 * which groups) each gateway serves. Kept apart from the policy planner, which knows nothing of services: a
 * gateway's stanza is planned like any recipient's, and this only describes it.
 * @module
 */
import { PolicyError } from '../errors.js'
import { SERVICE_LIMITS } from '../format/constants.js'
import type { ServiceEntry, ServiceSection } from '../format/service.js'
import type { PublicKey } from '../keys/public-key.js'
import type { Plan } from '../policy/resolve.js'

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')

/**
 * The service section of a plan, or null when no recipient is a gateway. Each gateway's roles are the roles
 * that name it, ascending; each role lists the sealed groups it may read, so their union is exactly the groups
 * of the gateway's stanza (least privilege, as for a reader).
 *
 * @param services - fingerprint hex → URL of the keys named as gateways.
 * @param frameKey - the stream's frame key (public), bound into the section.
 * @example
 * ```ts
 * const section = planServices(plan, services, 'sales', frameKey)
 * ```
 */
export function planServices(
  plan: Plan<PublicKey>,
  services: ReadonlyMap<string, string>,
  dataset: string,
  frameKey: Uint8Array,
): ServiceSection | null {
  if (services.size === 0) return null
  if (services.size > SERVICE_LIMITS.maxServices)
    throw new PolicyError(
      'POLICY_INVALID',
      `${services.size} gateways exceed the limit of ${SERVICE_LIMITS.maxServices} per stream`,
    )
  const entries: ServiceEntry[] = []
  for (const [stanzaIndex, r] of plan.recipients.entries()) {
    const url = services.get(hex(r.key.fingerprint))
    if (url === undefined) continue
    if (r.roles.length > SERVICE_LIMITS.maxRolesPerService)
      throw new PolicyError('POLICY_INVALID', `gateway ${url} serves more than 1,024 roles`)
    const roles = [...r.roles].sort().map((name) => ({
      name,
      groups: plan.groups.flatMap((g, id) => (g.kind === 'sealed' && g.roles.includes(name) ? [id] : [])),
    }))
    entries.push({ stanzaIndex, url, dataset, roles })
  }
  return { frameKey, services: entries }
}
