/**
 * Checkpoints: C2SP tlog-checkpoint bodies (https://c2sp.org/tlog-checkpoint) signed as C2SP signed notes by the
 * log's arrowseal identity, with an Ed25519 line **and** an ML-DSA-65 line under the log's name (its origin).
 *
 * ```
 * <origin>\n<tree size, decimal>\n<base64 root hash>\n[<extension line>\n…]
 * \n
 * — <origin> base64(Ed25519 key ID ‖ Ed25519 signature)\n
 * — <origin> base64(ML-DSA-65 key ID ‖ ML-DSA-65 signature)\n
 * [other lines, e.g. witness cosignatures: ignored]
 * ```
 *
 * A verifier that only knows the Ed25519 key (Go's sumdb/note, a C2SP witness) ignores the ML-DSA-65 line, as the
 * signed-note spec says to for unknown keys, and still accepts the note; arrowseal refuses a checkpoint unless both
 * lines verify, so forging one needs both Ed25519 and ML-DSA-65 broken.
 *
 * @module
 */
import { AuditError } from '../errors.js'
import type { Identity } from '../keys/identity.js'
import { PublicKey } from '../keys/public-key.js'
import type { Ed25519, SignRng } from '../keys/sign.js'
import { base64Decode, base64Encode } from './base64.js'
import { HASH_SIZE, verifyConsistency } from './merkle.js'
import { formatNote, isValidKeyName, openNote, parseNote } from './note.js'
import { type LogKey, logKey } from './vkey.js'

/**
 * A verified checkpoint.
 *
 * @example
 * ```ts
 * const cp: Checkpoint = await openCheckpoint(note, logPublicKey, { origin: 'example.com/audit' })
 * verifyInclusion(leafHash(entry), index, cp.size, proof, cp.root)
 * ```
 */
export interface Checkpoint {
  /** The log's origin line, which is also its key name. */
  readonly origin: string
  /** Number of leaves in the tree. */
  readonly size: number
  /** RFC 9162 root hash of the tree at `size`, 32 bytes (a copy per checkpoint). */
  readonly root: Uint8Array
  /** Extension lines, without newlines (C2SP tlog-checkpoint: opaque, not recommended). */
  readonly extensions: readonly string[]
  /** The whole signed note, as verified. */
  readonly note: string
}

/**
 * What a log signs.
 *
 * @example
 * ```ts
 * const body: CheckpointBody = { origin: 'example.com/audit', size: 0, root: emptyRoot() }
 * ```
 */
export interface CheckpointBody {
  readonly origin: string
  readonly size: number
  readonly root: Uint8Array
  readonly extensions?: readonly string[]
}

/**
 * Options of {@link openCheckpoint}.
 *
 * @example
 * ```ts
 * const options: OpenCheckpointOptions = { origin: 'example.com/audit', previous: lastCheckpoint, consistencyProof }
 * ```
 */
