/**
 * The reader's side of a key-access gateway (format.md §Service recipients, "Reading through a gateway"): pick
 * the service entry, ask the provider once, and refuse any answer that does not fit the signed header before a
 * single key is used. The keys are then checked against their commitments by the opener, as for a stanza.
 * @module
 */
import { AuthError, FormatError } from '../errors.js'
import { GROUP_KEY_BYTES } from '../format/constants.js'
import type { ParsedHeader } from '../format/header.js'
import { groupsOfRoles, type ServiceEntry, type ServiceSection } from '../format/service.js'
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
function describeServices(section: ServiceSection): string {
  return section.services
    .map((s) => `${s.roles.map((r) => r.name).join(', ')} through the key-access gateway at ${s.url}`)
    .join('; ')
}

/**
 * The service entry to ask and the roles to ask it for: the caller's roles, at the first entry that lists all of
 * them; by default every role of the first entry.
 */
function chooseService(
  section: ServiceSection,
  wanted: readonly string[] | undefined,
): {
  entry: ServiceEntry
  roles: string[]
} {
  if (wanted === undefined) {
    const entry = section.services[0]!
    return { entry, roles: entry.roles.map((r) => r.name) }
  }
  const roles = [...new Set(wanted)].sort()
  const entry = section.services.find((s) => roles.every((name) => s.roles.some((r) => r.name === name)))
  if (!entry)
    throw new AuthError(
      'NOT_A_RECIPIENT',
      `no key-access gateway of this stream serves all of the roles asked (${roles.join(', ')}); the stream has ${describeServices(section)}`,
    )
  return { entry, roles }
}

/**
 * The raw group keys for a reader without a stanza, from `options.keyAccess`. Called at most once per stream.
 * The provider's key buffers are wiped once copied: the opener keeps only what it derives from them.
 *
 * @throws AuthError `NOT_A_RECIPIENT` when the stream has no gateway for this reader or no provider is given,
 *   with a message that names the gateways; FormatError `FORMAT_INVALID` when the answer does not fit the header.
 * @example
 * ```ts
 * const { groupKeys, info } = await keysFromGateway(header, headerDigest, options)
 * ```
 */
export async function keysFromGateway(
  header: ParsedHeader,
  headerDigest: Uint8Array,
  options: OpenOptions,
): Promise<{ groupKeys: Map<number, Uint8Array>; info: KeyAccessInfo }> {
  const section = header.service
  if (!section) throw new AuthError('NOT_A_RECIPIENT', 'this identity is not a recipient of the stream')
  const { entry, roles } = chooseService(section, options.keyAccessRoles)
  if (!options.keyAccess)
    throw new AuthError(
      'NOT_A_RECIPIENT',
      `this identity is not a recipient of the stream; its roles go ${describeServices(section)}: open it with keyAccess (arrowseal open --key-access) to ask the gateway for keys`,
    )
  const result = await options.keyAccess.requestKeys({
    header: header.bytes.slice(),
    headerDigest: headerDigest.slice(),
    streamId: header.streamId.slice(),
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
