/**
 * C2SP signed notes (https://c2sp.org/signed-note): parsing with hard bounds, and verification against a set of
 * known keys.
 *
 * A note is `text` (ending in a newline), one blank line, then signature lines
 * `— <key name> <base64(key ID (4, big-endian) ‖ signature)>`. Lines from keys the verifier does not know are
 * ignored, as the spec requires (so witnesses can add cosignatures later); a line whose name *and* key ID match a
 * known key must verify, or the whole note is refused.
 *
 * @module
 */
import { AuditError } from '../errors.js'
import { isBytes } from '../keys/assert.js'
import { base64Decode, base64Encode } from './base64.js'

/** Largest note accepted, in UTF-8 bytes: far above a hybrid checkpoint (~5 KiB) plus witness lines. */
export const MAX_NOTE_BYTES = 1024 * 1024

/** Most signature lines accepted (the spec requires at least 16). */
export const MAX_NOTE_SIGNATURES = 100

/** One signature line of a note, not yet verified. */
export interface NoteSignature {
  readonly name: string
  /** The key ID, the first 4 bytes of the line's base64 value, as an unsigned 32-bit integer. */
  readonly keyId: number
  /** The signature bytes after the key ID. */
  readonly signature: Uint8Array
}

/** A key that can check note signatures: the (name, key ID) pair selects it. */
export interface NoteVerifier {
  readonly name: string
  readonly keyId: number
  /** True when `signature` is valid over the UTF-8 bytes of `text`. Must not throw on malformed input. */
  verify(text: string, signature: Uint8Array): boolean
}

/** A parsed, unverified note. */
export interface ParsedNote {
  /** The signed text, including its final newline. */
  readonly text: string
  readonly signatures: readonly NoteSignature[]
}

const EM_DASH_PREFIX = '\u2014 '
// C2SP signed-note §Format: no ASCII control characters other than newline.
// biome-ignore lint/suspicious/noControlCharactersInRegex: the check is about control characters
const CONTROL_RE = /[\u0000-\u0009\u000b-\u001f\u007f]/
const SPACE_RE = /\s/u

/**
 * True for a valid key name: non-empty, no Unicode space, no `+` (C2SP signed-note §Format).
 *
 * @example
 * ```ts
 * isValidKeyName('example.com/log') // true
 * ```
 */
export function isValidKeyName(name: string): boolean {
  return (
    typeof name === 'string' &&
    name.length > 0 &&
    name.length <= 1024 &&
    !SPACE_RE.test(name) &&
    !name.includes('+') &&
    !CONTROL_RE.test(name)
  )
}

/**
 * Parse a signed note without verifying it. Refuses, with `NOTE_INVALID`, anything over {@link MAX_NOTE_BYTES}
 * or {@link MAX_NOTE_SIGNATURES}, invalid UTF-8, control characters, a missing blank line, and malformed
 * signature lines.
 *
 * @example
 * ```ts
 * const { text, signatures } = parseNote(noteText)
 * ```
 */
export function parseNote(note: string | Uint8Array): ParsedNote {
  const s = noteString(note)
  if (CONTROL_RE.test(s)) throw invalid('the note holds a control character other than newline')
  if (!s.endsWith('\n')) throw invalid('the note does not end in a newline')
  // The text is separated from the signatures by the last blank line (C2SP signed-note §Format).
  const split = s.lastIndexOf('\n\n')
  if (split < 0) throw invalid('the note has no blank line before its signatures')
  const text = s.slice(0, split + 1)
  const lines = s.slice(split + 2, -1).split('\n')
  if (lines.length > MAX_NOTE_SIGNATURES) {
    throw invalid(`the note has more than ${MAX_NOTE_SIGNATURES} signature lines`)
  }
  const signatures: NoteSignature[] = []
  for (const line of lines) {
    if (!line.startsWith(EM_DASH_PREFIX)) throw invalid('a signature line does not start with "— "')
    const rest = line.slice(EM_DASH_PREFIX.length)
    const sp = rest.indexOf(' ')
    if (sp < 0) throw invalid('a signature line has no space between key name and signature')
    const name = rest.slice(0, sp)
    if (!isValidKeyName(name)) throw invalid('a signature line has an invalid key name')
    const raw = base64Decode(rest.slice(sp + 1))
    if (raw === null || raw.length < 5) throw invalid('a signature line has an invalid base64 signature')
    const keyId = ((raw[0]! << 24) | (raw[1]! << 16) | (raw[2]! << 8) | raw[3]!) >>> 0
    signatures.push({ name, keyId, signature: raw.slice(4) })
  }
  return { text, signatures }
}

