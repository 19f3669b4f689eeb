/**
 * Options of sealing and opening, and their validation at the public boundary.
 * @module
 */
import type { CryptoBackend } from '../aead/types.js'
import { KeyError, PolicyError } from '../errors.js'
import { DEFAULT_MAX_FRAME_BYTES, HARD_LIMITS, STREAM_ID_BYTES } from '../format/constants.js'
import { datasetProblem } from '../format/service.js'
import type { KeyAccessProvider } from '../kas/types.js'
import { Identity } from '../keys/identity.js'
import { type PublicKey, parsePublicKey } from '../keys/public-key.js'
import { WriterSession } from '../keys/session.js'
import type { Policy, Recipients } from '../policy/policy.js'
import { checkTokenOptions, type TokenOptions } from './tokenise.js'

/**
 * Options for {@link sealTable} and {@link SealStream}.
 *
 * @example
 * ```ts
 * import type { SealOptions } from 'arrowseal'
 * declare const writer: import('arrowseal').Identity, alice: string
 * const options: SealOptions = {
 *   signer: writer,
 *   recipients: { analysts: [alice] },
 *   policy: { fields: { id: 'public', amount: ['analysts'] }, default: 'drop' },
 * }
 * ```
 */
export interface SealOptions {
  /**
   * Who signs the header: the writer's identity (a hybrid Ed25519 + ML-DSA-65 signature per stream), or a
   * {@link WriterSession} it certified (one Ed25519 signature per stream; see `createWriterSession`). Readers
   * trust the identity's public key either way.
   */
  readonly signer: Identity | WriterSession
  /** Roles to public keys (`aseal1…`). Every key gets one stanza, whatever its number of roles. */
  readonly recipients: Recipients
  /** Which roles may read which fields. */
  readonly policy: Policy
  /**
   * Publish the names and types of sealed fields in the header (default false: only group count and sizes show).
   * Refused (`POLICY_INVALID`) when a sealed group carries schema-level or field metadata, which would be published.
   */
  readonly revealSchema?: boolean
  /**
   * Leave the recipients' key fingerprints out of the header (default false), so a party holding the bytes cannot
   * tell whose keys can open the stream, nor link streams by recipient. Readers then find their stanza by trial
   * decryption: up to one X-Wing decapsulation per recipient (about 1 ms each in JS, far less natively), so
   * opening costs grow with the recipient count. See docs/threat-model.md § Recipient privacy.
   */
  readonly anonymousRecipients?: boolean
  /** Compress each unit before sealing (default `'none'`). Compression leaks information through sizes. */
  readonly compression?: 'none' | 'deflate'
  /** AEAD and hash backend; default: node:crypto on Node (via the node export), WebCrypto, else noble. */
  readonly backend?: CryptoBackend
  /**
   * Merge consecutive batches smaller than this many rows before sealing (default: off; every batch becomes
   * its own frame). Each batch costs its own IPC messages, AEAD calls, frame hash and MACs, so streams of many
   * small batches seal and open faster merged. Rows and their order are unchanged, but readers receive the
   * merged batches, not the batches you wrote; a `SealStream` holds gathered batches back until they reach
   * this many rows (or about 16 MiB of column data) or the stream closes, which adds latency on a slow source.
   * Applies when every column is of a flat type (numbers, booleans, dates, times, timestamps, durations,
   * intervals, decimals, binary and UTF-8 strings) or dictionary-encoded; a merged batch never spans a change of
   * dictionary. Other streams are sealed batch by batch as written.
   */
  readonly minBatchRows?: number
  /**
   * The dataset (stream family) a key-access gateway grants access to, written into the header's service section
   * (0 … 256 bytes of UTF-8, no control characters). Used only when a recipient is a service
   * (`{ service, key }`); default `''`, the unnamed dataset, which a gateway treats as a dataset of its own.
   */
  readonly dataset?: string
  /**
   * The dataset and its token key, for policies with `tokens` (pseudonymised views). Every stream of a dataset
   * must be sealed with the same name and key so that its tokens join; the key never enters the stream.
   */
  readonly tokens?: TokenOptions
}

/**
 * What a reader does with streams signed by a writer session (see {@link OpenOptions.sessions}).
 *
 * @example
 * ```ts
 * const policy: SessionPolicy = 'current'
 * ```
 */
export type SessionPolicy = 'accept' | 'current' | 'reject'

/**
 * Options for {@link openTable} and {@link OpenStream}.
 *
 * @example
 * ```ts
 * import type { OpenOptions } from 'arrowseal'
 * declare const me: import('arrowseal').Identity, writerPublicKey: string
 * const options: OpenOptions = { identity: me, trustedSigners: [writerPublicKey] }
 * ```
 */
