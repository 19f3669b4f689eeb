/**
 * X25519 on `node:crypto` (OpenSSL): about 30× faster than pure JS, which makes it most of X-Wing's cost saving on
 * Node. Raw 32-byte public keys go in and out as JWK (RFC 8037), which Node imports far faster than DER; private
 * keys go in the fastest way the running Node accepts (`okp-key.ts`).
 *
 * @module
 */
import { createPublicKey, diffieHellman, generateKeyPairSync, type KeyObject } from 'node:crypto'
import { nonZero, type X25519 } from '../keys/xwing.js'
import { importOkpPrivate, okpPublicBytes } from './okp-key.js'

function check32(bytes: Uint8Array, name: string): void {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array`)
  if (bytes.length !== 32) throw new RangeError(`${name} must be 32 bytes, got ${bytes.length}`)
}

const b64url = (bytes: Uint8Array): string =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url')

// The import method is chosen per Node version (see okp-key.ts): a placeholder-`x` JWK fails on Node 24.
function privateKey(scalar: Uint8Array): KeyObject {
  check32(scalar, 'scalar')
  return importOkpPrivate(scalar, 'X25519')
}

function publicKey(u: Uint8Array): KeyObject {
  check32(u, 'u')
  return createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: b64url(u) }, format: 'jwk' })
}

/** A plain Uint8Array copy of a (possibly pooled) Buffer, so no caller can see unrelated pool bytes. */
function plain(buf: Uint8Array): Uint8Array {
  return new Uint8Array(buf)
}

/**
 * X25519 on `node:crypto`. Same results as the noble implementation on every input, including non-canonical
 * and small-order points (checked against Wycheproof in `test/node/x25519.test.ts`): OpenSSL masks bit 255 and
 * reduces mod p like RFC 7748 asks, and an all-zero result throws.
 *
 * @example
 * ```ts
 * import { nodeX25519 } from './x25519.js'
 * const pub = nodeX25519.scalarMultBase(crypto.getRandomValues(new Uint8Array(32)))
 * ```
 */
export const nodeX25519: X25519 = Object.freeze({
  name: 'node',
  scalarMultBase(scalar: Uint8Array): Uint8Array {
    return okpPublicBytes(privateKey(scalar))
  },
  scalarMult(scalar: Uint8Array, u: Uint8Array): Uint8Array {
    return agree(privateKey(scalar), u)
  },
  // One key generation instead of importing a drawn scalar twice (once per product): ~64 µs instead of ~100 on
  // Node 24, per sealed stanza and per gateway response. The secret stays inside the KeyObject.
  ephemeral(u: Uint8Array): { share: Uint8Array; shared: Uint8Array } {
    check32(u, 'u')
    const pair = generateKeyPairSync('x25519')
    const { x } = pair.publicKey.export({ format: 'jwk' })
    if (typeof x !== 'string') throw new Error('node:crypto exported no public key')
    return { share: new Uint8Array(Buffer.from(x, 'base64url')), shared: agree(pair.privateKey, u) }
  },
})

/** `X25519(key, u)` with an all-zero result refused. */
function agree(key: KeyObject, u: Uint8Array): Uint8Array {
  const peer = publicKey(u)
  let shared: Uint8Array
  try {
    shared = diffieHellman({ privateKey: key, publicKey: peer })
  } catch (cause) {
    // OpenSSL refuses an all-zero result itself; report it the way the noble implementation does.
    throw new Error('X25519: the peer share is a small-order point', { cause })
  }
  const out = plain(shared)
  shared.fill(0)
  return nonZero(out)
}
