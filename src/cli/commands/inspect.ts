/**
 * `arrowseal inspect`: header facts of a sealed stream, without any key.
 * @module
 */
import { inspect as inspectSealed } from '../../index.node.js'
import type { Command } from '../args.js'
import { flag } from '../args.js'
import { readInput, writeStdout } from '../io.js'
import { renderInspect } from '../render.js'

/**
 * The `inspect` command.
 *
 * @example
 * ```ts
 * await inspect.run(parseCommandArgs(inspect, argv)!)
 * ```
 */
export const inspect: Command = {
  name: 'inspect',
  help: `Usage: arrowseal inspect [--json] [IN]

Shows what anyone holding the sealed bytes can see: format version, suite, stream id, signer and recipient key
ids, access groups and their sizes, and the public schema. Nothing is decrypted and nothing is verified: use
\`arrowseal open\` to check the signature.

Options:
      --json   print the facts as JSON
  -h, --help   show this help
`,
  options: { json: { type: 'boolean' } },
  maxPositionals: 1,
  async run(inv) {
    const bytes = await readInput(inv.positionals[0])
    const facts = inspectSealed(bytes)
    if (flag(inv, 'json')) {
      await writeStdout(`${JSON.stringify(facts, jsonSafe, 2)}\n`)
      return
    }
    await writeStdout(renderInspect(facts))
  },
}

function jsonSafe(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString()
  if (value instanceof Uint8Array) return Array.from(value, (b) => b.toString(16).padStart(2, '0')).join('')
  return value
}