export interface OpenOptions {
  /** The reader's identity. It must be one of the stream's recipients. */
  readonly identity: Identity
  /** Public keys (`aseal1…` or parsed) of the writers whose streams this reader accepts. Must not be empty. */
  readonly trustedSigners: readonly (string | PublicKey)[]
  /**
   * Return fields the reader may not read as all-null columns instead of leaving them out. Only fields whose
   * name and type the stream reveals (`revealSchema`) can be returned this way; hidden ones stay invisible.
   */
  readonly includeDenied?: boolean
  /**
   * Streams signed by a writer session (format suite 2), whose header signature is Ed25519 under a short-lived
   * key that the trusted signer certified with a hybrid signature:
   * - `'accept'` (default): verify the certificate and the header signature; the session's validity window is
   *   not compared with the clock, so streams at rest stay readable after the session ends;
   * - `'current'`: also require this machine's clock to be inside the window (±5 minutes), so a session key
   *   that leaks or is broken later cannot sign streams this reader accepts;
   * - `'reject'`: accept only streams with their own hybrid signature (post-quantum authenticity per stream).
   */
  readonly sessions?: SessionPolicy
  /**
   * The stream id this reader expects (16 bytes, or 32 hex digits as `inspect` shows it). A stream with another
   * id is refused with `STREAM_UNEXPECTED` once its signature has verified, before any key is unwrapped. This
   * is how a reader detects whole-stream replay: an older stream of the same writer is validly signed and
   * internally intact, so only the reader can know it is not the stream it asked for. Take the id from where
   * you learnt which stream to fetch (a catalog, a manifest, a message key) through an authenticated channel.
   * See docs/concepts/zero-trust.md.
   */
  readonly expectedStreamId?: string | Uint8Array
  /** Largest frame this reader will buffer, in bytes (default 256 MiB, at most 1 GiB). */
  readonly maxFrameBytes?: number
  /**
   * Return only these top-level columns, in this order. Access groups holding none of them are not decrypted,
   * inflated or decoded at all (each frame is still authenticated whole). A name matches the first field of that
   * name; a name this reader cannot see is refused with `COLUMN_NOT_READABLE` once the header is verified.
   */
  readonly columns?: readonly string[]
  /**
   * Most bytes this reader inflates from one frame's deflate-compressed units together (default: `maxFrameBytes`,
   * so a compressed frame costs no more memory than an uncompressed one could; at most 1 GiB). Checked against
   * the units' authenticated sizes before any is inflated (`LIMIT_EXCEEDED`).
   */
  readonly maxInflatedFrameBytes?: number
  /**
   * Most bytes this reader inflates from the whole stream (default: 4 GiB for `openTable`, which holds every
   * batch; no limit for `OpenStream`, which holds one frame at a time). Checked before each frame is inflated
   * (`LIMIT_EXCEEDED`); `Infinity` turns it off. Uncompressed units do not count: their size is the input's.
   */
  readonly maxInflatedStreamBytes?: number
  /**
   * Most dictionary batches that extend (delta) or replace a dictionary already sent in the same unit, over the
   * whole stream (default 10,000; `Infinity` turns it off). This writer sends none; earlier versions sent one per
   * extra chunk of a dictionary, and each costs the reader a message to decode (`LIMIT_EXCEEDED`).
   */
  readonly maxDictionaryDeltas?: number
  /** AEAD and hash backend, as for sealing. */
  readonly backend?: CryptoBackend
  /**
   * Where to get group keys when this identity has no stanza of its own and the stream names key-access gateways
   * (service recipients): the opener calls `requestKeys` once per stream, checks every key it returns against the
   * header's key commitments, and then verifies each frame by its frame signature (format.md §Service
   * recipients). Without it such a reader gets `NOT_A_RECIPIENT`, whose message names the gateway.
   */
  readonly keyAccess?: KeyAccessProvider
  /**
   * The roles to ask a gateway for (default: every role of the first service the stream names). The request goes
   * to the first service whose entry lists all of them.
   */
  readonly keyAccessRoles?: readonly string[]
}

/** Default `maxInflatedStreamBytes` of `openTable`: the table it returns holds all of it in memory. */
export const DEFAULT_MAX_INFLATED_TABLE_BYTES = 4 * 1024 ** 3

/** Default `maxDictionaryDeltas`: this writer sends none; earlier ones one per extra dictionary chunk per unit. */
export const DEFAULT_MAX_DICTIONARY_DELTAS = 10_000

