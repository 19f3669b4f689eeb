/**
 * Imports a raw 32-byte X25519 or Ed25519 private key into a `node:crypto` KeyObject, the fastest way the
 * running Node allows, chosen once by probing with the RFC test vectors:
 *
 * - `raw-private` (Node 24): the direct import;
 * - JWK (RFC 8037) with a placeholder `x`: what Node 20 and 22 accept (they derive the public key from `d`);
 *   Node 24 checks `x` against `d` and throws `ERR_CRYPTO_INVALID_JWK`, which is the defect of issue 12;
 * - PKCS#8 DER (RFC 8410 §7): accepted everywhere, but ~400 µs per key on OpenSSL 3.0 (Node 20), so last.
 *
 * A method is taken only if the key it makes has the vector's public key, so a Node that accepted an import but
 * read it differently could not be used.
 *
 * @module
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto'

/** The two curves of RFC 8037 we import. */
export type OkpCurve = 'X25519' | 'Ed25519'

type Importer = (raw: Buffer, curve: OkpCurve) => KeyObject

// Node 20 and 22 ignore a private JWK's `x` and derive the public key from `d`.
const PLACEHOLDER_X = 'A'.repeat(43)
// RFC 8410 §7 PKCS#8 prefixes (version 0, the curve's OID, then the 32-byte key in an OCTET STRING).
const PKCS8_PREFIX: Record<OkpCurve, string> = {
  X25519: '302e020100300506032b656e04220420',
  Ed25519: '302e020100300506032b657004220420',
}

const METHODS: ReadonlyArray<readonly [string, Importer]> = [
  [
    'raw-private',
    (raw, curve) =>
      // `raw-private` is not in @types/node 20; the probe below decides whether this Node knows it.
      createPrivateKey({ key: raw, format: 'raw-private', asymmetricKeyType: curve.toLowerCase() } as never),
  ],
  [
    'jwk',
    (raw, curve) =>
      createPrivateKey({
        key: { kty: 'OKP', crv: curve, d: raw.toString('base64url'), x: PLACEHOLDER_X },
        format: 'jwk',
      }),
  ],
  [
    'pkcs8',
    (raw, curve) =>
      createPrivateKey({
        key: Buffer.concat([Buffer.from(PKCS8_PREFIX[curve], 'hex'), raw]),
        format: 'der',
        type: 'pkcs8',
      }),
  ],
]

// RFC 7748 §6.1 (Alice) and RFC 8032 §7.1 (TEST 1): private key → public key.
const PROBES: Record<OkpCurve, readonly [string, string]> = {
  X25519: [
    '77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a',
    '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a',
  ],
  Ed25519: [
    '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
    'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
  ],
}

/** The public key of `key` as raw bytes (JWK export is Node's fastest raw export). */
export function okpPublicBytes(key: KeyObject): Uint8Array {
  const { x } = createPublicKey(key).export({ format: 'jwk' })
  if (typeof x !== 'string') throw new Error('node:crypto exported no public key')
  return new Uint8Array(Buffer.from(x, 'base64url'))
}

function works([, importer]: readonly [string, Importer], curve: OkpCurve): boolean {
  const [secret, expected] = PROBES[curve]
  try {
    const pub = okpPublicBytes(importer(Buffer.from(secret, 'hex'), curve))
    return Buffer.from(pub).toString('hex') === expected
  } catch {
    return false
  }
}

const chosen = new Map<OkpCurve, readonly [string, Importer]>()

function method(curve: OkpCurve): readonly [string, Importer] {
  let m = chosen.get(curve)
  if (m === undefined) {
    m = METHODS.find((candidate) => works(candidate, curve))
    if (m === undefined) throw new Error(`node:crypto cannot import a raw ${curve} private key`)
    chosen.set(curve, m)
  }
  return m
}

/**
 * The name of the import method in use for `curve` on this Node (`'raw-private'`, `'jwk'` or `'pkcs8'`).
 *
 * @example
 * ```ts
 * okpImportMethod('X25519') // 'raw-private' on Node 24
 * ```
 */
export function okpImportMethod(curve: OkpCurve): string {
  return method(curve)[0]
}

/**
 * Imports a raw 32-byte private key (`bytes` is checked by the caller). The key bytes are copied by Node.
 *
 * @example
 * ```ts
 * const key = importOkpPrivate(scalar, 'X25519')
 * ```
 */
export function importOkpPrivate(bytes: Uint8Array, curve: OkpCurve): KeyObject {
  const raw = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  return method(curve)[1](raw, curve)
}
