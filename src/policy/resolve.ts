/**
 * Turns a policy, a schema's field names and the recipients into access groups: fields with the same set of
 * readers share one group (one key per stream), and each distinct recipient key gets the keys of exactly the
 * groups its roles may read (least privilege).
 * @module
 */
import { PolicyError } from '../errors.js'
import { HARD_LIMITS } from '../format/constants.js'
import type { FieldRule, Policy } from './policy.js'

/** One planned access group. Group 0 is the public group when there is one. */
export interface PlannedGroup {
  readonly kind: 'public' | 'sealed'
  /** Sorted role names; empty for the public group. */
  readonly roles: readonly string[]
  readonly fields: readonly number[]
  readonly carriesMetadata: boolean
}

/** One stanza to write: a recipient key and the sealed groups it may read. */
export interface PlannedRecipient<K> {
  readonly key: K
  readonly roles: readonly string[]
  readonly groups: readonly number[]
}

/** The result of resolving a policy against a schema. */
export interface Plan<K> {
  readonly groups: readonly PlannedGroup[]
  /** Group index of each top-level field, or null when the field is dropped. */
  readonly groupOf: readonly (number | null)[]
  readonly metadataGroup: number | null
  readonly recipients: readonly PlannedRecipient<K>[]
}

const keyOfRoles = (roles: readonly string[]): string => JSON.stringify([...roles].sort())

/**
 * Plans groups and stanzas. Fails closed: an uncovered field, a rule for a field the schema lacks, or a role
 * with no recipients raises a PolicyError that names the field or role.
 *
 * @param tokenOf - for a schema with token columns (src/policy/tokens.ts): per position, the name of the field
 *   whose tokens the column holds (its rule is `policy.tokens[name]`), or null for an ordinary field.
 */
