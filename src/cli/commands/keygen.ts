/**
 * `arrowseal keygen`: create a secret identity file (mode 0600) and print its public key.
 * @module
 */
import { exportIdentity, generateIdentity } from '../../index.node.js'
import { writeFileAtomic } from '../../node/atomic.js'
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
  help: `Usage: arrowseal keygen [--token-key] [-o FILE] [--force]

Creates a new identity (X-Wing + Ed25519 + ML-DSA-65 keys from one 32-byte seed).

With -o, writes the identity to FILE with mode 0600 and prints the public key (aseal1…) on stdout.
Without -o, prints the identity file text on stdout and the public key on stderr.

With --token-key, creates a dataset token key instead (32 random bytes as hex, for \`seal --token-key\`):
give the same file to every writer of the dataset, keep it like a signing key, and never to a reader.

Options:
  -o, --output FILE  where to write the identity (refuses to replace an existing file)
      --force        replace an existing FILE (its old key is lost for good)
      --token-key    create a dataset token key (pseudonymised views), not an identity
  -h, --help         show this help
`,
  options: {
    output: { type: 'string', short: 'o' },
    force: { type: 'boolean' },
    'token-key': { type: 'boolean' },
  },
  maxPositionals: 0,
  async run(inv) {
    const output = stringOption(inv, 'output')
    if (flag(inv, 'token-key')) {
      const hex = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('hex')
      const text = `# arrowseal dataset token key (secret): for every writer of one dataset, never for readers\n${hex}\n`
      if (output === undefined || output === '-') return writeStdout(text)
      try {
        await writeFileAtomic(output, text, { mode: 0o600, overwrite: flag(inv, 'force') })
      } catch (err) {
        throw fsError(err, output, 'write')
      }
      return
    }
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
