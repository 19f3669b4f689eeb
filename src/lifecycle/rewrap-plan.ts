/**
 * What a rewrap changes (format.md §Rewrapped streams, writing): which active recipients stay, and the stanzas to
 * add, each with its sealed groups. Roles resolve to groups through the policy the stream was sealed with, applied
 * to the group schemas the rewrapper can see. Every refusal happens here, before any output.
 * @module
 */
import { bytesToHex } from '@noble/hashes/utils.js'
import type { GroupLayout } from '../arrow/layout.js'
import { KeyError, PolicyError, RewrapError } from '../errors.js'
import type { HeaderChain } from '../format/chain.js'
import { GROUP_KIND_SEALED, HARD_LIMITS, HEADER_FLAG_ANONYMOUS, SERVICE_LIMITS } from '../format/constants.js'
import { datasetProblem, type ServiceRole } from '../format/service.js'
import { type PublicKey, parsePublicKey } from '../keys/public-key.js'
import { type FieldRule, type Policy, parsePolicy, parseRecipients } from '../policy/policy.js'
import { parseRecipientKeys } from '../seal/options.js'
import { TOKEN_METADATA_KEY } from '../seal/tokenise.js'
import type { RewrapOptions } from './rewrap-options.js'

/**
 * A stanza to add: the recipient key and the sealed groups it reads, ascending; for a key-access gateway
 * (`{ service, key }`), its URL and the roles it serves, ascending, each with its groups (their union is `groups`).
 */
export interface AddedRecipient {
  readonly key: PublicKey
  readonly groups: readonly number[]
  readonly service?: { readonly url: string; readonly roles: readonly ServiceRole[] }
}

/**
 * The outcome of planning: active indices that stay (ascending), the stanzas to add, in order first named, and the
 * dataset the layer's service entries name (used only when a gateway is added).
 */
export interface RewrapPlan {
  readonly kept: readonly number[]
  readonly added: readonly AddedRecipient[]
  readonly dataset: string
}

const KEY_ID_RE = /^[0-9a-f]{16}$/

/**
 * Plans a rewrap. `visible` holds the layout of every sealed group whose schema the rewrapper can see; `held` the
 * ids of the groups whose keys it holds.
 *
 * @throws RewrapError `RECIPIENT_UNKNOWN`, `REWRAP_NOT_ENTITLED`; PolicyError `POLICY_INVALID`,
 *   `POLICY_UNKNOWN_ROLE`; KeyError `KEY_INVALID`.
 * @example
 * ```ts
 * const plan = planRewrap(chain, options, visible, new Set([1, 2]))
 * ```
 */
export function planRewrap(
  chain: HeaderChain,
  options: RewrapOptions,
  visible: ReadonlyMap<number, GroupLayout>,
  held: ReadonlySet<number>,
): RewrapPlan {
  const removed = resolveRemovals(chain, options.remove ?? [])
  const kept = chain.active.flatMap((_, i) => (removed.has(i) ? [] : [i]))
  const added = resolveAdditions(chain, options, visible, held, kept)
  const total = kept.length + added.length
  if (total === 0) throw new PolicyError('POLICY_INVALID', 'the rewrap would leave the stream without recipients')
  if (total > HARD_LIMITS.maxRecipients)
    throw new PolicyError('POLICY_INVALID', `${total} recipients exceed the limit of ${HARD_LIMITS.maxRecipients}`)
  const gateways = added.filter((a) => a.service).length
  if (gateways > SERVICE_LIMITS.maxServices)
    throw new PolicyError(
      'POLICY_INVALID',
      `${gateways} gateways exceed the limit of ${SERVICE_LIMITS.maxServices} per rewrap`,
    )
  return { kept, added, dataset: datasetOf(chain, options) }
}

/**
 * The dataset of the layer's service entries: `options.dataset`, else the dataset the stream's gateways already
 * name (the writer's or an earlier rewrapper's), else `""`, as for sealing.
 */
function datasetOf(chain: HeaderChain, options: RewrapOptions): string {
  if (options.dataset !== undefined) {
    if (typeof options.dataset !== 'string') throw new TypeError('options.dataset must be a string')
    const why = datasetProblem(options.dataset)
    if (why) throw new PolicyError('POLICY_INVALID', `options.dataset ${why}`)
    return options.dataset
  }
  const sections = [chain.root.service, ...chain.layers.map((l) => l.service)]
  return sections.find((s) => s)?.services[0]?.dataset ?? ''
}

/** Active indices named by `remove` (public keys or key ids); each entry must name one. */
function resolveRemovals(chain: HeaderChain, remove: readonly string[]): Set<number> {
  if (!Array.isArray(remove)) throw new TypeError('options.remove must be an array of public keys or key ids')
  const anonymous = ((chain.layers.at(-1)?.flags ?? chain.root.flags) & HEADER_FLAG_ANONYMOUS) !== 0
  const hex = chain.active.map((a) => bytesToHex(a.stanza.fingerprint))
  const out = new Set<number>()
  for (const [i, entry] of remove.entries()) {
    if (typeof entry !== 'string') throw new TypeError(`options.remove[${i}] must be a string`)
    let match: (h: string) => boolean
    if (KEY_ID_RE.test(entry)) match = (h) => h.startsWith(entry)
    else {
      let key: PublicKey
      try {
        key = parsePublicKey(entry)
      } catch (cause) {
        throw new KeyError(`remove[${i}]: neither a key id (16 hex digits) nor a public key`, { cause })
      }
      const fp = bytesToHex(key.fingerprint)
      match = (h) => h === fp
    }
    // Anonymous stanzas carry zero fingerprints: they name nobody, so nothing can be matched by key.
    const found = anonymous ? [] : hex.flatMap((h, j) => (match(h) ? [j] : []))
    if (found.length === 0)
      throw new RewrapError(
        'RECIPIENT_UNKNOWN',
        anonymous
          ? `remove[${i}]: the stream's recipients are anonymous, so no stanza can be matched to a key`
          : `remove[${i}] names no recipient of the stream`,
      )
    for (const j of found) out.add(j)
  }
  return out
}