export function planAccess<K extends { readonly fingerprint: Uint8Array }>(
  fieldNames: readonly string[],
  hasSchemaMetadata: boolean,
  policy: Policy,
  recipients: Readonly<Record<string, readonly K[]>>,
  tokenOf?: readonly (string | null)[],
): Plan<K> {
  if (fieldNames.length > HARD_LIMITS.maxFieldsPerGroup) {
    // Positions are checked against this bound by readers, so a wider schema could never be opened.
    throw new PolicyError(
      'POLICY_INVALID',
      `the schema has ${fieldNames.length} top-level fields; the limit is ${HARD_LIMITS.maxFieldsPerGroup}`,
    )
  }
  const present = new Set(fieldNames)
  for (const name of [...Object.keys(policy.fields), ...Object.keys(policy.tokens ?? {})]) {
    if (!present.has(name))
      throw new PolicyError(
        'POLICY_UNKNOWN_FIELD',
        `policy names field ${JSON.stringify(name)}, which is not in the schema`,
      )
  }
  const checkRoles = (rule: FieldRule, where: string) => {
    if (typeof rule === 'string') return
    for (const role of rule) {
      if (!Object.hasOwn(recipients, role))
        throw new PolicyError(
          'POLICY_UNKNOWN_ROLE',
          `${where} names role ${JSON.stringify(role)}, which has no recipients`,
        )
    }
  }

  const groups: {
    kind: 'public' | 'sealed'
    roles: string[]
    fields: number[]
    carriesMetadata: boolean
    first: number
  }[] = []
  const byRoles = new Map<string, number>()
  const place = (rule: FieldRule, order: number): number | null => {
    if (rule === 'drop') return null
    const roles = rule === 'public' ? [] : [...rule].sort()
    const k = rule === 'public' ? 'public' : keyOfRoles(roles)
    let g = byRoles.get(k)
    if (g === undefined) {
      g = groups.length
      groups.push({
        kind: rule === 'public' ? 'public' : 'sealed',
        roles,
        fields: [],
        carriesMetadata: false,
        first: order,
      })
      byRoles.set(k, g)
    }
    return g
  }

  const provisional: (number | null)[] = fieldNames.map((name, i) => {
    const source = tokenOf?.[i] ?? null
    if (source !== null) {
      const roles = policy.tokens![source]!
      checkRoles(roles, `token rule for field ${JSON.stringify(source)}`)
      const g = place(roles, i)
      groups[g!]!.fields.push(i)
      return g
    }
    const rule = Object.hasOwn(policy.fields, name) ? policy.fields[name] : policy.default
    if (rule === undefined) {
      throw new PolicyError(
        'POLICY_FIELD_UNCOVERED',
        `field ${JSON.stringify(name)} is not covered by any rule; add it to policy.fields or set policy.default`,
      )
    }
    checkRoles(rule, `rule for field ${JSON.stringify(name)}`)
    const g = place(rule, i)
    if (g !== null) groups[g]!.fields.push(i)
    return g
  })

  let metadataProvisional: number | null = null
  if (hasSchemaMetadata) {
    const rule = policy.schemaMetadata ?? policy.default
    if (rule === undefined) {
      throw new PolicyError(
        'POLICY_FIELD_UNCOVERED',
        'the schema has custom metadata but no rule covers it; set policy.schemaMetadata or policy.default',
      )
    }
    checkRoles(rule, 'policy.schemaMetadata')
    metadataProvisional = place(rule, fieldNames.length)
    if (metadataProvisional !== null) groups[metadataProvisional]!.carriesMetadata = true
  }

  // Canonical group order: the public group first (so it is always group 0), then sealed groups by first field.
  const order = groups
    .map((_, i) => i)
    .sort((a, b) => {
      const ga = groups[a]!
      const gb = groups[b]!
      if (ga.kind !== gb.kind) return ga.kind === 'public' ? -1 : 1
      return ga.first - gb.first
    })
  if (order.length > HARD_LIMITS.maxGroups)
    throw new PolicyError(
      'POLICY_INVALID',
      `the policy makes ${order.length} groups; the limit is ${HARD_LIMITS.maxGroups}`,
    )
  const renumber = new Map(order.map((old, neu) => [old, neu]))
  const finalGroups: PlannedGroup[] = order.map((old) => {
    const g = groups[old]!
    if (g.fields.length > HARD_LIMITS.maxFieldsPerGroup)
      throw new PolicyError('POLICY_INVALID', `a group has more than ${HARD_LIMITS.maxFieldsPerGroup} fields`)
    return Object.freeze({
      kind: g.kind,
      roles: Object.freeze(g.roles),
      fields: Object.freeze(g.fields),
      carriesMetadata: g.carriesMetadata,
    })
  })
  const groupOf = provisional.map((g) => (g === null ? null : renumber.get(g)!))
  const metadataGroup = metadataProvisional === null ? null : renumber.get(metadataProvisional)!

  // One stanza per distinct key, even if the key holds several roles: it gets the union of their groups.
  const byKey = new Map<string, { key: K; roles: string[] }>()
  for (const [role, keys] of Object.entries(recipients)) {
    if (keys.length === 0) throw new PolicyError('POLICY_INVALID', `role ${JSON.stringify(role)} has no public keys`)
    for (const key of keys) {
      const id = Array.from(key.fingerprint, (b) => b.toString(16).padStart(2, '0')).join('')
      const entry = byKey.get(id)
      if (entry) {
        if (!entry.roles.includes(role)) entry.roles.push(role)
      } else byKey.set(id, { key, roles: [role] })
    }
  }
  if (byKey.size === 0) throw new PolicyError('POLICY_INVALID', 'at least one recipient is needed')
  if (byKey.size > HARD_LIMITS.maxRecipients)
    throw new PolicyError('POLICY_INVALID', `${byKey.size} recipients exceed the limit of ${HARD_LIMITS.maxRecipients}`)
  const planned: PlannedRecipient<K>[] = []
  for (const { key, roles } of byKey.values()) {
    const gs: number[] = []
    finalGroups.forEach((g, i) => {
      if (g.kind === 'sealed' && g.roles.some((r) => roles.includes(r))) gs.push(i)
    })
    planned.push(Object.freeze({ key, roles: Object.freeze(roles.sort()), groups: Object.freeze(gs) }))
  }
  return Object.freeze({
    groups: Object.freeze(finalGroups),
    groupOf: Object.freeze(groupOf),
    metadataGroup,
    recipients: Object.freeze(planned),
  })
}
