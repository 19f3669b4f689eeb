/**
 * What `arrowseal rewrap` and `arrowseal rotate` share: loading the rewrapper's keys, reading the input's header
 * before anything is written (so a bad key reference fails with nothing written), and streaming the input through
 * `rewrapStream` to an atomic file or to stdout, in bounded memory.
 *
 * @module
 */

import { peekHeader } from '../format/peek.js'
import {
  AuthError,
  type InspectResult,
  inspect,
  type Policy,
  parsePolicy,
  type RecipientEntry,
  rewrapStream,
} from '../index.node.js'
import { nodeBackend } from '../node/backend.js'
import { flag, type Invocation, listOption, requiredOption, stringOption } from './args.js'
import { CliError } from './errors.js'
import { displayName, inputStream, isStdio, openOutput, produceOutput, refuseSameFile } from './io.js'
import { loadIdentity, loadKeyring, loadPolicy, loadTrusted } from './keys.js'
import { formatBytes, startProgress } from './progress.js'
import { keyName, labelsOf, loadRecipientsFile, type RecipientsFile } from './recipients-file.js'

/**
 * Options `rewrap` and `rotate` both take (merged into each command's own).
 *
 * @example
 * ```ts
 * const options = { ...REWRAP_COMMON_OPTIONS, add: { type: 'string', multiple: true } }
 * ```
 */
