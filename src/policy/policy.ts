/**
 * Access policies: which roles may read which top-level fields. A policy is plain JSON so security teams can
 * keep it in version control and the CLI can load it from a file.
 * @module
 */
import { PolicyError } from '../errors.js'
import { serviceUrlProblem } from '../format/service.js'

/**
 * What happens to one field: `'public'` (authenticated, not encrypted: everyone who can open the stream reads
 * it), `'drop'` (not written at all), or the list of roles that may read it.
 *
 * @example
 * ```ts
 * import type { FieldRule } from 'arrowseal'
 * const rule: FieldRule = ['analysts', 'auditors']
 * ```
 */
export type FieldRule = 'public' | 'drop' | readonly string[]

/**
 * An access policy. Every top-level field must be covered by `fields` or by `default`; otherwise sealing fails
 * closed. Rules are matched by field name and apply to every field of that name.
 *
 * @example
 * ```ts
 * import type { Policy } from 'arrowseal'
 * const policy: Policy = {
 *   fields: { id: 'public', amount: ['analysts', 'auditors'], email: ['auditors'] },
 *   default: 'drop',
 * }
 * ```
 */
export interface Policy {
  /** Rules by top-level field name. */
  readonly fields: Readonly<Record<string, FieldRule>>
  /** Rule for fields that `fields` does not name. Without it, an uncovered field makes sealing throw. */
  readonly default?: FieldRule
  /**
   * Rule for schema-level custom metadata. Defaults to `default`; if neither is set and the schema has
   * metadata, sealing throws rather than guess who may read it.
   */
  readonly schemaMetadata?: FieldRule
  /**
   * Pseudonymised views: by field name, the roles that read a keyed token of each value (HMAC-SHA-256 under the
   * dataset's token key, see `SealOptions.tokens`) instead of the value. The field's own rule still says who reads
   * it in clear (`'drop'`: nobody). Token roles can join, group and count distinct values but not read them.
   * See docs/concepts/policies.md § Pseudonymised views.
   */
  readonly tokens?: Readonly<Record<string, readonly string[]>>
}

/**
 * A key-access gateway as the recipient of a role: the groups of the role are wrapped to the gateway's key
 * (`aseal1…`), and readers ask the gateway at `service` (an `http:` or `https:` URL) for them when they open the
 * stream (docs/format.md §Service recipients).
 *
 * @example
 * ```ts
 * import type { ServiceRecipient } from 'arrowseal'
 * declare const gatewayPublicKey: string
 * const kas: ServiceRecipient = { service: 'https://kas.example', key: gatewayPublicKey }
 * ```
 */
export interface ServiceRecipient {
  readonly service: string
  readonly key: string
}

/**
 * One recipient of a role: a reader's public key (`aseal1…`), or a key-access gateway.
 *
 * @example
 * ```ts
 * import type { RecipientEntry } from 'arrowseal'
 * declare const alice: string, gatewayPublicKey: string
 * const entries: RecipientEntry[] = [alice, { service: 'https://kas.example', key: gatewayPublicKey }]
 * ```
 */
export type RecipientEntry = string | ServiceRecipient

/**
 * Recipients by role: each role maps to the `aseal1…` public keys of the readers that hold it, or to key-access
 * gateways that serve it (`{ service, key }`); a role may have both.
 *
 * @example
 * ```ts
 * import type { Recipients } from 'arrowseal'
 * declare const alice: string, bob: string, gatewayPublicKey: string
 * const recipients: Recipients = {
 *   analysts: [alice],
 *   auditors: [alice, bob],
 *   partners: [{ service: 'https://kas.example', key: gatewayPublicKey }],
 * }
 * ```
 */
export type Recipients = Readonly<Record<string, readonly RecipientEntry[]>>

