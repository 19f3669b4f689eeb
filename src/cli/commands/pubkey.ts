/**
 * `arrowseal pubkey`: print the public key of an identity file.
 * @module
 */
import { importIdentity } from '../../index.node.js'
import { identityLine } from '../../node/files.js'
import type { Command } from '../args.js'
import { readInput, readTextFile, writeStdout } from '../io.js'

/**
 * The `pubkey` command.
 *
 * @example
 * ```ts
 * await pubkey.run(parseCommandArgs(pubkey, argv)!)
 * ```
 */
export const pubkey: Command = {
  name: 'pubkey',
  help: `Usage: arrowseal pubkey [FILE]

Prints the public key (aseal1…) of the identity in FILE (or stdin). Share it freely: writers put it in
their recipients file, readers pass a writer's public key to \`open --trust\`.

Options:
  -h, --help  show this help
`,
  options: {},
  maxPositionals: 1,
  async run(inv) {
    const path = inv.positionals[0]
    const text =
      path === undefined || path === '-'
        ? new TextDecoder().decode(await readInput(undefined))
        : await readTextFile(path)
    const identity = await importIdentity(identityLine(text, path ?? 'stdin'))
    await writeStdout(`${identity.publicKey}\n`)
  },
}
