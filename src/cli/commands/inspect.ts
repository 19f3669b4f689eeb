/**
 * `arrowseal inspect`: header facts of a sealed stream, without any key.
 * @module
 */
import { inspect as inspectSealed } from '../../index.node.js'
import type { Command } from '../args.js'
import { flag, stringOption } from '../args.js'
import { readInput, writeStdout } from '../io.js'
import { labelsOf, loadRecipientsFile } from '../recipients-file.js'
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
  help: `Usage: arrowseal inspect [--json] [--recipients FILE] [IN]

Shows what anyone holding the sealed bytes can see: format version, suite, stream id, signer and recipient key
ids, access groups and their sizes, and the public schema. Nothing is decrypted and nothing is verified: use
\`arrowseal open\` to check the signature.

Options:
      --json              print the facts as JSON
      --recipients FILE   name key ids by the labels ("id") of this recipients file (labels are never in
                          the sealed header; with --json they are a "labels" object of key id → label)
  -h, --help              show this help
`,
  options: { json: { type: 'boolean' }, recipients: { type: 'string' } },
  maxPositionals: 1,
  async run(inv) {
    const recipientsPath = stringOption(inv, 'recipients')
    const labels = labelsOf(recipientsPath === undefined ? undefined : await loadRecipientsFile(recipientsPath))
    const bytes = await readInput(inv.positionals[0])
    const facts = inspectSealed(bytes)
    if (flag(inv, 'json')) {
      const out = recipientsPath === undefined ? facts : { ...facts, labels }
      await writeStdout(`${JSON.stringify(out, jsonSafe, 2)}\n`)
      return
    }
    await writeStdout(renderInspect(facts, '', labels))
  },
}

function jsonSafe(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString()
  if (value instanceof Uint8Array) return Array.from(value, (b) => b.toString(16).padStart(2, '0')).join('')
  return value
}
