/**
 * Files the audit commands read and write: proof files (JSON, documented in docs/guides/audit-log.md), checkpoint
 * notes (size-checked before they are read whole), and the log key option.
 * @module
 */
import { stat } from 'node:fs/promises'
import { base64Decode, base64Encode } from '../../audit/base64.js'
import { MAX_PROOF_HASHES } from '../../audit/merkle.js'
import { MAX_NOTE_BYTES } from '../../audit/note.js'
import { AuditError } from '../../errors.js'
import { CliError, fsError } from '../errors.js'
import { readTextFile } from '../io.js'
import { loadTrusted } from '../keys.js'

/** A proof as the CLI writes and reads it. */
export type ProofFile =
  | { readonly type: 'inclusion'; readonly index: number; readonly size: number; readonly hashes: Uint8Array[] }
  | { readonly type: 'consistency'; readonly oldSize: number; readonly size: number; readonly hashes: Uint8Array[] }

/** Largest proof file read: 64 base64 hashes and the JSON around them fit in far less. */
const MAX_PROOF_FILE_BYTES = 16 * 1024

/**
 * The JSON text of a proof file.
 *
 * @example
 * ```ts
 * formatProof({ type: 'inclusion', index: 3, size: 8, hashes })
 * ```
 */
export function formatProof(p: ProofFile): string {
  const hashes = p.hashes.map(base64Encode)
  const body =
    p.type === 'inclusion'
      ? { type: p.type, index: p.index, size: p.size, hashes }
      : { type: p.type, oldSize: p.oldSize, size: p.size, hashes }
  return `${JSON.stringify(body, null, 2)}\n`
}

/**
 * Reads and strictly parses a proof file; anything malformed is `PROOF_INVALID`.
 *
 * @example
 * ```ts
 * const proof = await readProof('entry-7.proof.json')
 * ```
 */
export async function readProof(path: string): Promise<ProofFile> {
  const text = await readBounded(path, MAX_PROOF_FILE_BYTES, 'PROOF_INVALID', 'proof file')
  let v: unknown
  try {
    v = JSON.parse(text)
  } catch {
    throw new AuditError('PROOF_INVALID', `${path} is not a JSON proof file`)
  }
  const bad = (why: string) => new AuditError('PROOF_INVALID', `${path}: ${why}`)
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw bad('not a JSON object')
  const o = v as Record<string, unknown>
  const count = (k: string) => {
    const n = o[k]
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) throw bad(`"${k}" must be a non-negative integer`)
    return n
  }
  if (!Array.isArray(o['hashes']) || o['hashes'].length > MAX_PROOF_HASHES) {
    throw bad(`"hashes" must be an array of at most ${MAX_PROOF_HASHES} hashes`)
  }
  const hashes = o['hashes'].map((h, i) => {
    const b = typeof h === 'string' ? base64Decode(h) : null
    if (b?.length !== 32) throw bad(`hash ${i} is not 32 bytes of base64`)
    return b
  })
  if (o['type'] === 'inclusion') return { type: 'inclusion', index: count('index'), size: count('size'), hashes }
  if (o['type'] === 'consistency') {
    return { type: 'consistency', oldSize: count('oldSize'), size: count('size'), hashes }
  }
  throw bad('"type" must be "inclusion" or "consistency"')
}

/**
 * Reads a checkpoint note, refusing a file larger than any valid note before reading it.
 *
 * @example
 * ```ts
 * const note = await readNote('checkpoint.note')
 * ```
 */
export function readNote(path: string): Promise<string> {
  return readBounded(path, MAX_NOTE_BYTES, 'NOTE_INVALID', 'checkpoint note')
}

async function readBounded(
  path: string,
  max: number,
  code: 'PROOF_INVALID' | 'NOTE_INVALID',
  what: string,
): Promise<string> {
  let size: number
  try {
    size = (await stat(path)).size
  } catch (err) {
    throw fsError(err, path, 'read')
  }
  if (size > max) throw new AuditError(code, `${path} is ${size} bytes, larger than any ${what} (${max})`)
  return readTextFile(path)
}

/**
 * The log's public key from `--key` (an `aseal1…` text or a file holding one).
 *
 * @example
 * ```ts
 * const key = await loadLogKey(stringOption(inv, 'key'), 'audit verify')
 * ```
 */
export async function loadLogKey(value: string | undefined, command: string): Promise<string> {
  if (!value) throw new CliError('USAGE', 'missing --key (the log public key)', `see \`arrowseal ${command} --help\``)
  const keys = await loadTrusted([value])
  if (keys.length !== 1) throw new CliError('USAGE', '--key must name exactly one public key')
  return keys[0]!
}

/**
 * Parses a non-negative integer option.
 *
 * @example
 * ```ts
 * const index = countOption('7', 'index')
 * ```
 */
export function countOption(value: string, name: string): number {
  if (!/^(0|[1-9][0-9]{0,15})$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new CliError('USAGE', `--${name} must be a non-negative integer`)
  }
  return Number(value)
}
