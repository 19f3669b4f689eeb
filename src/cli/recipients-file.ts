/**
 * Recipients files with key labels. A role maps to a non-empty array of entries, each one of:
 *
 * - `"aseal1…"`: a reader's public key;
 * - `{ "key": "aseal1…", "id": "alice-2026" }`: a reader's public key with the operator's label for it;
 * - `{ "service": "https://kas.example", "key": "aseal1…", "id": "kas-eu" }`: a key-access gateway (id optional);
 * - any keyed entry may add `"replaces": REF`, naming the key it replaces (for `arrowseal rotate`).
 *
 * The `id` is the operator's **label**. It is not the *key id* of docs/format.md (16 hex digits derived from the
 * key's fingerprint) and must never be mistaken for one: a label needs at least one character that is not a hex
 * digit, and may not start with `aseal1`. So a reference like `--remove 3f9c0a17b2d4e611` is always a key id and
 * `--remove alice-2026` always a label. Labels stay in the file: they are never written into a sealed header
 * (that would publish who the readers are), so `inspect` shows them only when given the file.
 *
 * @module
 */
import { KeyError, PolicyError } from '../errors.js'
import { parsePublicKey, parseRecipients, type Recipients } from '../index.node.js'
import { readTextFile } from './io.js'
import { parseJsonFile } from './keys.js'

/** A label: letters, digits and `_ . : @ -`, 1 to 64 characters, at least one of them not a hex digit. */
const LABEL_RE = /^[A-Za-z0-9_.:@-]{1,64}$/
const KEY_ID_RE = /^[0-9a-f]{16}$/i

/**
 * One keyed entry of a recipients file, after parsing.
 *
 * @example
 * ```ts
 * const e: LabelledKey = { key: 'aseal1…', keyId: '3f9c0a17b2d4e611', label: 'alice-2026', roles: ['analysts'] }
 * ```
 */
export interface LabelledKey {
  /** Canonical `aseal1…` text. */
  readonly key: string
  /** The fingerprint-derived key id (docs/format.md "Keys and identities"). */
  readonly keyId: string
  readonly label?: string
  /** Roles that list this key, in file order. */
  readonly roles: readonly string[]
  /** The service URL when the key is a key-access gateway's. */
  readonly service?: string
  /** The `replaces` reference as written (a key, key id or label), if any. */
  readonly replaces?: string
}

/**
 * A parsed recipients file: what `seal` needs, plus the labels and rotation hints.
 *
 * @example
 * ```ts
 * const file = await loadRecipientsFile('recipients.json')
 * const recipients = file.recipients
 * ```
 */
export interface RecipientsFile {
  readonly path: string
  /** The library's recipients object (labels and `replaces` stripped). */
  readonly recipients: Recipients
  /** One entry per distinct key, in first-seen order. */
  readonly keys: readonly LabelledKey[]
}

/**
 * Whether `text` is a valid label (see the module doc): never a key id, a fingerprint, or a public key.
 *
 * @example
 * ```ts
 * isLabel('alice-2026') // true
 * isLabel('3f9c0a17b2d4e611') // false: all hex digits, reads as a key id
 * ```
 */
export function isLabel(text: string): boolean {
  return LABEL_RE.test(text) && /[^0-9a-fA-F]/.test(text) && !/^aseal1/i.test(text)
}

/**
 * Whether `text` has the form of a key id (16 hex digits).
 *
 * @example
 * ```ts
 * isKeyId('3f9c0a17b2d4e611') // true
 * ```
 */