const ROLE_RE = /^[A-Za-z0-9_.:-]{1,128}$/
const MAX_FIELD_RULES = 65_536

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function parseRule(v: unknown, where: string): FieldRule {
  if (v === 'public' || v === 'drop') return v
  if (Array.isArray(v)) {
    if (v.length === 0)
      throw new PolicyError(
        'POLICY_INVALID',
        `${where}: an empty role list would make the field unreadable; use "drop"`,
      )
    const roles: string[] = []
    for (const [i, role] of v.entries()) {
      if (typeof role !== 'string' || !ROLE_RE.test(role)) {
        throw new PolicyError(
          'POLICY_INVALID',
          `${where}[${i}]: a role must be 1-128 characters of A-Z a-z 0-9 _ . : -`,
        )
      }
      if (!roles.includes(role)) roles.push(role)
    }
    return Object.freeze(roles)
  }
  throw new PolicyError('POLICY_INVALID', `${where}: a rule must be "public", "drop" or an array of role names`)
}

/**
 * Validates a policy object (for example parsed from JSON) and returns a frozen, normalised copy: duplicate
 * roles in a rule are merged, unknown keys are refused, and every error says where the problem is.
 *
 * @example
 * ```ts
 * import { parsePolicy } from 'arrowseal'
 * const policy = parsePolicy(JSON.parse('{"fields":{"id":"public","email":["auditors"]}}'))
 * ```
 */
export function parsePolicy(input: unknown): Policy {
  if (typeof input === 'string') {
    let parsed: unknown
    try {
      parsed = JSON.parse(input)
    } catch (cause) {
      throw new PolicyError('POLICY_INVALID', 'policy: not valid JSON', { cause })
    }
    return parsePolicy(parsed)
  }
  if (!isRecord(input)) throw new PolicyError('POLICY_INVALID', 'policy: must be an object with a "fields" object')
  for (const key of Object.keys(input)) {
    if (
      key !== 'fields' &&
      key !== 'default' &&
      key !== 'schemaMetadata' &&
      key !== 'tokens' &&
      key !== '$schema' &&
      key !== 'description'
    ) {
      throw new PolicyError(
        'POLICY_INVALID',
        `policy: unknown key "${key}" (expected fields, default, schemaMetadata, tokens)`,
      )
    }
  }
  const fieldsIn = input['fields']
  if (!isRecord(fieldsIn))
    throw new PolicyError('POLICY_INVALID', 'policy.fields: must be an object mapping field names to rules')
  const names = Object.keys(fieldsIn)
  if (names.length > MAX_FIELD_RULES)
    throw new PolicyError('POLICY_INVALID', `policy.fields: more than ${MAX_FIELD_RULES} rules`)
  // A null prototype so a field named "__proto__" or "constructor" is just a field.
  const fields: Record<string, FieldRule> = Object.create(null)
  for (const name of names) fields[name] = parseRule(fieldsIn[name], `policy.fields[${JSON.stringify(name)}]`)
  const out: {
    fields: Record<string, FieldRule>
    default?: FieldRule
    schemaMetadata?: FieldRule
    tokens?: Record<string, readonly string[]>
  } = {
    fields: Object.freeze(fields),
  }
  if (input['default'] !== undefined) out.default = parseRule(input['default'], 'policy.default')
  if (input['schemaMetadata'] !== undefined)
    out.schemaMetadata = parseRule(input['schemaMetadata'], 'policy.schemaMetadata')
  if (input['tokens'] !== undefined) out.tokens = parseTokens(input['tokens'])
  return Object.freeze(out)
}

function parseTokens(v: unknown): Record<string, readonly string[]> {
  if (!isRecord(v))
    throw new PolicyError('POLICY_INVALID', 'policy.tokens: must be an object mapping field names to roles')
  const names = Object.keys(v)
  if (names.length > MAX_FIELD_RULES)
    throw new PolicyError('POLICY_INVALID', `policy.tokens: more than ${MAX_FIELD_RULES} rules`)
  const out: Record<string, readonly string[]> = Object.create(null)
  for (const name of names) {
    const where = `policy.tokens[${JSON.stringify(name)}]`
    const rule = parseRule(v[name], where)
    // A token of a public field would be weaker than the field itself; "drop" here is simply no tokens.
    if (typeof rule === 'string')
      throw new PolicyError('POLICY_INVALID', `${where}: must be an array of the roles that get tokens`)
    out[name] = rule
  }
  return Object.freeze(out)
}