export const REWRAP_COMMON_OPTIONS = {
  identity: { type: 'string', multiple: true },
  signer: { type: 'string' },
  trust: { type: 'string', multiple: true },
  policy: { type: 'string' },
  recipients: { type: 'string' },
  output: { type: 'string', short: 'o' },
  sessions: { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
} as const

/**
 * The help lines of {@link REWRAP_COMMON_OPTIONS}.
 *
 * @example
 * ```ts
 * const help = `Options:\n${REWRAP_COMMON_HELP}`
 * ```
 */
export const REWRAP_COMMON_HELP = `      --identity FILE       your identity file or a keyring file (required, repeatable): you must be a
                            recipient of the stream, holding the groups of every role you add
      --signer FILE         the identity that signs the new header (required; readers must trust it too)
      --trust KEY_OR_FILE   the original writer's public key, and every earlier rewrapper's (required,
                            repeatable)
  -o, --output FILE         where to write (default stdout); written to a temporary file, then renamed
      --sessions POLICY     writer sessions on the input: accept (default), current or reject
  -q, --quiet               do not print what changed on stderr
      --debug               show a stack trace on errors
  -h, --help                show this help`

/**
 * What a command asks the library to change, built once the input's header has been read.
 *
 * @example
 * ```ts
 * const plan: RewrapPlan = { add: { analysts: ['aseal1…'] }, remove: ['3f9c0a17b2d4e611'], lines: [] }
 * ```
 */
export interface RewrapPlan {
  readonly add: Readonly<Record<string, readonly RecipientEntry[]>>
  /** Key ids. */
  readonly remove: readonly string[]
  /** What changes, for stderr, keys named by label where known. */
  readonly lines: readonly string[]
  /** The dataset of the key-access gateways added (`--dataset`); default as the library's. */
  readonly dataset?: string
}

/**
 * What a plan builder gets: the input's (unverified) header facts, the recipients file and the policy if given.
 *
 * @example
 * ```ts
 * const build = async ({ facts }: RewrapContext) => ({ add: {}, remove: [], lines: [] })
 * ```
 */
export interface RewrapContext {
  readonly facts: InspectResult
  readonly file: RecipientsFile | undefined
  readonly policy: Policy | undefined
  readonly labels: Record<string, string>
  /** Whether the stream names the key id among its recipients (false for every key of an anonymous stream). */
  readonly isRecipient: (keyId: string) => boolean
}

/**
 * Runs `rewrap`/`rotate`: loads keys and files, reads the header, asks `plan` for the change, and streams the
 * rewrapped output. Header-level failures (untrusted writer, not a recipient, unknown key) happen before any
 * output byte; a frame failure later removes the temporary output file, or (stdout) ends the output with a line
 * saying it is incomplete, as `open` does.
 *
 * @example
 * ```ts
 * await runRewrap(inv, 'rewrap', async (ctx) => planFromFlags(inv, ctx))
 * ```
 */
export async function runRewrap(
  inv: Invocation,
  command: 'rewrap' | 'rotate',
  plan: (ctx: RewrapContext) => Promise<RewrapPlan>,
  required: { policy?: boolean; recipients?: boolean } = {},
): Promise<void> {
  const identityPaths = listOption(inv, 'identity')
  if (identityPaths.length === 0)
    throw new CliError('USAGE', 'missing --identity', `see \`arrowseal ${command} --help\``)
  const signerPath = requiredOption(inv, 'signer', command)
  const trustValues = listOption(inv, 'trust')
  if (trustValues.length === 0)
    throw new CliError('USAGE', 'missing --trust', "pass the original writer's public key: --trust aseal1… or FILE")
  const policyPath = required.policy ? requiredOption(inv, 'policy', command) : stringOption(inv, 'policy')
  const recipientsPath = required.recipients
    ? requiredOption(inv, 'recipients', command)
    : stringOption(inv, 'recipients')
  const sessions = stringOption(inv, 'sessions') ?? 'accept'
  if (sessions !== 'accept' && sessions !== 'current' && sessions !== 'reject')
    throw new CliError('USAGE', `unknown --sessions ${JSON.stringify(sessions)}`, 'use accept, current or reject')
  const output = stringOption(inv, 'output')
  const input = inv.positionals[0]
  if (isStdio(output) && process.stdout.isTTY)
    throw new CliError('USAGE', 'refusing to write sealed binary data to a terminal', 'use -o FILE or a pipe')
  await refuseSameFile(output, [input, ...identityPaths, signerPath, ...trustValues, policyPath, recipientsPath])

  // Keys and files first: a typo there fails before the (possibly large) input is touched.
  const keyring = await loadKeyring(identityPaths)
  const signer = await loadIdentity(signerPath)
  const trustedSigners = await loadTrusted(trustValues)
  const policy = policyPath === undefined ? undefined : parsePolicy(await loadPolicy(policyPath))
  const file = recipientsPath === undefined ? undefined : await loadRecipientsFile(recipientsPath)
  const labels = labelsOf(file)

  const { header, stream } = await peekHeader(await inputStream(input))
  const facts = inspect(header)
  const named = new Set(facts.recipients.map((r) => r.keyId).filter((id): id is string => id !== null))
  const isRecipient = (keyId: string) => named.has(keyId)
  const change = await plan({ facts, file, policy, labels, isRecipient })

  // Only identities the header names: the library requires every identity it is given to be a recipient. With
  // anonymous recipients nothing is named, so the whole keyring goes and the library finds the one that fits.
  const mine = facts.anonymousRecipients ? keyring : keyring.filter((k) => named.has(k.keyId))
  if (mine.length === 0)
    throw new AuthError(
      'NOT_A_RECIPIENT',
      `none of the --identity keys (${keyring.map((k) => keyName(k.keyId, labels)).join(', ')}) is a recipient of ${displayName(input)}: rewrap with an identity that can open it`,
    )
  const rewrapped = rewrapStream(stream, {
    identity: mine,
    signer,
    trustedSigners,
    sessions,
    backend: nodeBackend(),
    ...(policy === undefined ? {} : { policy }),
    ...(Object.keys(change.add).length === 0 ? {} : { add: change.add }),
    ...(change.dataset === undefined ? {} : { dataset: change.dataset }),
    ...(change.remove.length === 0 ? {} : { remove: change.remove }),
  })

  const out = await openOutput(output, { streamStdout: true })
  const progress = startProgress(`${command === 'rewrap' ? 'rewrapping' : 'rotating'} ${displayName(input)}`)
  await produceOutput(out, progress, async () => {
    for await (const chunk of rewrapped as unknown as AsyncIterable<Uint8Array>) {
      await out.write(chunk)
      progress.update(0, out.bytesWritten)
    }
  })
  if (!flag(inv, 'quiet')) {
    for (const line of change.lines) process.stderr.write(`arrowseal: ${line}\n`)
    if (!isStdio(output)) process.stderr.write(`arrowseal: wrote ${output} (${formatBytes(out.bytesWritten)})\n`)
  }
}
