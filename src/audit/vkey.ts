/**
 * Note verifier keys and their text form, and the hybrid key of an arrowseal log.
 *
 * A verifier key ("vkey", as in Go's sumdb/note and C2SP signed-note) is `<name>+<key ID, 8 hex>+<base64(type ‖
 * public key)>`. Two types are understood:
 *
 * - `0x01`: Ed25519 (C2SP signed-note §Ed25519 signatures), 32-byte key, signature over the note text. Such a
 *   vkey is exactly what Go's `note.NewVerifier` accepts.
 * - `0xff ‖ "arrowseal/ml-dsa-65"`: ML-DSA-65 (FIPS 204) with context `"arrowseal/v1 signed-note"`, 1952-byte
 *   key. 0xff is the spec's byte for types it assigns no identifier, followed by a longer identifier.
 *
 * The key ID is `SHA-256(name ‖ 0x0A ‖ type ‖ public key)[:4]` for both. A **log key** is the pair of vkeys of one
 * arrowseal identity under the log's name, written on one line separated by a space: an Ed25519-only verifier
 * can take the first half; arrowseal requires both signatures. A witness policy later is a list of more vkeys.
 *
 * @module
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js'
import { AuditError } from '../errors.js'
import { ED25519_PUBLIC_KEY_LENGTH, MLDSA65_PUBLIC_KEY_LENGTH } from '../keys/constants.js'
import { NOTE_MLDSA_CONTEXT } from '../keys/identity.js'
import { PublicKey, parsePublicKey } from '../keys/public-key.js'
import { nobleEd25519 } from '../keys/sign.js'
import { base64Decode, base64Encode } from './base64.js'
import { isValidKeyName, type NoteVerifier } from './note.js'

/** The signature-type bytes of an Ed25519 note key (C2SP signed-note). */
export const NOTE_TYPE_ED25519: Uint8Array = new Uint8Array([0x01])
/** The signature-type bytes of arrowseal's ML-DSA-65 note key: 0xff then `"arrowseal/ml-dsa-65"`. */
export const NOTE_TYPE_MLDSA65: Uint8Array = new Uint8Array([0xff, ...new TextEncoder().encode('arrowseal/ml-dsa-65')])

const MAX_VKEY_LENGTH = 4096

/**
 * A note verifier parsed from, or printable as, a vkey.
 *
 * @example
 * ```ts
 * const v: VerifierKey = parseVerifierKey('PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW')
 * ```
 */
export interface VerifierKey extends NoteVerifier {
  readonly algorithm: 'ed25519' | 'ml-dsa-65'
  readonly publicKey: Uint8Array
  /** The vkey text `<name>+<id>+<base64(type ‖ key)>`. */
  readonly text: string
}

/**
 * The two keys a checkpoint of an arrowseal log must carry signatures from.
 *
 * @example
 * ```ts
 * const key: LogKey = logKey('example.com/audit', logIdentity.publicKeyObject)
 * await writeFile('audit.vkey', `${key.text}\n`)
 * ```
 */
export interface LogKey {
  readonly name: string
  readonly ed25519: VerifierKey
  readonly mldsa65: VerifierKey
  /** `<ed25519 vkey> <ml-dsa-65 vkey>`. */
  readonly text: string
}

/**
 * The note key ID: `SHA-256(name ‖ 0x0A ‖ type ‖ publicKey)[:4]` as a big-endian uint32.
 *
 * @example
 * ```ts
 * noteKeyId('PeterNeumann', NOTE_TYPE_ED25519, pk).toString(16) // 'c74f20a3'
 * ```
 */
export function noteKeyId(name: string, type: Uint8Array, publicKey: Uint8Array): number {
  const n = new TextEncoder().encode(name)
  const buf = new Uint8Array(n.length + 1 + type.length + publicKey.length)
  buf.set(n, 0)
  buf[n.length] = 0x0a
  buf.set(type, n.length + 1)
  buf.set(publicKey, n.length + 1 + type.length)
  const h = sha256(buf)
  return ((h[0]! << 24) | (h[1]! << 16) | (h[2]! << 8) | h[3]!) >>> 0
}

/**
 * A verifier key for a raw public key of either type under `name`.
 *
 * @throws RangeError on an invalid name or a key of the wrong length.
 * @example
 * ```ts
 * const v = verifierKey('example.com/log', 'ed25519', identity.publicKeyObject.ed25519)
 * ```
 */
