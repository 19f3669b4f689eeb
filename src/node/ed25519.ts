/**
 * Ed25519 on `node:crypto` (OpenSSL): sign ~0.03 ms and verify ~0.07 ms, against ~0.6 ms and ~1.1 ms for the
 * pure-JS noble code that the hybrid signatures use today, so ~1.6 ms of a fresh stream's ~17 ms. Ready to be
 * injected into `hybridSign`/`hybridVerify` (see the report of issue 3): same signatures as noble (Ed25519 is
 * deterministic) and the same strict verification, checked on every Wycheproof case in
 * `test/node/ed25519.test.ts`. Raw 32-byte public keys go in as JWK, Node's fastest raw-key import; private keys as `okp-key.ts` decides.
 *
 * @module
 */
import { createPublicKey, type KeyObject, sign, verify } from 'node:crypto'
import { importOkpPrivate, okpPublicBytes } from './okp-key.js'

const b64url = (bytes: Uint8Array): string =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url')

function check(bytes: Uint8Array, name: string, length: number): void {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array`)
  if (bytes.length !== length) throw new RangeError(`${name} must be ${length} bytes, got ${bytes.length}`)
}

/**
 * Ed25519 (RFC 8032, pure) with raw keys, on `node:crypto`.
 *
 * @example
 * ```ts
 * import { nodeEd25519 } from './ed25519.js'
 * const sig = nodeEd25519.sign(seed, message)
 * nodeEd25519.verify(sig, message, nodeEd25519.publicKey(seed)) // true
 * ```
 */
export const nodeEd25519 = Object.freeze({
  name: 'node',
  /** The public key of a 32-byte secret seed. */
  publicKey(seed: Uint8Array): Uint8Array {
    return okpPublicBytes(privateKey(seed))
  },
  /** A 64-byte signature of `message` under the 32-byte secret seed. */
  sign(seed: Uint8Array, message: Uint8Array): Uint8Array {
    return new Uint8Array(sign(null, message, privateKey(seed)))
  },
  /**
   * Strict verification: false for a signature or key that is not exactly 64 / 32 bytes, a key that is not a
   * canonical point encoding, S ≥ L, or a signature that does not verify.
   */
  verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
    if (signature.length !== 64 || publicKey.length !== 32) return false
    let key: KeyObject
    try {
      key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64url(publicKey) }, format: 'jwk' })
      return verify(null, message, key, signature)
    } catch {
      return false
    }
  },
})

function privateKey(seed: Uint8Array): KeyObject {
  check(seed, 'seed', 32)
  // The import method is chosen per Node version (see okp-key.ts): a placeholder-`x` JWK fails on Node 24.
  return importOkpPrivate(seed, 'Ed25519')
}
