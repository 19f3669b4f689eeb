/**
 * `arrowseal rewrap`: add recipients to roles of a sealed stream, or remove recipients, without re-encrypting it.
 * @module
 */
import type { RecipientEntry } from '../../index.node.js'
import { RewrapError } from '../../index.node.js'
import { type Command, listOption, stringOption } from '../args.js'
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
 * The `rewrap` command.
 *
 * @example
 * ```ts
 * await rewrap.run(parseCommandArgs(rewrap, argv)!)
 * ```
 */
export const rewrap: Command = {
  name: 'rewrap',
  help: `Usage: arrowseal rewrap --identity FILE --signer FILE --trust KEY_OR_FILE
         [--add ROLE=KEY …] [--remove KEY …] [--policy POLICY.json] [--recipients FILE] [--dataset NAME]
         [-o OUT] [IN]

Changes who may read IN (or stdin) without re-encrypting it: a new header signed by --signer, new per-reader
authenticators, every payload unit byte for byte the same. The input is verified as it goes (trusted writer,
your own stanza, every frame); one pass, bounded memory. Readers of the result must trust --signer as well as
the original writer.

A KEY is a public key (aseal1…), a key id (16 hex digits, as \`arrowseal inspect\` shows), a label ("id") of
the --recipients file, or a file holding one public key. Labels are never written into the stream.

  --add ROLE=KEY      give KEY the fields the policy gives ROLE (repeatable; needs --policy, and you must
                      hold the groups of ROLE). A key named for several roles gets all of them.
  --remove KEY        remove KEY from every role (repeatable); it must be a recipient of IN. A key id is enough.

To move a role to a key-access gateway, --remove its readers and --add ROLE=LABEL where LABEL is a
{ "service", "key", "id" } entry of the --recipients file: the role's groups are wrapped to the gateway's key,
and readers then open with --key-access. Trust the rewrapper (--trust) in \`arrowseal kas serve\` too.

Removal stops readers of the new copy, not copies already taken: see docs/guides/key-management.md.
Nothing is written when a key, the policy or the writer's signature is wrong. To -o FILE: the file appears
only if the whole input verifies. To stdout: bytes stream out as frames verify; if a later frame fails,
stderr says that stdout is incomplete and the exit code is non-zero: discard it.

Options:
      --add ROLE=KEY        add a recipient to a role (repeatable)
      --remove KEY          remove a recipient from every role (repeatable)
      --policy FILE         the policy IN was sealed with (required with --add: headers do not name roles)
      --recipients FILE     a recipients file whose labels KEY may use, and that names keys in messages
      --dataset NAME        the dataset of the gateways --add names (default: the dataset the stream's
                            gateways already name, else the unnamed dataset "")
${REWRAP_COMMON_HELP}
`,
  options: {
    ...REWRAP_COMMON_OPTIONS,
    add: { type: 'string', multiple: true },
    remove: { type: 'string', multiple: true },
    dataset: { type: 'string' },
  },
  maxPositionals: 1,
  async run(inv) {
    const adds = listOption(inv, 'add').map((a) => splitPair(a, '--add'))
    const removes = listOption(inv, 'remove')
    if (adds.length === 0 && removes.length === 0)
      throw new CliError(
        'USAGE',
        'nothing to change: give --add ROLE=KEY or --remove KEY',
        'see `arrowseal rewrap --help`',
      )
    if (adds.length > 0 && stringOption(inv, 'policy') === undefined)
      throw new CliError(
        'USAGE',
        '--add needs --policy',
        'pass the policy the stream was sealed with: headers do not name roles',
      )
    const dataset = stringOption(inv, 'dataset')
    await runRewrap(inv, 'rewrap', async (ctx) => ({
      ...(await planRewrap(ctx, adds, removes)),
      ...(dataset === undefined ? {} : { dataset }),
    }))
  },
}

async function planRewrap(
  ctx: RewrapContext,
  adds: readonly [string, string][],
  removes: readonly string[],
): Promise<RewrapPlan> {
  const removed: KeyRef[] = []
  for (const text of removes) {
    const ref = await resolveKeyRef(text, ctx.file, { option: '--remove' })
    // The library checks this too; here the message can name the key by its label.
    if (!ctx.isRecipient(ref.keyId))
      throw new RewrapError(
        'RECIPIENT_UNKNOWN',
        ctx.facts.anonymousRecipients
          ? `--remove ${text}: the stream's recipients are anonymous, so no key can be found to remove`
          : `--remove ${text}: key ${keyName(ref.keyId, ctx.labels)} is not a recipient of this stream`,
      )
    if (removed.some((r) => r.keyId === ref.keyId))
      throw new CliError('USAGE', `--remove names key ${keyName(ref.keyId, ctx.labels)} twice`)
    removed.push(ref)
  }
  const add: Record<string, RecipientEntry[]> = Object.create(null)
  const lines: string[] = []
  for (const [role, text] of adds) {
    const ref = await resolveKeyRef(text, ctx.file, { option: '--add', needKey: true })
    const stays = ctx.isRecipient(ref.keyId) && !removed.some((r) => r.keyId === ref.keyId)
    if (stays)
      throw new CliError(
        'USAGE',
        `--add ${role}=${text}: key ${keyName(ref.keyId, ctx.labels)} is already a recipient of this stream`,
        'to change its roles, --remove it and --add it with every role it should have',
      )
    add[role] = [...(add[role] ?? []), recipientEntry(ref)]
    lines.push(
      `added ${keyName(ref.keyId, ctx.labels)} to role ${role}` +
        (ref.service === undefined ? '' : ` (key-access gateway ${ref.service})`),
    )
  }
  for (const r of removed) lines.unshift(`removed ${keyName(r.keyId, ctx.labels)} from every role`)
  return { add, remove: removed.map((r) => r.keyId), lines }
}
