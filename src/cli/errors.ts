/**
 * CLI error reporting: one line per failure, a stable code, a hint, and a documented exit code.
 *
 * Library failures arrive as {@link ArrowSealError} with their own code; failures that only the CLI can detect
 * (bad arguments, unreadable files, malformed CSV) are {@link CliError}s with a CLI code. Both map to the exit codes
 * below, which are part of the CLI's contract (scripts branch on them):
 *
 * | exit | meaning                                                                    |
 * |------|----------------------------------------------------------------------------|
 * | 0    | success                                                                    |
 * | 1    | internal error (a bug: rerun with `--debug` and report it)                 |
 * | 2    | usage: unknown command or option, missing argument, refused overwrite      |
 * | 3    | input: file missing or unreadable, malformed CSV/NDJSON/Arrow, not a sealed stream          |
 * | 4    | authentication/integrity: untrusted signer, bad signature, not a recipient, tampered, truncated, trailing data, reordered batches |
 * | 5    | policy: invalid policy or recipients file, field not covered, unknown role, unknown key id or label |
 * | 6    | key: identity or public key text cannot be parsed                          |
 * | 7    | access: the key-access gateway refused the request (denied, suspended, unauthenticated, rate limited) |
 * | 8    | unavailable: the key-access gateway could not be reached or could not decide now; retry later |
 *
 * @module
 */
import { ArrowSealError, type ArrowSealErrorCode } from '../errors.js'

/**
 * Codes raised by the CLI itself, in addition to the library's {@link ArrowSealErrorCode}s.
 *
 * @example
 * ```ts
 * const code: CliErrorCode = 'USAGE'
 * ```
 */
export type CliErrorCode = 'USAGE' | 'IO' | 'INPUT_INVALID' | 'OUTPUT_EXISTS' | 'INTERNAL'

/**
 * Documented process exit codes (see the module doc).
 *
 * @example
 * ```ts
 * process.exitCode = EXIT.auth // 4
 * ```
 */
export const EXIT = {
  ok: 0,
  internal: 1,
  usage: 2,
  input: 3,
  auth: 4,
  policy: 5,
  key: 6,
  access: 7,
  unavailable: 8,
} as const

/**
 * A failure the CLI detected itself. The message is shown to the user as is, so it must never contain secrets.
 *
 * @example
 * ```ts
 * throw new CliError('USAGE', 'missing --policy', 'see `arrowseal seal --help`')
 * ```
 */
export class CliError extends Error {
  readonly code: CliErrorCode
  readonly hint: string | undefined

  constructor(code: CliErrorCode, message: string, hint?: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'CliError'
    this.code = code
    this.hint = hint
  }
}

