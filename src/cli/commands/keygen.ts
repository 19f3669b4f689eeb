/**
 * `arrowseal keygen`: create a secret identity file (mode 0600) and print its public key.
 * @module
 */
import { exportIdentity, generateIdentity } from '../../index.node.js'
import { writeIdentityFile } from '../../node/files.js'
import { type Command, flag, stringOption } from '../args.js'
import { fsError } from '../errors.js'
import { writeStdout } from '../io.js'

/**
 * The `keygen` command.
 *
 * @example
 * ```ts
 * await keygen.run(parseCommandArgs(keygen, argv)!)
 * ```
 */
export const keygen: Command = {
  name: 'keygen',
  help: `Usage: arrowseal keygen [-o FILE] [--force]

Creates a new identity (X-Wing + Ed25519 + ML-DSA-65 keys from one 32-byte seed).

With -o, writes the identity to FILE with mode 0600 and prints the public key (aseal1…) on stdout.
Without -o, prints the identity file text on stdout and the public key on stderr.

Options:
  -o, --output FILE  where to write the identity (refuses to replace an existing file)
      --force        replace an existing FILE (its old key is lost for good)
  -h, --help         show this help
`,
  options: {
    output: { type: 'string', short: 'o' },
    force: { type: 'boolean' },
  },
  maxPositionals: 0,
  async run(inv) {
    const output = stringOption(inv, 'output')
    const identity = await generateIdentity()
    if (output === undefined || output === '-') {
      await writeStdout(`# public key: ${identity.publicKey}\n${exportIdentity(identity)}\n`)
      process.stderr.write(`Public key: ${identity.publicKey}\n`)
      return
    }
    try {
      await writeIdentityFile(output, identity, { overwrite: flag(inv, 'force') })
    } catch (err) {
      throw fsError(err, output, 'write')
    }
    await writeStdout(`${identity.publicKey}\n`)
  },
}
