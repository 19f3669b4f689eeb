/**
 * Writer sessions (format suite 2): the writer's long-term hybrid key certifies a short-lived Ed25519 key once,
 * and that key signs each stream's header. A fresh stream then costs one Ed25519 signature (tens of µs with
 * node:crypto) instead of an ML-DSA-65 one (6–10 ms); readers verify the certificate's hybrid signature once per
 * session and remember the result.
 *
 * The trade-off (docs/threat-model.md): a session-signed header's own signature is classical. The certificate is
 * hybrid, so nobody can mint a session without breaking both Ed25519 and ML-DSA-65; but whoever can forge
 * Ed25519 (a future quantum computer, say) can sign new headers under an existing session key. Readers that
 * need post-quantum authenticity for every stream set `sessions: 'reject'`, or `'current'` to bound the risk to
 * the session's validity window.
 *
 * @module
 */
import { ed25519 } from '@noble/curves/ed25519.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex, concatBytes } from '@noble/hashes/utils.js'
import { AuthError } from '../errors.js'
import { LABEL, MAX_SESSION_SECONDS } from '../format/constants.js'
import {
  certifiedBytes,
  checkSessionWindow,
  encodeCredential,
  SESSION_KEY_BYTES,
  type SessionCredential,
  sessionKeyId,
} from '../format/session.js'
import { assertBytes } from './assert.js'
import { Identity } from './identity.js'
import type { PublicKey } from './public-key.js'
import { type Ed25519, hybridVerify, nobleEd25519, type SignRng, signedMessage } from './sign.js'

const INTERNAL: unique symbol = Symbol('arrowseal.WriterSession')
const INSPECT = Symbol.for('nodejs.util.inspect.custom')
const DEFAULT_LIFETIME_SECONDS = 3600

/**
 * Options of {@link createWriterSession}.
 *
 * @example
 * ```ts
 * const options: WriterSessionOptions = { lifetimeSeconds: 15 * 60 }
 * ```
 */
export interface WriterSessionOptions {
  /** How long the session may sign streams, in seconds: 1 to 604,800 (7 days). Default 3,600 (one hour). */
  readonly lifetimeSeconds?: number
}

/**
 * A writer session: pass it as `signer` in place of the writer's {@link Identity} to sign stream headers with a
 * short-lived key that the identity certified once. The session's secret key exists only in this object (it is
 * never exported or stored), and `toString`, `toJSON` and `util.inspect` show only public facts.
 *
 * @example
 * ```ts
 * import { createWriterSession, sealTable } from 'arrowseal'
 * const session = await createWriterSession(writer, { lifetimeSeconds: 3600 })
 * const sealed = await sealTable(table, { signer: session, recipients, policy })
 * ```
 */
export class WriterSession {
  /** The writer's long-term public key (`aseal1…`): what readers list in `trustedSigners`. */
  readonly publicKey: string
  /** The writer's long-term public key, parsed. */
  readonly publicKeyObject: PublicKey
  /** Short display id of the writer's long-term key (as on {@link Identity}). */
  readonly keyId: string
  /** Short display id of the session key: hex of the first 8 bytes of its SHA-256. */
  readonly sessionKeyId: string
  /** Start of validity. */
  readonly notBefore: Date
  /** End of validity: the session refuses to sign after this instant. */
  readonly notAfter: Date
  /** The credential written into every header this session signs. */
  readonly credential: SessionCredential
  readonly #seed: Uint8Array

  /** @internal Use {@link createWriterSession}. */
  constructor(token: typeof INTERNAL, signer: Identity, seed: Uint8Array, credential: SessionCredential) {
    if (token !== INTERNAL) throw new TypeError('use createWriterSession() to create a WriterSession')
    this.publicKey = signer.publicKey
    this.publicKeyObject = signer.publicKeyObject
    this.keyId = signer.keyId
    this.#seed = seed
    this.credential = Object.freeze({ ...credential })
    this.sessionKeyId = sessionKeyId(credential.key)
    this.notBefore = new Date(credential.notBefore * 1000)
    this.notAfter = new Date(credential.notAfter * 1000)
    Object.freeze(this)
  }