/**
 * Format a note from its text and signatures.
 *
 * @example
 * ```ts
 * formatNote('hello\n', [{ name: 'k', keyId: 1, signature: sig }])
 * ```
 */
export function formatNote(text: string, signatures: readonly NoteSignature[]): string {
  let out = `${text}\n`
  for (const sig of signatures) {
    const raw = new Uint8Array(4 + sig.signature.length)
    new DataView(raw.buffer).setUint32(0, sig.keyId)
    raw.set(sig.signature, 4)
    out += `${EM_DASH_PREFIX}${sig.name} ${base64Encode(raw)}\n`
  }
  return out
}

/**
 * Parse `note` and verify it against `verifiers`. Lines from unknown keys are ignored; a known key's line that
 * fails, or a known key signing twice, refuses the note; so does a note no known key signed.
 *
 * @returns the text and the verifiers whose signatures verified, in the order of `verifiers`.
 * @example
 * ```ts
 * const { text } = openNote(noteText, [verifier])
 * ```
 */
export function openNote(
  note: string | Uint8Array,
  verifiers: readonly NoteVerifier[],
): { text: string; verified: NoteVerifier[] } {
  const parsed = parseNote(note)
  const seen = new Set<NoteVerifier>()
  for (const sig of parsed.signatures) {
    const v = verifiers.find((k) => k.name === sig.name && k.keyId === sig.keyId)
    if (v === undefined) continue
    if (seen.has(v)) throw invalid(`key ${sig.name} signed the note twice`)
    if (!v.verify(parsed.text, sig.signature)) throw invalid(`the signature of key ${sig.name} does not verify`)
    seen.add(v)
  }
  if (seen.size === 0) throw invalid('no known key signed the note')
  return { text: parsed.text, verified: verifiers.filter((v) => seen.has(v)) }
}

function noteString(note: string | Uint8Array): string {
  if (typeof note === 'string') {
    // UTF-16 length is at most the UTF-8 length, so this bounds the work before encoding.
    if (note.length > MAX_NOTE_BYTES) throw invalid(`the note is larger than ${MAX_NOTE_BYTES} bytes`)
    if (!isWellFormed(note)) throw invalid('the note is not valid Unicode text')
    if (new TextEncoder().encode(note).length > MAX_NOTE_BYTES) {
      throw invalid(`the note is larger than ${MAX_NOTE_BYTES} bytes`)
    }
    return note
  }
  if (!isBytes(note)) throw new TypeError('"note" must be a string or a Uint8Array')
  if (note.length > MAX_NOTE_BYTES) throw invalid(`the note is larger than ${MAX_NOTE_BYTES} bytes`)
  try {
    // Strict UTF-8 (C2SP signed-note §Format: notes MUST be valid UTF-8); a BOM is kept as text, not skipped.
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(note)
  } catch (err) {
    throw invalid('the note is not valid UTF-8', err)
  }
}

/** No unpaired surrogates (they cannot be encoded as UTF-8). */
function isWellFormed(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1)
      if (!(d >= 0xdc00 && d <= 0xdfff)) return false
      i++
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      return false
    }
  }
  return true
}

function invalid(message: string, cause?: unknown): AuditError {
  return new AuditError('NOTE_INVALID', message, cause === undefined ? undefined : { cause })
}
