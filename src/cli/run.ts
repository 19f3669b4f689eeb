/**
 * Command dispatch, `--help`/`--version`, and the error policy: one line `arrowseal: error CODE: message — hint`
 * on stderr, a stack trace only with `--debug` (or `ARROWSEAL_DEBUG=1`), and the exit codes of errors.ts.
 * @module
 */
import { type Command, parseCommandArgs } from './args.js'
import { CliError, describeError, EXIT } from './errors.js'
import { packageInfo } from './package-root.js'

// Commands load on demand: `--help` and `--version` then start without parsing apache-arrow and the crypto code.
const COMMANDS: readonly { name: string; summary: string; load: () => Promise<Command> }[] = [
  {
    name: 'keygen',
    summary: 'create a secret identity file and print its public key',
    load: async () => (await import('./commands/keygen.js')).keygen,
  },
  {
    name: 'pubkey',
    summary: 'print the public key of an identity file',
    load: async () => (await import('./commands/pubkey.js')).pubkey,
  },
  {
    name: 'seal',
    summary: 'seal Arrow, CSV or NDJSON data for the roles a policy names',
    load: async () => (await import('./commands/seal.js')).seal,
  },
  {
    name: 'open',
    summary: 'verify and decrypt a sealed stream, keeping the fields this identity may read',
    load: async () => (await import('./commands/open.js')).open,
  },
  {
    name: 'inspect',
    summary: 'show header facts of a sealed stream (no key needed, nothing decrypted)',
    load: async () => (await import('./commands/inspect.js')).inspect,
  },
  {
    name: 'rewrap',
    summary: 'add or remove recipients of a sealed stream without re-encrypting it (new header, same payloads)',
    load: async () => (await import('./commands/rewrap.js')).rewrap,
  },
  {
    name: 'rotate',
    summary: 'move a sealed stream from old recipient keys to their replacements, keeping their roles',
    load: async () => (await import('./commands/rotate.js')).rotate,
  },
  {
    name: 'audit verify',
    summary: 'verify an audit log checkpoint, an entry, consistency with older checkpoints, or a whole store',
    load: async () => (await import('./commands/audit-verify.js')).auditVerify,
  },
  {
    name: 'audit show',
    summary: 'show an audit log store: size, latest checkpoint, an entry, or a proof file',
    load: async () => (await import('./commands/audit-show.js')).auditShow,
  },
  {
    name: 'kas serve',
    summary: 'run the key-access gateway (grants group keys to entitled readers, audits every decision)',
    load: async () => (await import('./commands/kas-serve.js')).kasServe,
  },
  {
    name: 'kas grant',
    summary: 'entitle a principal to a role of a dataset on a gateway (signed admin command)',
    load: async () => (await import('./commands/kas-admin.js')).kasGrant,
  },
  {
    name: 'kas revoke',
    summary: 'remove an entitlement; holds from the next request on every replica',
    load: async () => (await import('./commands/kas-admin.js')).kasRevoke,
  },
  {
    name: 'kas list',
    summary: "list a gateway's entitlements and suspensions",
    load: async () => (await import('./commands/kas-admin.js')).kasList,
  },
  {
    name: 'kas suspend',
    summary: 'refuse every request of a principal until kas unsuspend',
    load: async () => (await import('./commands/kas-admin.js')).kasSuspend,
  },
  {
    name: 'kas unsuspend',
    summary: 'lift a suspension',
    load: async () => (await import('./commands/kas-admin.js')).kasUnsuspend,
  },
  {
    name: 'demo',
    summary: 'seal sample data for three roles and show what each one sees (offline, a few seconds)',
    load: async () => (await import('./commands/demo.js')).demo,
  },
  {
    name: 'bench',
    summary: 'run the quick benchmark (needs a source checkout of arrowseal)',
    load: async () => (await import('./commands/bench.js')).bench,
  },
]

function topHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length))
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`)
  return `arrowseal: seal Apache Arrow data end to end, with per-field access for roles

Usage: arrowseal COMMAND [options]

Commands:
${lines.join('\n')}

Options:
  -h, --help     show help (also: arrowseal COMMAND --help)
  -v, --version  show the version
      --debug    show a stack trace on errors

Exit codes: 0 ok, 1 internal error, 2 usage, 3 bad or unreadable input, 4 authentication or integrity
(untrusted signer, tampered, truncated or reordered data, trailing bytes, not a recipient), 5 policy, 6 key,
7 refused by a key-access gateway, 8 gateway unavailable (retry).

