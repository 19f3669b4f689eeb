/**
 * `arrowseal rotate`: move a sealed stream from old recipient keys to their replacements, each new key getting
 * exactly the roles of the key it replaces, without re-encrypting anything.
 * @module
 */
import type { Policy, RecipientEntry } from '../../index.node.js'
import { RewrapError } from '../../index.node.js'
import { type Command, listOption } from '../args.js'
import { CliError } from '../errors.js'
import { type KeyRef, recipientEntry, resolveKeyRef, splitPair } from '../key-refs.js'
import { keyName } from '../recipients-file.js'
import {
  REWRAP_COMMON_HELP,
  REWRAP_COMMON_OPTIONS,
  type RewrapContext,
  type RewrapPlan,
  runRewrap,
} from '../rewrap-run.js'

/**
 * The `rotate` command.
 *
 * @example
 * ```ts
 * await rotate.run(parseCommandArgs(rotate, argv)!)
 * ```
 */
export const rotate: Command = {
  name: 'rotate',
  help: `Usage: arrowseal rotate --recipients FILE --policy POLICY.json --identity FILE --signer FILE
         --trust KEY_OR_FILE [--replace OLD=NEW …] [-o OUT] [IN]

Moves IN (or stdin) from old recipient keys to new ones: each old key is removed and its replacement gets
exactly the roles that the recipients file lists for the old key. Payload units stay byte for byte the same
(this is \`arrowseal rewrap\` with the --remove and --add worked out for you).

Which key replaces which comes from --replace OLD=NEW (repeatable), else from the recipients file's entries
that say so: {"analysts": [{"key": "aseal1…old", "id": "alice-2026"},
                           {"key": "aseal1…new", "id": "alice-2027", "replaces": "alice-2026"}]}
OLD and NEW are public keys, key ids (OLD only), labels of the file, or files of one public key. The old key
must be in the recipients file (its roles are read there: headers do not name roles).

With --replace, every OLD must be a recipient of IN. From the file, pairs whose old key IN does not name are
skipped, and a stream that names none of them is an error (RECIPIENT_UNKNOWN, exit 5). A stream that already
names the new key (sealed during the overlap) only loses the old one.

Options:
      --recipients FILE     the recipients file with labels and "replaces" (required)
      --policy FILE         the policy IN was sealed with (required: it maps roles to fields)
      --replace OLD=NEW     replace one key (repeatable); default: the file's "replaces" entries
${REWRAP_COMMON_HELP}
`,
  options: {
    ...REWRAP_COMMON_OPTIONS,
    replace: { type: 'string', multiple: true },
  },
  maxPositionals: 1,
  async run(inv) {
    const pairs = listOption(inv, 'replace').map((r) => splitPair(r, '--replace'))
    await runRewrap(inv, 'rotate', (ctx) => planRotation(ctx, pairs), { policy: true, recipients: true })
  },
}

/** Every role a policy gives anything to: its field rules, default, schema metadata rule and token roles. */
function policyRoles(policy: Policy): Set<string> {
  const roles = new Set<string>()
  const rules = [...Object.values(policy.fields), policy.default, policy.schemaMetadata]
  for (const rule of rules) if (Array.isArray(rule)) for (const r of rule) roles.add(r)
  for (const list of Object.values(policy.tokens ?? {})) for (const r of list) roles.add(r)
  return roles
}

async function planRotation(ctx: RewrapContext, explicit: readonly [string, string][]): Promise<RewrapPlan> {
  const file = ctx.file!
  const fromFile = explicit.length === 0
  const pairs: [string, string][] = fromFile
    ? file.keys.filter((k) => k.replaces !== undefined).map((k) => [k.replaces!, k.label ?? k.key])
    : [...explicit]
  if (pairs.length === 0)
    throw new CliError(
      'USAGE',
      `nothing to rotate: ${file.path} has no entry with "replaces", and no --replace was given`,
      'add "replaces": "OLD-LABEL" to the new key\'s entry, or pass --replace OLD=NEW',
    )
  const used = policyRoles(ctx.policy!)
  const removed = new Map<string, KeyRef>()
  const added = new Map<string, { ref: KeyRef; roles: Set<string> }>()
  const lines: string[] = []
  for (const [oldText, newText] of pairs) {
    const oldRef = await resolveKeyRef(oldText, file, { option: fromFile ? 'replaces' : '--replace' })
    const newRef = await resolveKeyRef(newText, file, { option: fromFile ? 'replaces' : '--replace', needKey: true })
    const oldName = keyName(oldRef.keyId, ctx.labels)
    if (oldRef.keyId === newRef.keyId) throw new CliError('USAGE', `key ${oldName} cannot replace itself`)
    if (!ctx.isRecipient(oldRef.keyId)) {
      if (fromFile) continue
      throw new RewrapError(
        'RECIPIENT_UNKNOWN',
        `--replace ${oldText}: key ${oldName} is not a recipient of this stream`,
      )
    }
    const entry = file.keys.find((k) => k.keyId === oldRef.keyId)
    if (!entry)
      throw new RewrapError(
        'RECIPIENT_UNKNOWN',
        `key ${oldName} is not in ${file.path}, so its roles are unknown (headers do not name roles)`,
      )
    // A recipients file often serves several datasets: only the roles this policy uses can be granted here.
    const roles = entry.roles.filter((r) => used.has(r))
    removed.set(oldRef.keyId, oldRef)
    const newName = keyName(newRef.keyId, ctx.labels)
    if (ctx.isRecipient(newRef.keyId)) {
      lines.push(`replaced ${oldName}: ${newName} is already a recipient; ${oldName} removed`)
      continue
    }
    const slot = added.get(newRef.keyId) ?? { ref: newRef, roles: new Set<string>() }
    for (const r of roles) slot.roles.add(r)
    added.set(newRef.keyId, slot)
    lines.push(`replaced ${oldName} by ${newName} in ${roles.length === 0 ? 'no role' : `roles ${roles.join(', ')}`}`)
  }
  if (removed.size === 0)
    throw new RewrapError(
      'RECIPIENT_UNKNOWN',
      `none of the keys that ${file.path} replaces is a recipient of this stream: nothing to rotate`,
    )
  const add: Record<string, RecipientEntry[]> = Object.create(null)
  for (const { ref, roles } of added.values())
    for (const role of roles) add[role] = [...(add[role] ?? []), recipientEntry(ref)]
  return { add, remove: [...removed.keys()], lines }
}