// A Record over the whole union makes the compiler flag any new library code that has no exit code or hint yet.
const LIBRARY: Record<ArrowSealErrorCode, { exit: number; hint: string }> = {
  KEY_INVALID: {
    exit: EXIT.key,
    hint: 'identity files hold one ASEAL-SECRET-KEY-1… line; public keys start with aseal1',
  },
  POLICY_INVALID: { exit: EXIT.policy, hint: 'fix the policy or recipients file (see examples/policy.json)' },
  POLICY_FIELD_UNCOVERED: {
    exit: EXIT.policy,
    hint: 'add a rule for the field, or a "default" rule, to the policy file',
  },
  POLICY_UNKNOWN_FIELD: {
    exit: EXIT.policy,
    hint: 'remove the rule or check the field name against the input columns',
  },
  POLICY_UNKNOWN_ROLE: { exit: EXIT.policy, hint: 'every role in the policy needs keys in the recipients file' },
  FORMAT_INVALID: { exit: EXIT.input, hint: 'the input is not a sealed arrowseal stream, or it is damaged' },
  // Not "upgrade": a version, suite or flag this build does not read may come from a newer writer, but the code
  // also covers inputs no version reads (an audit event of another version, a unit flag no writer sets).
  FORMAT_UNSUPPORTED: {
    exit: EXIT.input,
    hint: "the input uses a format version or feature this arrowseal does not read (the message says which); check `arrowseal --version` against the writer's",
  },
  LIMIT_EXCEEDED: { exit: EXIT.input, hint: 'the input exceeds a hard safety limit; it is malformed or hostile' },
  // Integrity failures exit 4 with the other authentication failures: a cut-short transfer is not a missing file,
  // and scripts must be able to tell the two apart.
  TRUNCATED: { exit: EXIT.auth, hint: 'the input ended early; fetch a complete copy' },
  TRAILING_DATA: { exit: EXIT.auth, hint: 'bytes follow the end of the sealed stream; fetch a clean copy' },
  FRAME_OUT_OF_ORDER: {
    exit: EXIT.auth,
    hint: 'batches were reordered, dropped or duplicated in transit; fetch a clean copy',
  },
  SIGNER_UNTRUSTED: {
    exit: EXIT.auth,
    hint: "pass the writer's public key with --trust (check it with `arrowseal inspect`)",
  },
  SIGNATURE_INVALID: { exit: EXIT.auth, hint: 'the data was changed after sealing; do not use it' },
  SESSION_REJECTED: {
    exit: EXIT.auth,
    hint: 'the stream is signed by a writer session; accept them with --sessions accept (see docs/threat-model.md)',
  },
  STREAM_UNEXPECTED: {
    exit: EXIT.auth,
    hint: 'the input is a validly signed stream, but not the one --stream-id names (an older one replayed?)',
  },
  SESSION_EXPIRED: {
    exit: EXIT.auth,
    hint: "the writer session's validity window does not cover now; check the clock, or open with --sessions accept",
  },
  NOT_A_RECIPIENT: {
    exit: EXIT.auth,
    hint: 'this identity is not among the recipients; check --identity or ask the writer for access',
  },
  COLUMN_NOT_READABLE: { exit: EXIT.usage, hint: 'run without --columns to see the columns you can read' },
  AUTH_FAILED: { exit: EXIT.auth, hint: 'the data was changed or corrupted after sealing; do not use it' },
  AEAD_LIMIT: { exit: EXIT.input, hint: 'the stream is too large for one key; split the input' },
  ARROW_INVALID: { exit: EXIT.input, hint: 'the Arrow input is malformed' },
  ARROW_UNSUPPORTED: { exit: EXIT.input, hint: 'the Arrow input uses a feature arrowseal does not support' },
  STREAM_ABORTED: { exit: EXIT.internal, hint: 'the stream was aborted; no output was written' },
  BACKEND_UNAVAILABLE: { exit: EXIT.internal, hint: 'no AES-GCM backend is available on this runtime' },
  PROOF_INVALID: {
    exit: EXIT.auth,
    hint: 'the log cannot prove this entry or history against your checkpoint; treat the log as tampered',
  },
  NOTE_INVALID: { exit: EXIT.auth, hint: 'the signed note is malformed or not signed by the log key you gave' },
  CHECKPOINT_INVALID: {
    exit: EXIT.auth,
    hint: 'the checkpoint is for another log, malformed, or older than one you hold; do not trust it',
  },
  STORE_CORRUPT: {
    exit: EXIT.input,
    hint: 'the audit database is damaged or was edited; keep it for forensics and verify against your checkpoints',
  },
  STORE_UNAVAILABLE: { exit: EXIT.input, hint: 'check the database path or URL, and that the server is running' },
  STORE_MISMATCH: { exit: EXIT.input, hint: 'the database holds another log; check --origin and the store path' },
  // Gateway refusals exit 7 (a decision: retrying will not help until an admin acts), the retryable kinds exit 8.
  KAS_REQUEST_INVALID: { exit: EXIT.access, hint: 'the gateway could not parse the request; check both versions' },
  KAS_REQUEST_TOO_LARGE: { exit: EXIT.access, hint: "the request is over the gateway's body limit" },
  KAS_UNAUTHENTICATED: {
    exit: EXIT.access,
    hint: 'the gateway could not authenticate you; check the identity, or the token, its issuer and DPoP key',
  },
  KAS_REPLAYED: { exit: EXIT.access, hint: 'the request was already used; send a fresh one' },
  KAS_STALE: { exit: EXIT.access, hint: "your clock and the gateway's differ too much; check both clocks" },
  KAS_WRONG_AUDIENCE: { exit: EXIT.access, hint: 'the request names another gateway; check the key-access URL' },
  KAS_HEADER_MISMATCH: { exit: EXIT.access, hint: 'the header sent does not match its digest; fetch a clean copy' },
  KAS_NOT_A_RECIPIENT: {
    exit: EXIT.access,
    hint: 'this gateway holds no keys of this stream; check which gateway `arrowseal inspect` names',
  },
  KAS_DENIED: { exit: EXIT.access, hint: 'you hold no grant for these roles on this dataset; ask the gateway admin' },
  KAS_SUSPENDED: { exit: EXIT.access, hint: 'your principal is suspended on this gateway; ask the gateway admin' },
  KAS_RATE_LIMITED: { exit: EXIT.unavailable, hint: 'too many requests; retry after the time the gateway asked' },
  KAS_UNAVAILABLE: { exit: EXIT.unavailable, hint: 'the gateway cannot decide now; retry later' },
  KAS_UNREACHABLE: { exit: EXIT.unavailable, hint: 'check the key-access URL and that the gateway is running' },
  KAS_TIMEOUT: { exit: EXIT.unavailable, hint: 'the gateway did not answer in time; retry, or raise the timeout' },
  KAS_RECEIPT_INVALID: {
    exit: EXIT.auth,
    hint: "the gateway's receipt does not verify; do not trust this gateway's answer",
  },
  BROKER_MISMATCH: {
    exit: EXIT.auth,
    hint: "a broker message's subject or headers disagree with the signed stream: rewritten in transit; do not use it",
  },
  BROKER_UNAVAILABLE: {
    exit: EXIT.input,
    hint: 'the NATS server cannot be reached or refused the request; is JetStream on?',
  },
  RECIPIENT_UNKNOWN: {
    exit: EXIT.policy,
    hint: 'check the key ids with `arrowseal inspect` (--recipients FILE shows labels), or the label in the file',
  },
  REWRAP_NOT_ENTITLED: {
    exit: EXIT.auth,
    hint: 'the rewrapping identity does not hold every group it must re-wrap; use an identity that reads them',
  },
}