export function verifierKey(name: string, algorithm: 'ed25519' | 'ml-dsa-65', publicKey: Uint8Array): VerifierKey {
  if (!isValidKeyName(name)) throw new RangeError('"name" must be non-empty, without spaces or "+"')
  const want = algorithm === 'ed25519' ? ED25519_PUBLIC_KEY_LENGTH : MLDSA65_PUBLIC_KEY_LENGTH
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== want) {
    throw new RangeError(`"publicKey" must be ${want} bytes`)
  }
  const type = algorithm === 'ed25519' ? NOTE_TYPE_ED25519 : NOTE_TYPE_MLDSA65
  const pk = publicKey.slice()
  const keyId = noteKeyId(name, type, pk)
  const data = new Uint8Array(type.length + pk.length)
  data.set(type, 0)
  data.set(pk, type.length)
  const text = `${name}+${keyId.toString(16).padStart(8, '0')}+${base64Encode(data)}`
  const verify =
    algorithm === 'ed25519'
      ? (t: string, sig: Uint8Array) => sig.length === 64 && nobleEd25519.verify(sig, new TextEncoder().encode(t), pk)
      : (t: string, sig: Uint8Array) => {
          if (sig.length !== ml_dsa65.lengths.signature) return false
          try {
            return ml_dsa65.verify(sig, new TextEncoder().encode(t), pk, { context: NOTE_MLDSA_CONTEXT })
          } catch {
            return false
          }
        }
  return Object.freeze({ name, keyId, algorithm, publicKey: pk, text, verify })
}

/**
 * Parse a vkey `<name>+<8 hex>+<base64(type ‖ key)>`. The key ID must match the key (as Go's sumdb/note checks).
 *
 * @throws AuditError `NOTE_INVALID` on any malformed, unknown-type or mismatched vkey.
 * @example
 * ```ts
 * const v = parseVerifierKey('PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW')
 * ```
 */
export function parseVerifierKey(text: string): VerifierKey {
  if (typeof text !== 'string') throw new TypeError('"text" must be a string')
  if (text.length > MAX_VKEY_LENGTH) throw bad('the verifier key is too long')
  const first = text.indexOf('+')
  const second = text.indexOf('+', first + 1)
  if (first < 0 || second < 0) throw bad('a verifier key is <name>+<key id>+<key data>')
  const name = text.slice(0, first)
  const idHex = text.slice(first + 1, second)
  if (!isValidKeyName(name)) throw bad('the verifier key has an invalid name')
  if (!/^[0-9a-f]{8}$/.test(idHex)) throw bad('the verifier key id is not 8 lowercase hex digits')
  const data = base64Decode(text.slice(second + 1))
  if (data === null) throw bad('the verifier key data is not base64')
  let v: VerifierKey
  if (data.length === 1 + ED25519_PUBLIC_KEY_LENGTH && data[0] === 0x01) {
    v = verifierKey(name, 'ed25519', data.subarray(1))
  } else if (
    data.length === NOTE_TYPE_MLDSA65.length + MLDSA65_PUBLIC_KEY_LENGTH &&
    NOTE_TYPE_MLDSA65.every((b, i) => data[i] === b)
  ) {
    v = verifierKey(name, 'ml-dsa-65', data.subarray(NOTE_TYPE_MLDSA65.length))
  } else {
    throw bad('the verifier key has an unknown type or length')
  }
  if (v.keyId !== Number.parseInt(idHex, 16)) throw bad('the verifier key id does not match its key')
  return v
}

/**
 * The log key of an arrowseal identity's public key under the log's name (normally its origin).
 *
 * @example
 * ```ts
 * const key = logKey('example.com/audit', identity.publicKeyObject)
 * console.log(key.text) // 'example.com/audit+…+AR… example.com/audit+…+/2Fy…'
 * ```
 */
export function logKey(name: string, publicKey: PublicKey | string): LogKey {
  const pk = typeof publicKey === 'string' ? parsePublicKey(publicKey) : publicKey
  if (!(pk instanceof PublicKey)) throw new TypeError('"publicKey" must be a PublicKey or public key text')
  const ed25519 = verifierKey(name, 'ed25519', pk.ed25519)
  const mldsa65 = verifierKey(name, 'ml-dsa-65', pk.mldsa65)
  return Object.freeze({ name, ed25519, mldsa65, text: `${ed25519.text} ${mldsa65.text}` })
}

/**
 * Parse a log key's text: an Ed25519 vkey and an arrowseal ML-DSA-65 vkey of the same name, one space apart.
 *
 * @throws AuditError `NOTE_INVALID` if it is anything else.
 * @example
 * ```ts
 * const key = parseLogKey(await readFile('log.vkey', 'utf8'))
 * ```
 */
export function parseLogKey(text: string): LogKey {
  if (typeof text !== 'string') throw new TypeError('"text" must be a string')
  const parts = text.trim().split(' ')
  if (parts.length !== 2) throw bad('a log key is two verifier keys separated by one space')
  const ed25519 = parseVerifierKey(parts[0]!)
  const mldsa65 = parseVerifierKey(parts[1]!)
  if (ed25519.algorithm !== 'ed25519' || mldsa65.algorithm !== 'ml-dsa-65') {
    throw bad('a log key is an Ed25519 verifier key followed by an ML-DSA-65 one')
  }
  if (ed25519.name !== mldsa65.name) throw bad('the two halves of the log key name different logs')
  return Object.freeze({ name: ed25519.name, ed25519, mldsa65, text: `${ed25519.text} ${mldsa65.text}` })
}

function bad(message: string): AuditError {
  return new AuditError('NOTE_INVALID', message)
}