/** A `{ service, key }` entry, checked and frozen; anything else in the object is refused. */
function parseServiceEntry(v: Record<string, unknown>, where: string): ServiceRecipient {
  for (const key of Object.keys(v)) {
    if (key !== 'service' && key !== 'key')
      throw new PolicyError('POLICY_INVALID', `${where}: unknown key "${key}" (a service entry has service and key)`)
  }
  const { service, key } = v
  if (typeof service !== 'string')
    throw new PolicyError('POLICY_INVALID', `${where}.service: must be the gateway's URL`)
  const why = serviceUrlProblem(service)
  if (why) throw new PolicyError('POLICY_INVALID', `${where}.service: the URL ${why}`)
  if (typeof key !== 'string')
    throw new PolicyError('POLICY_INVALID', `${where}.key: must be the gateway's public key (aseal1…)`)
  return Object.freeze({ service, key })
}

/**
 * Validates a recipients object: role names to non-empty arrays of public key texts or `{ service, key }`
 * gateway entries. Key texts are parsed later, when sealing, so that the error can name the role and index.
 *
 * @example
 * ```ts
 * import { parseRecipients } from 'arrowseal'
 * declare const alicePublicKey: string
 * const recipients = parseRecipients({ analysts: [alicePublicKey] })
 * ```
 */
export function parseRecipients(input: unknown): Recipients {
  if (typeof input === 'string') {
    let parsed: unknown
    try {
      parsed = JSON.parse(input)
    } catch (cause) {
      throw new PolicyError('POLICY_INVALID', 'recipients: not valid JSON', { cause })
    }
    return parseRecipients(parsed)
  }
  if (!isRecord(input))
    throw new PolicyError('POLICY_INVALID', 'recipients: must be an object mapping roles to arrays of public keys')
  const out: Record<string, readonly RecipientEntry[]> = Object.create(null)
  for (const [role, keys] of Object.entries(input)) {
    if (!ROLE_RE.test(role))
      throw new PolicyError('POLICY_INVALID', `recipients[${JSON.stringify(role)}]: invalid role name`)
    if (!Array.isArray(keys) || keys.length === 0) {
      throw new PolicyError('POLICY_INVALID', `recipients.${role}: must be a non-empty array of public keys`)
    }
    const entries: RecipientEntry[] = []
    for (const [i, k] of keys.entries()) {
      if (typeof k === 'string') entries.push(k)
      else if (isRecord(k)) entries.push(parseServiceEntry(k, `recipients.${role}[${i}]`))
      else
        throw new PolicyError(
          'POLICY_INVALID',
          `recipients.${role}[${i}]: must be a public key string or a { "service", "key" } gateway entry`,
        )
    }
    out[role] = Object.freeze(entries)
  }
  if (Object.keys(out).length === 0) throw new PolicyError('POLICY_INVALID', 'recipients: at least one role is needed')
  return Object.freeze(out)
}

/**
 * Canonical JSON of a policy: keys sorted, roles sorted, no whitespace. Two policies with the same meaning have
 * the same canonical form, so it can be hashed, diffed or signed by the teams that own policies.
 *
 * @example
 * ```ts
 * import { canonicalPolicy } from 'arrowseal'
 * canonicalPolicy({ fields: { b: ['y', 'x'], a: 'public' } }) // '{"fields":{"a":"public","b":["x","y"]}}'
 * ```
 */
export function canonicalPolicy(policy: Policy): string {
  const p = parsePolicy(policy)
  const rule = (r: FieldRule) => (typeof r === 'string' ? r : [...r].sort())
  const fields: Record<string, unknown> = {}
  for (const name of Object.keys(p.fields).sort()) fields[name] = rule(p.fields[name]!)
  const out: Record<string, unknown> = {}
  if (p.default !== undefined) out['default'] = rule(p.default)
  out['fields'] = fields
  if (p.schemaMetadata !== undefined) out['schemaMetadata'] = rule(p.schemaMetadata)
  if (p.tokens !== undefined) {
    const tokens: Record<string, unknown> = {}
    for (const name of Object.keys(p.tokens).sort()) tokens[name] = rule(p.tokens[name]!)
    out['tokens'] = tokens
  }
  return JSON.stringify(out)
}
