/**
 * Resolving the key references of `rewrap` and `rotate` (`--add ROLE=REF`, `--remove REF`, `--replace OLD=NEW`).
 * A reference is, in this order:
 *
 * 1. a public key, `aseal1…`;
 * 2. a key id, 16 hex digits (as `inspect` shows it): the key is known by id only, which is enough to remove it;
 * 3. a label of the `--recipients` file (`{ "key": …, "id": "alice-2026" }`), which may also be a gateway entry;
 * 4. a file holding exactly one public key (`alice.pub`).
 *
 * Labels can never look like key ids (recipients-file.ts), so 2 and 3 cannot collide. A reference that is both a
 * label and an existing file is refused as ambiguous rather than guessed.
 *
 * @module
 */
import { stat } from 'node:fs/promises'
import { parsePublicKey, RewrapError, type ServiceRecipient } from '../index.node.js'
import { CliError } from './errors.js'
import { loadTrusted } from './keys.js'
import { isKeyId, type RecipientsFile } from './recipients-file.js'

/**
 * A resolved reference. `key` is absent when the reference was a bare key id.
 *
 * @example
 * ```ts
 * const ref: KeyRef = { keyId: '3f9c0a17b2d4e611', label: 'alice-2026', key: 'aseal1…' }
 * ```
 */
export interface KeyRef {
  readonly keyId: string
  readonly key?: string
  readonly label?: string
  readonly service?: string
}

/**
 * Resolves one reference (see the module doc). `needKey` refuses a bare key id (adding a recipient needs its
 * public key). Unknown labels and unreadable files are `RECIPIENT_UNKNOWN` (exit 5).
 *
 * @example
 * ```ts
 * const ref = await resolveKeyRef('alice-2026', file, { option: '--remove' })
 * ```
 */
export async function resolveKeyRef(
  text: string,
  file: RecipientsFile | undefined,
  options: { option: string; needKey?: boolean },
): Promise<KeyRef> {
  const { option } = options
  if (text === '') throw new CliError('USAGE', `${option} needs a key, key id, label or key file`)
  if (/^aseal1/i.test(text)) {
    const pk = parsePublicKey(text)
    return withLabel({ keyId: pk.keyId, key: pk.text }, file)
  }
  if (isKeyId(text)) {
    const known = withLabel({ keyId: text.toLowerCase() }, file)
    if (options.needKey && known.key === undefined)
      throw new CliError(
        'USAGE',
        `${option} ${text}: a key id is not enough to add a recipient`,
        'give its public key, a key file, or a label of the --recipients file',
      )
    return known
  }
  const entry = file?.keys.find((k) => k.label === text)
  const isFile = await stat(text).then(
    (s) => s.isFile(),
    () => false,
  )
  if (entry && isFile)
    throw new CliError(
      'USAGE',
      `${option} ${text}: both a label in ${file!.path} and a file`,
      'write ./FILE for the file, or use the key id',
    )
  if (entry)
    return {
      keyId: entry.keyId,
      key: entry.key,
      label: text,
      ...(entry.service === undefined ? {} : { service: entry.service }),
    }
  if (isFile) {
    const keys = await loadTrusted([text])
    if (keys.length !== 1)
      throw new CliError('USAGE', `${option} ${text}: the file holds ${keys.length} public keys`, 'name one key')
    const pk = parsePublicKey(keys[0]!)
    return withLabel({ keyId: pk.keyId, key: pk.text }, file)
  }
  throw new RewrapError(
    'RECIPIENT_UNKNOWN',
    file
      ? `${option} ${text}: no key is labelled "${text}" in ${file.path}, and no such file`
      : `${option} ${text}: not a public key, key id or key file (labels need --recipients FILE)`,
  )
}

function withLabel(ref: { keyId: string; key?: string }, file: RecipientsFile | undefined): KeyRef {
  const entry = file?.keys.find((k) => k.keyId === ref.keyId)
  if (!entry) return ref
  return {
    keyId: ref.keyId,
    key: entry.key,
    ...(entry.label === undefined ? {} : { label: entry.label }),
    ...(entry.service === undefined ? {} : { service: entry.service }),
  }
}

/**
 * The library's recipient entry for an added key: the public key text, or the gateway entry.
 *
 * @example
 * ```ts
 * const entry = recipientEntry(await resolveKeyRef('kas-eu', file, { option: '--add', needKey: true }))
 * ```
 */
export function recipientEntry(ref: KeyRef): string | ServiceRecipient {
  return ref.service === undefined ? ref.key! : { service: ref.service, key: ref.key! }
}

/**
 * Splits `ROLE=VALUE` (`--add`) or `OLD=NEW` (`--replace`) at the first `=`.
 *
 * @example
 * ```ts
 * splitPair('analysts=alice.pub', '--add') // ['analysts', 'alice.pub']
 * ```
 */
export function splitPair(text: string, option: string): [string, string] {
  const at = text.indexOf('=')
  if (at <= 0 || at === text.length - 1)
    throw new CliError(
      'USAGE',
      `${option} ${JSON.stringify(text.length > 80 ? `${text.slice(0, 77)}...` : text)} is not of the form A=B`,
      option === '--add' ? 'for example --add analysts=alice.pub' : 'for example --replace alice-2026=alice-2027',
    )
  return [text.slice(0, at), text.slice(at + 1)]
}