  /**
   * Signs a suite-2 header: Ed25519 under the session key over the labelled message.
   *
   * @throws AuthError `SESSION_EXPIRED` after {@link WriterSession.notAfter} (by this machine's clock).
   * @example
   * ```ts
   * const signature = session.signHeader(signedPart) // 64 bytes
   * ```
   * @internal
   */
  signHeader(signed: Uint8Array, impl: Ed25519 = nobleEd25519, now: number = Date.now()): Uint8Array {
    if (now > this.notAfter.getTime()) {
      throw new AuthError(
        'SESSION_EXPIRED',
        'the writer session has expired; create a new one with createWriterSession',
      )
    }
    return impl.sign(this.#seed, signedMessage(LABEL.sessionHeaderSignature, signed))
  }

  /** Public facts only. */
  toString(): string {
    return `WriterSession(keyId=${this.keyId}, session=${this.sessionKeyId}, notAfter=${this.notAfter.toISOString()})`
  }
  /** Public facts only, so a session logged as JSON leaks nothing. */
  toJSON(): { type: 'WriterSession'; keyId: string; sessionKeyId: string; notBefore: string; notAfter: string } {
    return {
      type: 'WriterSession',
      keyId: this.keyId,
      sessionKeyId: this.sessionKeyId,
      notBefore: this.notBefore.toISOString(),
      notAfter: this.notAfter.toISOString(),
    }
  }
  [INSPECT](): string {
    return this.toString()
  }
}

/**
 * Deterministic construction for golden files and tests: session seed, start time and ML-DSA randomness given.
 *
 * @example
 * ```ts
 * const s = sessionFromSeed(writer, new Uint8Array(32).fill(7), 1_700_000_000, 3600)
 * ```
 * @internal
 */
export function sessionFromSeed(
  signer: Identity,
  seed: Uint8Array,
  notBefore: number,
  lifetimeSeconds: number,
  rng?: SignRng,
): WriterSession {
  if (!(signer instanceof Identity)) throw new TypeError('signer must be an Identity')
  assertBytes(seed, 'seed', 32)
  if (!Number.isSafeInteger(lifetimeSeconds) || lifetimeSeconds < 1 || lifetimeSeconds > MAX_SESSION_SECONDS) {
    throw new RangeError(`lifetimeSeconds must be an integer from 1 to ${MAX_SESSION_SECONDS}`)
  }
  const key = ed25519.getPublicKey(seed)
  const window = { key, notBefore, notAfter: notBefore + lifetimeSeconds }
  checkSessionWindow(window.notBefore, window.notAfter)
  const certificate = signer.sign(LABEL.sessionCredential, certifiedBytes(signer.fingerprint, window), rng)
  return new WriterSession(INTERNAL, signer, seed.slice(), { ...window, certificate })
}

/**
 * A session with an arbitrary credential, certified or not: what a forger could build for itself. Tests use it
 * to show that readers refuse certificates that do not verify; it grants nothing a reader would accept.
 *
 * @example
 * ```ts
 * const forged = sessionWithCredential(writer, mySeed, { ...real.credential, key: myKey })
 * ```
 * @internal
 */
export function sessionWithCredential(
  signer: Identity,
  seed: Uint8Array,
  credential: SessionCredential,
): WriterSession {
  assertBytes(seed, 'seed', 32)
  return new WriterSession(INTERNAL, signer, seed.slice(), credential)
}

/**
 * Starts a writer session: draws a random Ed25519 key and has `signer` certify it (one hybrid signature) for
 * `lifetimeSeconds` from now. Use one session for the many streams a writer seals in that time.
 *
 * @throws TypeError if `signer` is not an Identity; RangeError for a lifetime outside 1 s … 7 days.
 * @example
 * ```ts
 * import { createWriterSession, generateIdentity } from 'arrowseal'
 * const writer = await generateIdentity()
 * const session = await createWriterSession(writer, { lifetimeSeconds: 900 })
 * console.log(String(session)) // 'WriterSession(keyId=…, session=…, notAfter=…)'
 * ```
 */
export async function createWriterSession(
  signer: Identity,
  options: WriterSessionOptions = {},
): Promise<WriterSession> {
  const lifetime = options.lifetimeSeconds ?? DEFAULT_LIFETIME_SECONDS
  const seed = crypto.getRandomValues(new Uint8Array(SESSION_KEY_BYTES))
  try {
    return sessionFromSeed(signer, seed, Math.floor(Date.now() / 1000), lifetime)
  } finally {
    seed.fill(0)
  }
}

// Credentials that verified, by SHA-256 of (signer fingerprint ‖ credential): a reader that opens many streams of
// one session pays the hybrid verification (~2 ms) once. Bounded, and only successes are remembered.
const verified = new Map<string, true>()
const MAX_REMEMBERED = 256

/**
 * Whether `credential` is a valid certificate of its session key by `signer` (hybrid: both signatures must
 * verify). Remembers successes, so repeated streams of one session cost a hash, not a signature check.
 *
 * @example
 * ```ts
 * if (!verifyCredential(writer.publicKeyObject, header.session!)) throw new Error('forged session')
 * ```
 * @internal
 */
export function verifyCredential(
  signer: PublicKey,
  credential: SessionCredential,
  impl: Ed25519 = nobleEd25519,
): boolean {
  const fingerprint = signer.fingerprint
  const id = bytesToHex(sha256(concatBytes(fingerprint, encodeCredential(credential))))
  if (verified.has(id)) return true
  const ok = hybridVerify(
    signer,
    LABEL.sessionCredential,
    certifiedBytes(fingerprint, credential),
    credential.certificate,
    impl,
  )
  if (!ok) return false
  if (verified.size >= MAX_REMEMBERED) verified.delete(verified.keys().next().value!)
  verified.set(id, true)
  return true
}

/**
 * Verifies a suite-2 header signature under the session key of `credential`.
 *
 * @example
 * ```ts
 * verifySessionHeader(header.session!, header.signed, header.signature) // true or false
 * ```
 * @internal
 */
export function verifySessionHeader(
  credential: SessionCredential,
  signed: Uint8Array,
  signature: Uint8Array,
  impl: Ed25519 = nobleEd25519,
): boolean {
  return impl.verify(signature, signedMessage(LABEL.sessionHeaderSignature, signed), credential.key)
}