export interface OpenCheckpointOptions {
  /** The origin of the log you expect; a checkpoint of any other log is refused. */
  readonly origin: string
  /**
   * A checkpoint of the same log you already hold. A smaller size is refused (the log went back in time); the same
   * size with another root is refused (a split view).
   */
  readonly previous?: Checkpoint
  /** With `previous`: the consistency proof from `previous.size` to the new size, which must verify. */
  readonly consistencyProof?: readonly Uint8Array[]
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: the check is about control characters
const LINE_RE = /^[^\u0000-\u001f\u007f]+$/
const SIZE_RE = /^(?:0|[1-9][0-9]{0,15})$/

/**
 * Sign a checkpoint for the log whose key is `identity`: returns the note text.
 *
 * @throws RangeError / TypeError on an invalid origin, size, root or extension line.
 * @example
 * ```ts
 * import { generateIdentity, signCheckpoint } from 'arrowseal'
 * const log = await generateIdentity()
 * const note = await signCheckpoint({ origin: 'example.com/audit', size: 0, root: emptyRoot() }, log)
 * ```
 */
export async function signCheckpoint(body: CheckpointBody, identity: Identity): Promise<string> {
  return signCheckpointWith(body, identity)
}

/**
 * {@link signCheckpoint} with an injected ML-DSA randomness source (deterministic tests) and Ed25519 implementation
 * (the audit log's, `node:crypto`'s on the gateway: the same signature, deterministic); not exported by the
 * package entry.
 *
 * @example
 * ```ts
 * const note = await signCheckpointWith(body, identity, seededRandom(1))
 * ```
 * @internal
 */
export async function signCheckpointWith(
  body: CheckpointBody,
  identity: Identity,
  rng?: SignRng,
  ed25519?: Ed25519,
): Promise<string> {
  const { origin, size, root } = body
  const extensions = body.extensions ?? []
  if (!isValidKeyName(origin)) throw new RangeError('"origin" must be non-empty, without spaces, "+" or controls')
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError('"size" must be a safe non-negative integer')
  if (!(root instanceof Uint8Array) || root.length !== HASH_SIZE) throw new RangeError('"root" must be 32 bytes')
  if (!Array.isArray(extensions)) throw new TypeError('"extensions" must be an array of strings')
  for (const e of extensions) {
    if (typeof e !== 'string' || !LINE_RE.test(e)) {
      throw new RangeError('each extension line must be a non-empty string without newlines or controls')
    }
  }
  const text = `${origin}\n${size}\n${base64Encode(root)}\n${extensions.map((e) => `${e}\n`).join('')}`
  const key = logKey(origin, identity.publicKeyObject)
  const sig = identity.signNote(text, rng, ed25519)
  return formatNote(text, [
    { name: origin, keyId: key.ed25519.keyId, signature: sig.ed25519 },
    { name: origin, keyId: key.mldsa65.keyId, signature: sig.mldsa65 },
  ])
}

/**
 * Verify a checkpoint note from the log `origin`: both the Ed25519 and the ML-DSA-65 signature of the log key must
 * verify; other signature lines are ignored.
 *
 * @param key - the log's public key (`aseal1…` text or a {@link PublicKey}), or its {@link LogKey} (vkeys).
 * @throws AuditError `CHECKPOINT_INVALID` for another log's checkpoint, a malformed body, a size regression or a
 *   split view; `NOTE_INVALID` for a malformed note or a signature that is missing or does not verify;
 *   `PROOF_INVALID` if `consistencyProof` does not verify.
 * @example
 * ```ts
 * import { openCheckpoint } from 'arrowseal'
 * const cp = await openCheckpoint(noteText, logPublicKey, { origin: 'example.com/audit', previous })
 * console.log(cp.size)
 * ```
 */
export async function openCheckpoint(
  note: string | Uint8Array,
  key: LogKey | PublicKey | string,
  options: OpenCheckpointOptions,
): Promise<Checkpoint> {
  if (options === null || typeof options !== 'object') throw new TypeError('"options" must be an object')
  const { origin, previous } = options
  if (!isValidKeyName(origin)) throw new RangeError('"origin" must be non-empty, without spaces, "+" or controls')
  const lk = typeof key === 'string' || key instanceof PublicKey ? logKey(origin, key) : key
  if (lk === null || typeof lk !== 'object' || !('ed25519' in lk) || !('mldsa65' in lk)) {
    throw new TypeError('"key" must be a PublicKey, public key text or a LogKey')
  }
  if (lk.name !== origin) throw new RangeError(`the log key names "${lk.name}", not the origin "${origin}"`)
  // Refuse another log's checkpoint by name before spending time on signatures (the name is not trusted; it is
  // only compared, and an equal name still has to be signed by this log's key below).
  const unverified = parseNote(note)
  const firstLine = unverified.text.slice(0, unverified.text.indexOf('\n'))
  if (firstLine !== origin) throw new AuditError('CHECKPOINT_INVALID', 'the checkpoint is for another log (origin)')
  const { text, verified } = openNote(note, [lk.ed25519, lk.mldsa65])
  if (verified.length !== 2) {
    const missing = verified.includes(lk.ed25519) ? 'ML-DSA-65' : 'Ed25519'
    throw new AuditError('NOTE_INVALID', `the checkpoint lacks the log's ${missing} signature`)
  }
  const cp = parseBody(text, typeof note === 'string' ? note : new TextDecoder().decode(note))
  if (previous !== undefined) checkAgainst(cp, previous, options.consistencyProof)
  return cp
}

function parseBody(text: string, note: string): Checkpoint {
  // C2SP tlog-checkpoint §Note text: at least three non-empty lines, each ending in a newline.
  const lines = text.slice(0, -1).split('\n')
  if (lines.length < 3) throw bad('the checkpoint has fewer than three lines')
  for (const l of lines) if (l.length === 0) throw bad('the checkpoint has an empty line')
  const [origin, sizeText, rootText, ...extensions] = lines as [string, string, string, ...string[]]
  // Decimal, no leading zeros; ≤ 16 digits keeps the value exact before the safe-integer check.
  if (!SIZE_RE.test(sizeText)) throw bad('the tree size is not a decimal number without leading zeros')
  const size = Number(sizeText)
  if (!Number.isSafeInteger(size)) throw bad('the tree size is larger than 2^53 - 1')
  const root = base64Decode(rootText)
  if (root === null || root.length !== HASH_SIZE) throw bad('the root hash is not base64 of 32 bytes')
  return Object.freeze({ origin, size, root, extensions: Object.freeze(extensions), note })
}

function checkAgainst(cp: Checkpoint, previous: Checkpoint, proof: readonly Uint8Array[] | undefined): void {
  if (previous.origin !== cp.origin) throw new RangeError('"previous" is a checkpoint of another log')
  if (cp.size < previous.size) {
    throw bad(`tree size went back from ${previous.size} to ${cp.size}: the log rewrote history`)
  }
  if (cp.size === previous.size) {
    verifyOrSplit(() => verifyConsistency(previous.size, cp.size, previous.root, cp.root, []))
    return
  }
  if (proof !== undefined) verifyConsistency(previous.size, cp.size, previous.root, cp.root, proof)
}

function verifyOrSplit(fn: () => void): void {
  try {
    fn()
  } catch (err) {
    throw new AuditError('CHECKPOINT_INVALID', 'two checkpoints of the same size have different roots (split view)', {
      cause: err,
    })
  }
}

function bad(message: string): AuditError {
  return new AuditError('CHECKPOINT_INVALID', message)
}
