/**
 * Keyrings: a reader holding several identities (old and new keys across a rotation, or one per team) opens a
 * stream with whichever of them the stream names. The choice is made from the header's stanza fingerprints, which
 * are public, so trying keys costs no decryption and shows nothing an observer of the header does not see.
 * @module
 */
import { AuthError, FormatError, KeyError } from '../errors.js'
import { HARD_LIMITS } from '../format/constants.js'
import { parseHeader } from '../format/header.js'
import { peekHeader } from '../format/peek.js'
import { FrameSplitter } from '../format/reader.js'
import { Identity, importIdentity } from './identity.js'

/**
 * Most identities one keyring may hold: far above any rotation history, low enough to bound the search.
 *
 * @example
 * ```ts
 * import { MAX_KEYRING } from 'arrowseal'
 * console.log(MAX_KEYRING) // 1024
 * ```
 */
export const MAX_KEYRING = 1024

/**
 * Parses a keyring text: secret identity lines (`ASEAL-SECRET-KEY-1…`), one a line; blank lines and `#` comments
 * are ignored. A key listed twice is refused (a keyring that grew by copy and paste should be cleaned, not
 * guessed at). Errors name the line number, never its content.
 *
 * @example
 * ```ts
 * import { exportIdentity, generateIdentity, parseKeyring } from 'arrowseal'
 * const [old, current] = [await generateIdentity(), await generateIdentity()]
 * const ring = await parseKeyring(`# 2025 key\n${exportIdentity(old)}\n# 2026 key\n${exportIdentity(current)}\n`)
 * console.log(ring.length) // 2
 * ```
 */
export async function parseKeyring(text: string, where = 'keyring'): Promise<Identity[]> {
  if (typeof text !== 'string') throw new TypeError('parseKeyring: the text must be a string')
  const out: Identity[] = []
  const seen = new Set<string>()
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) continue
    if (out.length >= MAX_KEYRING) throw new KeyError(`${where}: more than ${MAX_KEYRING} identities`)
    let identity: Identity
    try {
      identity = await importIdentity(line)
    } catch (cause) {
      throw new KeyError(`${where}: line ${i + 1} is not a secret identity`, { cause })
    }
    if (seen.has(identity.keyId)) throw new KeyError(`${where}: line ${i + 1} repeats key ${identity.keyId}`)
    seen.add(identity.keyId)
    out.push(identity)
  }
  if (out.length === 0) throw new KeyError(`${where} contains no identity`)
  return out
}

/**
 * The first identity of `keyring` that the sealed stream's header names as a recipient. `header` may be the whole
 * stream or any prefix holding the whole header. Nothing is verified here: the chosen identity still goes through
 * every check of `openTable` / `OpenStream`.
 *
 * @throws AuthError `NOT_A_RECIPIENT` when no identity of the keyring is a recipient.
 * @throws FormatError when the bytes do not start with a well-formed header.
 * @example
 * ```ts
 * import { openTable, pickIdentity } from 'arrowseal'
 * declare const sealed: Uint8Array, keyring: import('arrowseal').Identity[], writerKey: string
 * const table = await openTable(sealed, { identity: pickIdentity(sealed, keyring), trustedSigners: [writerKey] })
 * ```
 */
export function pickIdentity(header: Uint8Array, keyring: readonly Identity[]): Identity {
  if (!(header instanceof Uint8Array)) throw new TypeError('pickIdentity: the header must be a Uint8Array')
  if (!Array.isArray(keyring) || keyring.length === 0 || !keyring.every((k) => k instanceof Identity))
    throw new TypeError('pickIdentity: the keyring must be a non-empty array of identities')
  const parsed = readHeader(header)
  for (const identity of keyring) {
    const mine = identity.publicKeyObject.fingerprint
    if (parsed.stanzas.some((s) => equal(s.fingerprint, mine))) return identity
  }
  throw new AuthError(
    'NOT_A_RECIPIENT',
    `none of the ${keyring.length} identities of this keyring is a recipient of the stream`,
  )
}

function readHeader(bytes: Uint8Array): ReturnType<typeof parseHeader> {
  const splitter = new FrameSplitter(HARD_LIMITS.maxFrameBytes)
  for (const piece of splitter.push(bytes)) if (piece.type === 'header') return parseHeader(piece.bytes)
  throw new FormatError('TRUNCATED', 'the bytes end before the header does')
}

/**
 * {@link pickIdentity} for a stream of sealed bytes: reads just enough chunks to hold the header (at most the
 * header limit, 16 MiB), picks the identity, and returns a stream that replays those chunks and then the rest, to
 * pipe into `OpenStream`.
 *
 * @example
 * ```ts
 * import { OpenStream, pickIdentityFromStream } from 'arrowseal'
 * declare const bytes: ReadableStream<Uint8Array>, keyring: import('arrowseal').Identity[], writerKey: string
 * const { identity, stream } = await pickIdentityFromStream(bytes, keyring)
 * const batches = stream.pipeThrough(new OpenStream({ identity, trustedSigners: [writerKey] }))
 * ```
 */
export async function pickIdentityFromStream(
  input: ReadableStream<Uint8Array>,
  keyring: readonly Identity[],
): Promise<{ identity: Identity; stream: ReadableStream<Uint8Array> }> {
  const { header, stream } = await peekHeader(input)
  const identity = pickIdentity(header, keyring)
  return { identity, stream }
}

/** Fingerprints are public, so a plain comparison is fine here. */
function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}
