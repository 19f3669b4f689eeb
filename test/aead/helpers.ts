// Shared fixtures for the AEAD backend tests: every backend, built fresh, plus small byte helpers.
import { nobleBackend } from '../../src/aead/noble.js'
import type { CryptoBackend } from '../../src/aead/types.js'
import { webCryptoBackend } from '../../src/aead/webcrypto.js'
import { AUTH_FAILED_MESSAGE, AuthError } from '../../src/errors.js'
import { nodeBackend } from '../../src/node/backend.js'

export function allBackends(): CryptoBackend[] {
  return [nodeBackend(), webCryptoBackend(), nobleBackend()]
}

export const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'))
export const toHex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')

export function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length)
  out.set(a)
  out.set(b, a.length)
  return out
}

/** Values that are not a Uint8Array; every byte argument must refuse each with TypeError. */
export const NOT_BYTES: unknown[] = [
  undefined,
  null,
  0,
  'abc',
  [1, 2, 3],
  {},
  { length: 12 },
  new ArrayBuffer(32),
  new Uint16Array(16),
  new Int8Array(32),
  new DataView(new ArrayBuffer(32)),
]

/** Asserts `p` rejects with exactly the shared AUTH_FAILED error: same class, code and message, no cause. */
export async function expectAuthFailed(p: Promise<unknown>): Promise<void> {
  let caught: unknown
  try {
    await p
  } catch (err) {
    caught = err
  }
  if (!(caught instanceof AuthError)) throw new Error(`expected AuthError, got ${String(caught)}`)
  if (caught.code !== 'AUTH_FAILED') throw new Error(`expected AUTH_FAILED, got ${caught.code}`)
  if (caught.message !== AUTH_FAILED_MESSAGE) throw new Error(`unexpected message ${caught.message}`)
  if (caught.cause !== undefined) throw new Error('AUTH_FAILED must carry no cause')
}

/** A Uint8Array that reports `byteLength` as `fake`, to test size limits without allocating 4 GiB. */
export function withFakeLength(bytes: Uint8Array, fake: number): Uint8Array {
  Object.defineProperty(bytes, 'byteLength', { value: fake })
  Object.defineProperty(bytes, 'length', { value: fake })
  return bytes
}
