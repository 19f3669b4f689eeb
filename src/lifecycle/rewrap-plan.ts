/**
 * What a rewrap changes (format.md §Rewrapped streams, writing): which active recipients stay, and the stanzas to
 * add, each with its sealed groups. Roles resolve to groups through the policy the stream was sealed with, applied
 * to the group schemas the rewrapper can see. Every refusal happens here, before any output.
 * @module
 */
import { bytesToHex } from '@noble/hashes/utils.js'
import type { GroupLayout } from '../arrow/layout.js'
import { FormatError, KeyError, PolicyError, RewrapError } from '../errors.js'
import type { HeaderChain } from '../format/chain.js'
import { GROUP_KIND_SEALED, HARD_LIMITS, HEADER_FLAG_ANONYMOUS } from '../format/constants.js'
import { type PublicKey, parsePublicKey } from '../keys/public-key.js'
import { type FieldRule, type Policy, parsePolicy, parseRecipients } from '../policy/policy.js'
import { parseRecipientKeys } from '../seal/options.js'
import { TOKEN_METADATA_KEY } from '../seal/tokenise.js'
import type { RewrapOptions } from './rewrap-options.js'

/** A stanza to add: the recipient key and the sealed groups it reads, ascending. */
export interface AddedRecipient {
  readonly key: PublicKey
  readonly groups: readonly number[]
}

/** The outcome of planning: active indices that stay (ascending) and the stanzas to add, in order first named. */
export interface RewrapPlan {
  readonly kept: readonly number[]
  readonly added: readonly AddedRecipient[]
}

const KEY_ID_RE = /^[0-9a-f]{16}$/

/**
 * Plans a rewrap. `visible` holds the layout of every sealed group whose schema the rewrapper can see; `held` the
 * ids of the groups whose keys it holds.
 *
 * @throws RewrapError `RECIPIENT_UNKNOWN`, `REWRAP_NOT_ENTITLED`; PolicyError `POLICY_INVALID`,
 *   `POLICY_UNKNOWN_ROLE`; KeyError `KEY_INVALID`; FormatError `FORMAT_UNSUPPORTED` (a service recipient).
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
  return { kept, added }
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
  if (services.size > 0)
    throw new FormatError('FORMAT_UNSUPPORTED', 'adding service recipients in a rewrap is not supported yet')
  const rolesOf = groupRoles(chain, policy, visible)
  const known = policyRoles(policy)
  const stayed = new Set(kept.map((i) => bytesToHex(chain.active[i]!.stanza.fingerprint)))
  const byKey = new Map<string, { key: PublicKey; groups: Set<number> }>()
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
      const entry = byKey.get(id) ?? { key, groups: new Set<number>() }
      for (const g of groups) entry.groups.add(g)
      byKey.set(id, entry)
    }
  }
  return [...byKey.values()].map(({ key, groups }) => {
    const sorted = [...groups].sort((a, b) => a - b)
    for (const g of sorted)
      if (!held.has(g))
        throw new RewrapError(
          'REWRAP_NOT_ENTITLED',
          `the rewrapper does not hold group ${g}, which key ${key.keyId} needs`,
        )
    return { key, groups: sorted }
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