export function isKeyId(text: string): boolean {
  return KEY_ID_RE.test(text)
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

interface Mutable {
  key: string
  keyId: string
  label?: string
  roles: string[]
  service?: string
  replaces?: string
}

/**
 * Reads and checks a recipients file (see the module doc). Errors are `POLICY_INVALID` naming the file, the role
 * and the entry; a label that names two keys, or a key with two labels, is refused.
 *
 * @example
 * ```ts
 * const { recipients, keys } = await loadRecipientsFile('recipients.json')
 * ```
 */
export async function loadRecipientsFile(path: string): Promise<RecipientsFile> {
  const value = parseJsonFile(await readTextFile(path), path)
  return parseRecipientsFile(value, path)
}

/**
 * {@link loadRecipientsFile} on an already parsed JSON value; `path` only names the source in errors.
 *
 * @example
 * ```ts
 * const file = parseRecipientsFile({ analysts: [{ key: 'aseal1…', id: 'alice' }] }, 'inline')
 * ```
 */
export function parseRecipientsFile(value: unknown, path: string): RecipientsFile {
  const fail = (message: string): never => {
    throw new PolicyError('POLICY_INVALID', `${path}: ${message}`)
  }
  if (!isRecord(value)) fail('expected an object mapping roles to arrays of public keys')
  const byKey = new Map<string, Mutable>()
  const byLabel = new Map<string, Mutable>()
  const stripped: Record<string, unknown[]> = Object.create(null)
  for (const [role, entries] of Object.entries(value as Record<string, unknown>)) {
    if (!Array.isArray(entries) || entries.length === 0)
      fail(`role "${role}" must map to a non-empty array of public keys, { "key", "id" } or { "service", "key" }`)
    const out: unknown[] = []
    for (const [i, entry] of (entries as unknown[]).entries()) {
      const where = `${role}[${i}]`
      if (typeof entry === 'string') {
        out.push(entry)
        remember(entry, {}, role, where)
        continue
      }
      if (!isRecord(entry)) fail(`${where}: must be a public key string or an object with "key"`)
      const { id, replaces, ...rest } = entry as Record<string, unknown>
      for (const k of Object.keys(rest))
        if (k !== 'key' && k !== 'service') fail(`${where}: unknown key "${k}" (known: key, id, service, replaces)`)
      if (typeof rest['key'] !== 'string') fail(`${where}.key: must be a public key (aseal1…)`)
      if (id !== undefined && (typeof id !== 'string' || !isLabel(id)))
        fail(
          `${where}.id: ${JSON.stringify(id)} is not a valid label: 1 to 64 of A-Z a-z 0-9 _ . : @ -, with at least ` +
            'one character that is not a hex digit, so it cannot be read as a key id',
        )
      if (replaces !== undefined && (typeof replaces !== 'string' || replaces === ''))
        fail(`${where}.replaces: must name the key it replaces: its label, its key id or its public key`)
      // The library validates service entries; it refuses any key it does not know, so labels go no further.
      out.push(rest['service'] === undefined ? rest['key'] : rest)
      remember(
        rest['key'] as string,
        {
          ...(id === undefined ? {} : { label: id as string }),
          ...(replaces === undefined ? {} : { replaces: replaces as string }),
          ...(typeof rest['service'] === 'string' ? { service: rest['service'] } : {}),
        },
        role,
        where,
      )
    }
    stripped[role] = out
  }
  if (Object.keys(stripped).length === 0) fail('no roles')
  let recipients: Recipients
  try {
    recipients = parseRecipients(stripped)
  } catch (err) {
    if (err instanceof PolicyError) throw new PolicyError('POLICY_INVALID', `${path}: ${err.message}`, { cause: err })
    throw err
  }
  return { path, recipients, keys: [...byKey.values()] }

  function remember(
    text: string,
    extra: { label?: string; replaces?: string; service?: string },
    role: string,
    where: string,
  ): void {
    let key: string
    let keyId: string
    try {
      const pk = parsePublicKey(text)
      key = pk.text
      keyId = pk.keyId
    } catch (cause) {
      // KEY_INVALID (exit 6), as when the library finds the bad key while sealing.
      throw new KeyError(`${path}: ${where}: ${cause instanceof Error ? cause.message : 'not a public key'}`, {
        cause,
      })
    }
    const known = byKey.get(key)
    if (known) {
      if (extra.label !== undefined && known.label !== undefined && known.label !== extra.label)
        fail(`${where}: key ${keyId} is labelled both "${known.label}" and "${extra.label}"`)
      if (extra.replaces !== undefined && known.replaces !== undefined && known.replaces !== extra.replaces)
        fail(`${where}: key ${keyId} replaces both "${known.replaces}" and "${extra.replaces}"`)
      if (extra.label !== undefined) known.label = extra.label
      if (extra.replaces !== undefined) known.replaces = extra.replaces
      if (!known.roles.includes(role)) known.roles.push(role)
    } else byKey.set(key, { key, keyId, roles: [role], ...extra })
    const entry = byKey.get(key)!
    if (extra.label !== undefined) {
      const other = byLabel.get(extra.label)
      if (other && other !== entry)
        fail(`${where}: label "${extra.label}" names two keys (${other.keyId} and ${keyId})`)
      byLabel.set(extra.label, entry)
    }
  }
}

/**
 * Labels by key id, for `inspect` and error messages.
 *
 * @example
 * ```ts
 * renderInspect(facts, '', labelsOf(file))
 * ```
 */
export function labelsOf(file: RecipientsFile | undefined): Record<string, string> {
  const out: Record<string, string> = Object.create(null)
  for (const k of file?.keys ?? []) if (k.label !== undefined) out[k.keyId] = k.label
  return out
}

/**
 * `KEYID (label)` when the label is known, else the key id.
 *
 * @example
 * ```ts
 * keyName('3f9c0a17b2d4e611', labels) // '3f9c0a17b2d4e611 (alice-2026)'
 * ```
 */
export function keyName(keyId: string, labels: Record<string, string>): string {
  const label = labels[keyId]
  return label === undefined ? keyId : `${keyId} (${label})`
}