/**
 * The reader's limits on its writer's output, checked before the work they bound (format.md §Limits).
 *
 * @example
 * ```ts
 * const limits: ReaderLimits = checkOpenOptions(options).limits
 * ```
 * @internal
 */
export interface ReaderLimits {
  readonly maxInflatedFrameBytes: number
  readonly maxInflatedStreamBytes: number
  readonly maxDictionaryDeltas: number
}

/** Checks the caller's seal options; wrong types are TypeErrors (misuse), not data errors. */
export function checkSealOptions(options: SealOptions): void {
  if (typeof options !== 'object' || options === null) throw new TypeError('seal options must be an object')
  if (!(options.signer instanceof Identity) && !(options.signer instanceof WriterSession))
    throw new TypeError('options.signer must be an Identity (see generateIdentity/importIdentity) or a WriterSession')
  if (typeof options.recipients !== 'object' || options.recipients === null)
    throw new TypeError('options.recipients must be an object of role → public keys')
  if (typeof options.policy !== 'object' || options.policy === null)
    throw new TypeError('options.policy must be a policy object')
  if (options.revealSchema !== undefined && typeof options.revealSchema !== 'boolean')
    throw new TypeError('options.revealSchema must be a boolean')
  if (options.anonymousRecipients !== undefined && typeof options.anonymousRecipients !== 'boolean')
    throw new TypeError('options.anonymousRecipients must be a boolean')
  if (options.compression !== undefined && options.compression !== 'none' && options.compression !== 'deflate') {
    throw new TypeError("options.compression must be 'none' or 'deflate'")
  }
  const min = options.minBatchRows
  if (min !== undefined && !(Number.isSafeInteger(min) && min >= 0 && min <= HARD_LIMITS.maxRowsPerBatch))
    throw new TypeError(`options.minBatchRows must be an integer from 0 to ${HARD_LIMITS.maxRowsPerBatch}`)
  if (options.dataset !== undefined) {
    if (typeof options.dataset !== 'string') throw new TypeError('options.dataset must be a string')
    const why = datasetProblem(options.dataset)
    if (why) throw new PolicyError('POLICY_INVALID', `options.dataset ${why}`)
  }
  checkTokenOptions(options.tokens)
}

/** Checks the caller's open options and parses the trusted signer keys. */
export function checkOpenOptions(
  options: OpenOptions,
  defaultStreamInflation = Number.POSITIVE_INFINITY,
): {
  signers: PublicKey[]
  maxFrameBytes: number
  sessions: SessionPolicy
  expectedStreamId: Uint8Array | null
  limits: ReaderLimits
} {
  if (typeof options !== 'object' || options === null) throw new TypeError('open options must be an object')
  if (!(options.identity instanceof Identity))
    throw new TypeError('options.identity must be an Identity (see importIdentity)')
  if (!Array.isArray(options.trustedSigners) || options.trustedSigners.length === 0) {
    throw new TypeError(
      'options.trustedSigners must be a non-empty array of public keys: a reader must say whose data it trusts',
    )
  }
  const signers = options.trustedSigners.map((s, i) => {
    if (typeof s !== 'string') return s
    try {
      return parsePublicKey(s)
    } catch (cause) {
      throw new KeyError(`trustedSigners[${i}]: ${cause instanceof Error ? cause.message : 'not a public key'}`, {
        cause,
      })
    }
  })
  const maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES
  if (!Number.isSafeInteger(maxFrameBytes) || maxFrameBytes < 1 || maxFrameBytes > HARD_LIMITS.maxFrameBytes) {
    throw new RangeError(`options.maxFrameBytes must be an integer from 1 to ${HARD_LIMITS.maxFrameBytes}`)
  }
  const sessions = options.sessions ?? 'accept'
  if (sessions !== 'accept' && sessions !== 'current' && sessions !== 'reject') {
    throw new TypeError("options.sessions must be 'accept', 'current' or 'reject'")
  }
  const keyAccess = options.keyAccess
  if (
    keyAccess !== undefined &&
    (typeof keyAccess !== 'object' || keyAccess === null || typeof keyAccess.requestKeys !== 'function')
  )
    throw new TypeError('options.keyAccess must be a key-access provider (an object with requestKeys)')
  const roles = options.keyAccessRoles
  if (
    roles !== undefined &&
    (!Array.isArray(roles) || roles.length === 0 || !roles.every((r) => typeof r === 'string' && r.length > 0))
  )
    throw new TypeError('options.keyAccessRoles must be a non-empty array of role names')
  const limits: ReaderLimits = {
    maxInflatedFrameBytes: checkLimit(
      'maxInflatedFrameBytes',
      options.maxInflatedFrameBytes ?? maxFrameBytes,
      HARD_LIMITS.maxFrameBytes,
    ),
    maxInflatedStreamBytes: checkLimit(
      'maxInflatedStreamBytes',
      options.maxInflatedStreamBytes ?? defaultStreamInflation,
      Number.POSITIVE_INFINITY,
    ),
    maxDictionaryDeltas: checkLimit(
      'maxDictionaryDeltas',
      options.maxDictionaryDeltas ?? DEFAULT_MAX_DICTIONARY_DELTAS,
      Number.POSITIVE_INFINITY,
      0,
    ),
  }
  return { signers, maxFrameBytes, sessions, expectedStreamId: parseStreamId(options.expectedStreamId), limits }
}

