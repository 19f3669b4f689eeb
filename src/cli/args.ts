/**
 * Subcommand plumbing on `node:util.parseArgs`: every command declares its options and help text once, and gets
 * `--help` and `--debug` for free. Parse failures become `USAGE` errors (exit 2) that point at `--help`.
 *
 * @module
 */
import { type ParseArgsConfig, parseArgs } from 'node:util'
import { CliError } from './errors.js'

type Options = NonNullable<ParseArgsConfig['options']>

/**
 * Parsed option values: strings, booleans, or arrays of strings for `multiple` options.
 *
 * @example
 * ```ts
 * const values: Values = { output: 'me.key', force: true }
 * ```
 */
export type Values = Record<string, string | boolean | (string | boolean)[] | undefined>

/**
 * What a command's `run` receives.
 *
 * @example
 * ```ts
 * const inv: Invocation = { values: { json: true }, positionals: ['data.aseal'] }
 * ```
 */
export interface Invocation {
  readonly values: Values
  readonly positionals: readonly string[]
}

/**
 * One subcommand.
 *
 * @example
 * ```ts
 * const hello: Command = {
 *   name: 'hello', help: 'Usage: arrowseal hello', options: {}, maxPositionals: 0,
 *   async run() { console.log('hello') },
 * }
 * ```
 */
export interface Command {
  readonly name: string
  /** Full help text shown by `arrowseal NAME --help`. */
  readonly help: string
  readonly options: Options
  /** Largest number of positional arguments accepted. */
  readonly maxPositionals: number
  run(invocation: Invocation): Promise<void>
}

/**
 * Options every command accepts.
 *
 * @example
 * ```ts
 * parseArgs({ options: { ...COMMON_OPTIONS, json: { type: 'boolean' } } })
 * ```
 */
export const COMMON_OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  debug: { type: 'boolean' },
} as const satisfies Options

/**
 * Parses `argv` for a command. Returns `null` when `--help` was asked for (after printing it).
 *
 * @example
 * ```ts
 * const inv = parseCommandArgs(keygen, ['-o', 'me.key'])
 * ```
 */
export function parseCommandArgs(command: Command, argv: readonly string[]): Invocation | null {
  let parsed: { values: Values; positionals: string[] }
  try {
    parsed = parseArgs({
      args: [...argv],
      options: { ...COMMON_OPTIONS, ...command.options },
      allowPositionals: true,
      strict: true,
    }) as { values: Values; positionals: string[] }
  } catch (err) {
    // Node's messages can run on with advice about '--' that does not fit one line; keep the first sentence.
    const message = (err instanceof Error ? err.message : String(err)).split('\n')[0]!.split(/\.\s/)[0]!
    throw new CliError('USAGE', message.replace(/\.$/, ''), `see \`arrowseal ${command.name} --help\``, {
      cause: err,
    })
  }
  if (parsed.values.help === true) {
    process.stdout.write(command.help.endsWith('\n') ? command.help : `${command.help}\n`)
    return null
  }
  if (parsed.positionals.length > command.maxPositionals) {
    throw new CliError(
      'USAGE',
      `unexpected argument "${parsed.positionals[command.maxPositionals]}"`,
      `see \`arrowseal ${command.name} --help\``,
    )
  }
  return parsed
}

/**
 * A string option's value, or `undefined`.
 *
 * @example
 * ```ts
 * const out = stringOption(inv, 'output')
 * ```
 */
export function stringOption(inv: Invocation, name: string): string | undefined {
  const v = inv.values[name]
  return typeof v === 'string' ? v : undefined
}

/**
 * A required string option's value; a `USAGE` error naming the option otherwise.
 *
 * @example
 * ```ts
 * const policyPath = requiredOption(inv, 'policy', 'seal')
 * ```
 */
export function requiredOption(inv: Invocation, name: string, command: string): string {
  const v = stringOption(inv, name)
  if (v === undefined || v === '')
    throw new CliError('USAGE', `missing --${name}`, `see \`arrowseal ${command} --help\``)
  return v
}

/**
 * All values of a `multiple` string option.
 *
 * @example
 * ```ts
 * const trusted = listOption(inv, 'trust')
 * ```
 */
export function listOption(inv: Invocation, name: string): string[] {
  const v = inv.values[name]
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string')
  return typeof v === 'string' ? [v] : []
}

/**
 * Whether a boolean flag was given.
 *
 * @example
 * ```ts
 * if (flag(inv, 'force')) overwrite = true
 * ```
 */
export function flag(inv: Invocation, name: string): boolean {
  return inv.values[name] === true
}