Quick start:
  arrowseal keygen -o writer.key
  arrowseal keygen -o alice.key > alice.pub
  echo '{"analyst": ["'$(cat alice.pub)'"]}' > recipients.json
  echo '{"fields": {"id": "public"}, "default": ["analyst"]}' > policy.json
  printf 'id,amount\\n1,9.50\\n2,120\\n' > data.csv
  arrowseal seal --policy policy.json --recipients recipients.json --signer writer.key -o data.aseal data.csv
  arrowseal open --identity alice.key --trust "$(arrowseal pubkey writer.key)" --format csv data.aseal
`
}

/**
 * Runs the CLI on `argv` (without `node` and the script) and returns the exit code.
 *
 * @example
 * ```ts
 * process.exitCode = await run(['inspect', 'data.aseal'])
 * ```
 */
export async function run(argv: readonly string[]): Promise<number> {
  const debug = argv.includes('--debug') || process.env['ARROWSEAL_DEBUG'] === '1'
  const removeSignalHandlers = installSignalHandlers()
  try {
    // `audit` and `kas` take a subcommand word; the pair is looked up as one command name.
    const [name, ...rest] =
      (argv[0] === 'audit' || argv[0] === 'kas') && argv[1] !== undefined && !argv[1].startsWith('-')
        ? [`${argv[0]} ${argv[1]}`, ...argv.slice(2)]
        : argv
    if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
      if (name === 'help' && rest[0]) return await run([rest[0], '--help'])
      process.stdout.write(topHelp())
      return name === undefined ? EXIT.usage : EXIT.ok
    }
    if (name === '-v' || name === '--version' || name === 'version') {
      process.stdout.write(`${packageInfo()?.version ?? 'unknown'}\n`)
      return EXIT.ok
    }
    if (name === 'kas') {
      throw new CliError(
        'USAGE',
        'kas needs a subcommand: serve, grant, revoke, list, suspend or unsuspend',
        'see `arrowseal --help`',
      )
    }
    if (name === 'audit') {
      throw new CliError('USAGE', 'audit needs a subcommand: verify or show', 'see `arrowseal audit verify --help`')
    }
    const entry = COMMANDS.find((c) => c.name === name)
    if (!entry) {
      const hint = name.startsWith('-') ? 'options come after the command' : 'see `arrowseal --help`'
      throw new CliError('USAGE', `unknown command "${name}"`, hint)
    }
    const command = await entry.load()
    const invocation = parseCommandArgs(command, rest)
    if (invocation) await command.run(invocation)
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok
  } catch (err) {
    if (isEpipe(err)) return EXIT.ok
    const report = describeError(err)
    process.stderr.write(`${report.line}\n`)
    if (debug && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`)
    if (debug && err instanceof Error && err.cause instanceof Error && err.cause.stack)
      process.stderr.write(`caused by: ${err.cause.stack}\n`)
    return report.exit
  } finally {
    removeSignalHandlers()
  }
}

function isEpipe(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === 'EPIPE'
}

// Ctrl-C or a kill must still remove temporary output files: exiting through process.exit() runs the 'exit'
// hook of node/atomic.ts, which the default signal behaviour would skip. A reader that stops reading stdout
// (`| head`) is not an error: exit quietly, as Unix tools do, instead of crashing on an unhandled EPIPE.
//
// A command that shuts down by itself (kas serve: stop listening, finish the requests in flight, close the store)
// adds its own listener; then the signal is left to it, and a second signal ends the process the default way.
function installSignalHandlers(): () => void {
  const onInt = () => {
    if (process.listenerCount('SIGINT') === 0) process.exit(130)
  }
  const onTerm = () => {
    if (process.listenerCount('SIGTERM') === 0) process.exit(143)
  }
  const onStdoutError = (err: unknown) => {
    if (isEpipe(err)) process.exit(EXIT.ok)
    process.stderr.write(`${describeError(err).line}\n`)
    process.exit(EXIT.internal)
  }
  process.once('SIGINT', onInt)
  process.once('SIGTERM', onTerm)
  process.stdout.on('error', onStdoutError)
  return () => {
    process.off('SIGINT', onInt)
    process.off('SIGTERM', onTerm)
    // Left on stdout: a late EPIPE can arrive after run() has returned.
  }
}