const CLI: Record<CliErrorCode, { exit: number; hint: string }> = {
  USAGE: { exit: EXIT.usage, hint: 'see `arrowseal --help`' },
  OUTPUT_EXISTS: { exit: EXIT.usage, hint: 'pass --force to overwrite' },
  IO: { exit: EXIT.input, hint: 'check the path and its permissions' },
  INPUT_INVALID: { exit: EXIT.input, hint: 'fix the input, or pass --format if its format was guessed wrong' },
  INTERNAL: { exit: EXIT.internal, hint: 'this is a bug: rerun with --debug and report the stack trace' },
}

/**
 * What the CLI prints and returns for one failure.
 *
 * @example
 * ```ts
 * const { line, exit }: Report = describeError(err)
 * ```
 */
export interface Report {
  readonly code: string
  readonly exit: number
  readonly line: string
}

/**
 * Turns any thrown value into the one-line report `arrowseal: error CODE: message — hint` and its exit code.
 *
 * @example
 * ```ts
 * const r = describeError(new CliError('USAGE', 'missing --policy'))
 * console.log(r.exit) // 2
 * ```
 */
export function describeError(err: unknown): Report {
  let code: string
  let exit: number
  let hint: string | undefined
  let message: string
  if (err instanceof CliError) {
    code = err.code
    exit = CLI[err.code].exit
    hint = err.hint ?? CLI[err.code].hint
    message = err.message
  } else if (err instanceof ArrowSealError) {
    const known = (LIBRARY as Partial<Record<string, { exit: number; hint: string }>>)[err.code]
    code = err.code
    exit = known?.exit ?? EXIT.internal
    hint = known?.hint
    message = err.message
  } else {
    code = 'INTERNAL'
    exit = EXIT.internal
    hint = CLI.INTERNAL.hint
    message = err instanceof Error ? err.message : String(err)
  }
  // One line, always: a multi-line message would break log scrapers that key on the prefix.
  const oneLine = message.replace(/\s*\n\s*/g, ' ')
  const line = `arrowseal: error ${code}: ${oneLine}${hint ? ` — ${hint}` : ''}`
  return { code, exit, line }
}

/**
 * Maps a Node file-system error to a {@link CliError} that names the path but not the file's contents.
 *
 * @example
 * ```ts
 * try { await readFile(p) } catch (e) { throw fsError(e, p, 'read') }
 * ```
 */
export function fsError(err: unknown, path: string, action: 'read' | 'write'): CliError {
  const code = (err as { code?: unknown } | null)?.code
  if (code === 'ENOENT')
    return new CliError('IO', `cannot ${action} ${path}: no such file or directory`, undefined, { cause: err })
  if (code === 'EACCES' || code === 'EPERM')
    return new CliError('IO', `cannot ${action} ${path}: permission denied`, undefined, { cause: err })
  if (code === 'EISDIR')
    return new CliError('IO', `cannot ${action} ${path}: it is a directory`, undefined, { cause: err })
  if (code === 'EEXIST')
    return new CliError('OUTPUT_EXISTS', `${path} already exists`, 'pass --force to overwrite', { cause: err })
  const detail = err instanceof Error ? err.message : String(err)
  return new CliError('IO', `cannot ${action} ${path}: ${detail}`, undefined, { cause: err })
}
