/**
 * Loading the CLI's key, trust, recipients and policy files, with errors that name the file and the problem.
 *
 * `--trust` takes a public key (`aseal1…`) or a file of public keys, one a line (`#` comments and blank lines are
 * ignored). A secret identity file is refused there: trusting a writer must never require its secret.
 *
 * Recipients files (roles → keys, with optional labels) are read by recipients-file.ts.
 *
 * @module
 */
import { stat } from 'node:fs/promises'
import { KeyError, PolicyError } from '../errors.js'
import { importIdentity, parseKeyring, parsePublicKey } from '../index.node.js'
import { type Identity, identityLine } from '../node/files.js'
import { readTextFile } from './io.js'

/**
 * Reads an identity file.
 *
 * @example
 * ```ts
 * const me = await loadIdentity('me.key')
 * ```
 */
export async function loadIdentity(path: string): Promise<Identity> {
  const identity = await importIdentity(identityLine(await readTextFile(path), path))
  await warnIfShared(path)
  return identity
}

/**
 * Reads `--identity` files into one keyring: each file holds one identity or several (a keyring file, one
 * `ASEAL-SECRET-KEY-1…` a line, `#` comments allowed). A key found twice across the files is refused.
 *
 * @example
 * ```ts
 * const keyring = await loadKeyring(['me-2026.key', 'old-keys.keyring'])
 * ```
 */
export async function loadKeyring(paths: readonly string[]): Promise<Identity[]> {
  const out: Identity[] = []
  for (const path of paths) {
    for (const identity of await parseKeyring(await readTextFile(path), path)) {
      if (out.some((k) => k.keyId === identity.keyId))
        throw new KeyError(`${path}: key ${identity.keyId} is also in an earlier --identity file`)
      out.push(identity)
    }
    await warnIfShared(path)
  }
  return out
}

// Like ssh with private keys, but a warning rather than a refusal: the key is already exposed, and refusing would
// only block the operator who is about to fix it.
async function warnIfShared(path: string): Promise<void> {
  if (process.platform === 'win32') return
  const mode = (await stat(path).catch(() => null))?.mode
  if (mode !== undefined && (mode & 0o077) !== 0) {
    const octal = (mode & 0o777).toString(8).padStart(4, '0')
    process.stderr.write(
      `arrowseal: warning: identity file ${path} is accessible by other users (mode ${octal}); run chmod 600 ${path}\n`,
    )
  }
}

/**
 * Resolves `--trust` values to public key texts, parsing each (so a bad key fails before any input is read).
 *
 * @example
 * ```ts
 * const trusted = await loadTrusted(['aseal1…', 'writers.pub'])
 * ```
 */
export async function loadTrusted(values: readonly string[]): Promise<string[]> {
  const keys: string[] = []
  for (const value of values) {
    if (/^aseal1/i.test(value)) {
      keys.push(parsePublicKey(value).text)
      continue
    }
    const text = await readTextFile(value)
    const lines = text
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'))
    if (lines.length === 0) throw new KeyError(`${value} contains no public key`)
    for (const [i, line] of lines.entries()) {
      if (/^ASEAL-SECRET-KEY-/i.test(line))
        throw new KeyError(
          `${value} is a secret identity, not a public key: trust the writer's public key (\`arrowseal pubkey ${value}\`)`,
        )
      try {
        keys.push(parsePublicKey(line).text)
      } catch (cause) {
        const why = cause instanceof Error ? cause.message : 'not a public key'
        throw new KeyError(`${value}: key ${i + 1}: ${why}`, { cause })
      }
    }
  }
  return keys
}

/**
 * Parses a JSON configuration file's text; a syntax error is `POLICY_INVALID` naming the file.
 *
 * @example
 * ```ts
 * const value = parseJsonFile(await readTextFile('policy.json'), 'policy.json')
 * ```
 */
export function parseJsonFile(text: string, path: string): unknown {
  try {
    return JSON.parse(text)
  } catch (err) {
    const why = err instanceof Error ? err.message.split('\n')[0] : 'invalid'
    throw new PolicyError('POLICY_INVALID', `${path} is not valid JSON (${why})`, { cause: err })
  }
}

/**
 * Reads a policy file. Only the JSON syntax is checked here; the library validates the policy against the data
 * and reports exactly which rule or field is wrong.
 *
 * @example
 * ```ts
 * const policy = await loadPolicy('policy.json')
 * ```
 */
export async function loadPolicy(path: string): Promise<unknown> {
  const value = parseJsonFile(await readTextFile(path), path)
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new PolicyError('POLICY_INVALID', `${path}: expected a policy object like {"fields": {…}}`)
  return value
}

const TOKEN_KEY_RE = /^[0-9a-fA-F]{64}$/

/**
 * Reads a dataset token key file (`arrowseal keygen --token-key`): 64 hex digits, `#` comments and blank lines
 * ignored. Errors never quote the file's content, which is a secret.
 *
 * @example
 * ```ts
 * const key = await loadTokenKey('crm.token-key')
 * ```
 */
export async function loadTokenKey(path: string): Promise<Uint8Array> {
  const lines = (await readTextFile(path))
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
  if (lines.length !== 1 || !TOKEN_KEY_RE.test(lines[0]!))
    throw new KeyError(
      `${path} is not a token key file: expected one line of 64 hex digits (arrowseal keygen --token-key)`,
    )
  await warnIfShared(path)
  return Uint8Array.from(Buffer.from(lines[0]!, 'hex'))
}

/**
 * One line per tokenised field: who reads it in clear and which roles get only tokens, for the writer to see
 * what it is about to publish (role names are not in the header, so `inspect` cannot tell this later).
 *
 * @example
 * ```ts
 * for (const line of tokenSummary(policy)) process.stderr.write(`arrowseal: ${line}\n`)
 * ```
 */
export function tokenSummary(policy: unknown): string[] {
  if (policy === null || typeof policy !== 'object') return []
  const {
    fields,
    tokens,
    default: fallback,
  } = policy as {
    fields?: Record<string, unknown>
    tokens?: Record<string, unknown>
    default?: unknown
  }
  if (tokens === null || typeof tokens !== 'object') return []
  return Object.entries(tokens).map(([name, roles]) => {
    const rule = fields && Object.hasOwn(fields, name) ? fields[name] : fallback
    const clear = Array.isArray(rule) ? rule.join(', ') : 'nobody'
    const tokened = Array.isArray(roles) ? roles.join(', ') : String(roles)
    return `field ${JSON.stringify(name)}: in clear for ${clear}; tokens only for ${tokened}`
  })
}