function resolveAdditions(
  chain: HeaderChain,
  options: RewrapOptions,
  visible: ReadonlyMap<number, GroupLayout>,
  held: ReadonlySet<number>,
  kept: readonly number[],
): AddedRecipient[] {
  const add = options.add
  if (add === undefined || Object.keys(add).length === 0) return []
  if (options.policy === undefined)
    throw new PolicyError('POLICY_INVALID', 'options.add needs options.policy: roles resolve to groups through it')
  const policy = parsePolicy(options.policy)
  const { keys, services } = parseRecipientKeys(parseRecipients(add))
  const rolesOf = groupRoles(chain, policy, visible)
  const known = policyRoles(policy)
  const stayed = new Set(kept.map((i) => bytesToHex(chain.active[i]!.stanza.fingerprint)))
  const byKey = new Map<string, { key: PublicKey; groups: Set<number>; roles: Map<string, readonly number[]> }>()
  for (const [role, list] of Object.entries(keys)) {
    if (!known.has(role)) throw new PolicyError('POLICY_UNKNOWN_ROLE', `add: the policy gives role "${role}" no field`)
    const groups = [...rolesOf.entries()].flatMap(([g, roles]) => (roles.has(role) ? [g] : []))
    for (const key of list) {
      const id = bytesToHex(key.fingerprint)
      if (stayed.has(id))
        throw new PolicyError(
          'POLICY_INVALID',
          `add: key ${key.keyId} is already a recipient; remove it and add it with all its roles in one rewrap`,
        )
      const entry = byKey.get(id) ?? { key, groups: new Set<number>(), roles: new Map() }
      for (const g of groups) entry.groups.add(g)
      entry.roles.set(role, groups)
      byKey.set(id, entry)
    }
  }
  return [...byKey.entries()].map(([id, { key, groups, roles }]) => {
    const sorted = [...groups].sort((a, b) => a - b)
    for (const g of sorted)
      if (!held.has(g))
        throw new RewrapError(
          'REWRAP_NOT_ENTITLED',
          `the rewrapper does not hold group ${g}, which key ${key.keyId} needs`,
        )
    const url = services.get(id)
    if (url === undefined) return { key, groups: sorted }
    // A gateway's service entry lists the roles that name it, ascending, each with its groups, as a sealer's does.
    if (roles.size > SERVICE_LIMITS.maxRolesPerService)
      throw new PolicyError('POLICY_INVALID', `gateway ${url} serves more than 1,024 roles`)
    const served = [...roles.keys()].sort().map((name) => ({ name, groups: roles.get(name)! }))
    return { key, groups: sorted, service: { url, roles: served } }
  })
}

/** Every role any rule of the policy names. */
function policyRoles(policy: Policy): Set<string> {
  const rules: FieldRule[] = [...Object.values(policy.fields)]
  if (policy.default !== undefined) rules.push(policy.default)
  if (policy.schemaMetadata !== undefined) rules.push(policy.schemaMetadata)
  const out = new Set<string>()
  for (const rule of rules) if (Array.isArray(rule)) for (const r of rule) out.add(r)
  for (const roles of Object.values(policy.tokens ?? {})) for (const r of roles) out.add(r)
  return out
}

/**
 * The roles of each sealed group, from the rules of its fields (a token column's rule is `policy.tokens`; a group
 * that carries only the schema metadata, `policy.schemaMetadata`). A group whose schema is hidden from the
 * rewrapper has unknown roles, so no grant can be planned safely.
 */
function groupRoles(
  chain: HeaderChain,
  policy: Policy,
  visible: ReadonlyMap<number, GroupLayout>,
): Map<number, Set<string>> {
  const out = new Map<number, Set<string>>()
  for (const g of chain.root.groups) {
    if (g.kind !== GROUP_KIND_SEALED) continue
    const layout = visible.get(g.id)
    if (!layout)
      throw new RewrapError(
        'REWRAP_NOT_ENTITLED',
        `the rewrapper cannot see group ${g.id}'s schema, so it cannot tell which roles read it`,
      )
    const roles = new Set<string>()
    const rules: (FieldRule | readonly string[] | undefined)[] = layout.schema.fields.map((f) =>
      f.metadata.has(TOKEN_METADATA_KEY) ? policy.tokens?.[f.name] : (policy.fields[f.name] ?? policy.default),
    )
    if (layout.schema.fields.length === 0) rules.push(policy.schemaMetadata ?? policy.default)
    for (const rule of rules) if (Array.isArray(rule)) for (const r of rule) roles.add(r)
    out.set(g.id, roles)
  }
  return out
}
