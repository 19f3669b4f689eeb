/**
 * The reader's side of a key-access gateway (format.md §Service recipients, "Reading through a gateway"): pick
 * the service entry, ask the provider once, and refuse any answer that does not fit the signed header before a
 * single key is used. The keys are then checked against their commitments by the opener, as for a stanza.
 * @module
 */
import { AuthError, FormatError } from '../errors.js'
import { activeServices, type HeaderChain } from '../format/chain.js'
import { GROUP_KEY_BYTES } from '../format/constants.js'
import { groupsOfRoles, type ServiceEntry } from '../format/service.js'
import type { KeyAccessReceipt } from '../kas/types.js'
import type { OpenOptions } from './options.js'

/**
 * How a reader got its keys from a gateway: which service, which roles it asked and was granted, and the
 * gateway's receipt when it sent one.
 *
 * @example
 * ```ts
 * const { keyAccess } = await openTableWithInfo(sealed, options)
 * if (keyAccess) console.log(keyAccess.url, keyAccess.rolesGranted)
 * ```
 */
export interface KeyAccessInfo {
  readonly url: string
  readonly dataset: string
  readonly rolesAsked: readonly string[]
  readonly rolesGranted: readonly string[]
  readonly receipt?: KeyAccessReceipt
}

/** One line per service: which roles go where (all public facts of the header). */
function describeServices(services: readonly ServiceEntry[]): string {
  return services
    .map((s) => `${s.roles.map((r) => r.name).join(', ')} through the key-access gateway at ${s.url}`)
    .join('; ')
}

/**
 * The service entry to ask and the roles to ask it for: the caller's roles, at the first entry that lists all of
 * them; by default every role of the first entry.
 */
function chooseService(
  services: readonly ServiceEntry[],
  wanted: readonly string[] | undefined,
): {
  entry: ServiceEntry
  roles: string[]
} {
  if (wanted === undefined) {
    const entry = services[0]!
    return { entry, roles: entry.roles.map((r) => r.name) }
  }
  const roles = [...new Set(wanted)].sort()
  const entry = services.find((s) => roles.every((name) => s.roles.some((r) => r.name === name)))
  if (!entry)
    throw new AuthError(
      'NOT_A_RECIPIENT',
      `no key-access gateway of this stream serves all of the roles asked (${roles.join(', ')}); the stream has ${describeServices(services)}`,
    )
  return { entry, roles }
}

/**
 * The raw group keys for a reader without a stanza, from `options.keyAccess`. Called at most once per stream.
 * The gateways are those of the chain whose stanza is still active (for a rewrapped stream, the writer's and those
 * rewrap layers added, less any removed since); the request carries the whole outermost header.
 * The provider's key buffers are wiped once copied: the opener keeps only what it derives from them.
 *
 * @throws AuthError `NOT_A_RECIPIENT` when the stream has no gateway for this reader or no provider is given,
 *   with a message that names the gateways; FormatError `FORMAT_INVALID` when the answer does not fit the header.
 * @example
 * ```ts
 * const { groupKeys, info } = await keysFromGateway(chain, headerDigest, options)
 * ```
 */
export async function keysFromGateway(
  chain: HeaderChain,
  headerDigest: Uint8Array,
  options: OpenOptions,
): Promise<{ groupKeys: Map<number, Uint8Array>; info: KeyAccessInfo }> {
  const services = activeServices(chain).map((s) => s.entry)
  if (services.length === 0) throw new AuthError('NOT_A_RECIPIENT', 'this identity is not a recipient of the stream')
  const { entry, roles } = chooseService(services, options.keyAccessRoles)
  if (!options.keyAccess)
    throw new AuthError(
      'NOT_A_RECIPIENT',
      `this identity is not a recipient of the stream; its roles go ${describeServices(services)}: open it with keyAccess (arrowseal open --key-access) to ask the gateway for keys`,
    )
  const result = await options.keyAccess.requestKeys({
    header: chain.bytes.slice(),
    headerDigest: headerDigest.slice(),
    streamId: chain.root.streamId.slice(),
    service: { url: entry.url, dataset: entry.dataset, roles },
    identity: options.identity,
  })
  const bad = (why: string): never => {
    throw new FormatError('FORMAT_INVALID', `the key-access gateway at ${entry.url} answered ${why}`)
  }
  if (typeof result !== 'object' || result === null || !(result.groupKeys instanceof Map)) bad('without group keys')
  if (!Array.isArray(result.rolesGranted) || !result.rolesGranted.every((r) => roles.includes(r)))
    bad('with a role that was not asked')
  const granted = [...new Set(result.rolesGranted)].sort()
  if (granted.length === 0)
    throw new AuthError('NOT_A_RECIPIENT', `the key-access gateway at ${entry.url} granted none of the roles asked`)
  const allowed = groupsOfRoles(entry, granted)
  const groupKeys = new Map<number, Uint8Array>()
  try {
    for (const [id, key] of result.groupKeys) {
      if (!allowed.includes(id)) bad(`with the key of group ${String(id)}, which the roles granted do not read`)
      if (!(key instanceof Uint8Array) || key.length !== GROUP_KEY_BYTES) bad('with a group key of the wrong size')
      groupKeys.set(id, key.slice())
    }
    for (const id of allowed) if (!groupKeys.has(id)) bad(`without the key of group ${id}, which a role granted reads`)
  } catch (err) {
    for (const k of groupKeys.values()) k.fill(0)
    throw err
  } finally {
    for (const k of result.groupKeys.values()) if (k instanceof Uint8Array) k.fill(0)
  }
  const info: KeyAccessInfo = {
    url: entry.url,
    dataset: entry.dataset,
    rolesAsked: roles,
    rolesGranted: granted,
    ...(result.receipt ? { receipt: result.receipt } : {}),
  }
  return { groupKeys, info }
}