/** A limit option: an integer from `min` to `max`, or Infinity where `max` is (no limit). Else caller misuse. */
function checkLimit(name: string, value: unknown, max: number, min = 1): number {
  const ok =
    typeof value === 'number' &&
    value >= min &&
    value <= max &&
    (Number.isSafeInteger(value) || value === Number.POSITIVE_INFINITY)
  if (!ok) {
    const upper = max === Number.POSITIVE_INFINITY ? 'a safe integer, or Infinity' : String(max)
    throw new RangeError(`options.${name} must be an integer from ${min} to ${upper}`)
  }
  return value
}

/** `expectedStreamId` as bytes: 16 bytes, or 32 hex digits (either case); anything else is caller misuse. */
function parseStreamId(value: string | Uint8Array | undefined): Uint8Array | null {
  if (value === undefined) return null
  if (value instanceof Uint8Array) {
    if (value.length !== STREAM_ID_BYTES)
      throw new RangeError(`options.expectedStreamId must be ${STREAM_ID_BYTES} bytes`)
    return value.slice()
  }
  if (typeof value !== 'string' || !/^[0-9a-fA-F]{32}$/.test(value))
    throw new TypeError('options.expectedStreamId must be 16 bytes or 32 hex digits')
  const out = new Uint8Array(STREAM_ID_BYTES)
  for (let i = 0; i < STREAM_ID_BYTES; i++) out[i] = Number.parseInt(value.slice(2 * i, 2 * i + 2), 16)
  return out
}

/**
 * Recipient keys by role, and which of the keys are gateways (by fingerprint hex) with their URL.
 *
 * @example
 * ```ts
 * const { keys, services } = parseRecipientKeys(parseRecipients(options.recipients))
 * ```
 */
export interface RecipientKeys {
  readonly keys: Record<string, PublicKey[]>
  readonly services: ReadonlyMap<string, string>
}

const fingerprintHex = (k: PublicKey): string =>
  Array.from(k.fingerprint, (b) => b.toString(16).padStart(2, '0')).join('')

/**
 * Parses every recipient key, naming the role and index of a bad one. One key is either a reader or a gateway
 * in one stream, and a gateway has one URL: a key named both ways, or with two URLs, is refused
 * (`POLICY_INVALID`) rather than guessed at.
 */
export function parseRecipientKeys(recipients: Recipients): RecipientKeys {
  const keys: Record<string, PublicKey[]> = Object.create(null)
  const services = new Map<string, string>()
  const direct = new Set<string>()
  for (const [role, entries] of Object.entries(recipients)) {
    keys[role] = entries.map((entry, i) => {
      const text = typeof entry === 'string' ? entry : entry.key
      let key: PublicKey
      try {
        key = parsePublicKey(text)
      } catch (cause) {
        throw new KeyError(`recipients.${role}[${i}]: ${cause instanceof Error ? cause.message : 'not a public key'}`, {
          cause,
        })
      }
      const id = fingerprintHex(key)
      if (typeof entry === 'string') direct.add(id)
      else {
        const known = services.get(id)
        if (known !== undefined && known !== entry.service)
          throw new PolicyError(
            'POLICY_INVALID',
            `recipients.${role}[${i}]: gateway key ${key.keyId} is named with two URLs (${known}, ${entry.service})`,
          )
        services.set(id, entry.service)
      }
      if (direct.has(id) && services.has(id))
        throw new PolicyError(
          'POLICY_INVALID',
          `recipients.${role}[${i}]: key ${key.keyId} is named both as a reader and as a gateway; use one or the other`,
        )
      return key
    })
  }
  return { keys, services }
}
