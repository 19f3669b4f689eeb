/**
 * ML-DSA-65 (FIPS 204) and ML-KEM-768 (FIPS 203) on `node:crypto`, where the running Node has them (Node 24,
 * OpenSSL 3.5), and X-Wing (draft-connolly-cfrg-xwing-kem §5) composed from native ML-KEM-768, native X25519
 * and SHA3-256. About ten times faster than `@noble/post-quantum`, which stays the fallback (Node 20/22 and
 * browsers). Keys come from the same seeds as noble's (ML-DSA's 32-byte ξ, ML-KEM's 64-byte d ‖ z), so public
 * keys are byte-identical across backends; `test/node/pq.test.ts` checks that and interoperation both ways.
 *
 * Detection is at run time: the backend is used only if a probe keygen gives noble's public keys for a fixed
 * seed. `ARROWSEAL_PQ_BACKEND=noble|native` forces one (`native` throws where the runtime lacks it).
 *
 * {@link nativeProvider} adapts it to the key layer's provider seam (src/keys/pq.ts), which the Node entry
 * installs at import (src/node/install-pq.ts), so `Identity`, `hybridVerify`, session certificates and HPKE use it.
 *
 * @module
 */
import * as nodeCrypto from 'node:crypto'
import { createPrivateKey, createPublicKey, type KeyObject, sign, verify } from 'node:crypto'
import { shake256 } from '@noble/hashes/sha3.js'
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js'
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js'
import { ArrowSealError } from '../errors.js'
import type { MlDsaKey, MlKemKey, PostQuantum } from '../keys/pq.js'
import { combine } from '../keys/xwing.js'
import { cachedPublicKey } from './public-key-cache.js'
import { nodeX25519 } from './x25519.js'

const MLKEM_PK = 1184
const MLKEM_CT = 1088

// Node 24's KEM functions and raw key formats are newer than @types/node 20: typed here as Node 24 documents
// them (absent on older Nodes, which the probe below detects).
interface Kem {
  encapsulate?: (key: KeyObject) => { sharedKey: Buffer; ciphertext: Buffer }
  decapsulate?: (key: KeyObject, ciphertext: Uint8Array) => Buffer
}
const kem = nodeCrypto as unknown as Kem
function kemFn<K extends keyof Kem>(name: K): NonNullable<Kem[K]> {
  const fn = kem[name]
  if (fn === undefined) throw new ArrowSealError('BACKEND_UNAVAILABLE', `node:crypto has no ${name}()`)
  return fn
}
type RawKeyInput = { key: Buffer; format: 'raw-seed' | 'raw-public'; asymmetricKeyType: string }
const privateFromSeed = (seed: Uint8Array, type: string): KeyObject =>
  createPrivateKey({
    key: Buffer.from(seed),
    format: 'raw-seed',
    asymmetricKeyType: type,
  } satisfies RawKeyInput as never)
const importPublic = (raw: Uint8Array, type: string): KeyObject =>
  createPublicKey({
    key: Buffer.from(raw),
    format: 'raw-public',
    asymmetricKeyType: type,
  } satisfies RawKeyInput as never)
// Recipients' and trusted signers' keys repeat across streams: import each once (src/node/public-key-cache.ts).
const publicFromRaw = (raw: Uint8Array, type: string): KeyObject =>
  cachedPublicKey(raw, type, () => importPublic(raw, type))
const rawPublic = (key: KeyObject): Uint8Array =>
  new Uint8Array(createPublicKey(key).export({ format: 'raw-public' } as never) as unknown as Buffer)

/**
 * Native post-quantum operations. Secret keys are KeyObjects made from seeds; inputs are checked by callers
 * (the key layer) as for noble.
 *
 * @example
 * ```ts
 * const pq = nativePostQuantum()
 * if (pq) { const sig = pq.mldsaSign(pq.mldsaKey(xi), message) }
 * ```
 */
export interface NativePostQuantum {
  readonly name: 'native'
  /** ML-DSA-65 private key from the 32-byte seed ξ (FIPS 204 KeyGen_internal). */
  mldsaKey(seed: Uint8Array): KeyObject
  /** The 1952-byte public key of an ML-DSA-65 private key. */
  mldsaPublicKey(key: KeyObject): Uint8Array
  /** Hedged ML-DSA-65 signature (3309 bytes), empty context. */
  mldsaSign(key: KeyObject, message: Uint8Array): Uint8Array
  /**
   * Hedged ML-DSA-65 signature with a FIPS 204 context string (signed notes: audit checkpoints), or undefined
   * where this Node's `crypto.sign` does not take a `context` (then noble signs).
   */
  mldsaSignWithContext(key: KeyObject, message: Uint8Array, context: Uint8Array): Uint8Array | undefined
  /** ML-DSA-65 verification, empty context; false on any malformed key or signature. */
  mldsaVerify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean
  /** ML-KEM-768 private key from the 64-byte seed d ‖ z (FIPS 203 ML-KEM.KeyGen_internal). */
  mlkemKey(seed: Uint8Array): KeyObject
  /** X-Wing key generation from the 32-byte seed (draft §5.2): the 1216-byte public key and the secret parts. */
  xwingKeygen(seed: Uint8Array): { publicKey: Uint8Array; mlkem: KeyObject; x25519Secret: Uint8Array }
  /** X-Wing encapsulation (draft §5.4) to a 1216-byte public key, with fresh randomness. */
  xwingEncapsulate(publicKey: Uint8Array): { cipherText: Uint8Array; sharedSecret: Uint8Array }
  /** X-Wing decapsulation (draft §5.5). */
  xwingDecapsulate(
    cipherText: Uint8Array,
    secret: { publicKey: Uint8Array; mlkem: KeyObject; x25519Secret: Uint8Array },
  ): Uint8Array
}

/** Whether `crypto.sign` took a `context` (undefined: not tried yet). Checked on first use, then fixed. */
let contextSigning: boolean | undefined

const native: NativePostQuantum = Object.freeze({
  name: 'native' as const,
  mldsaKey: (seed: Uint8Array) => privateFromSeed(seed, 'ml-dsa-65'),
  mldsaPublicKey: rawPublic,
  mldsaSign: (key: KeyObject, message: Uint8Array) => new Uint8Array(sign(null, message, key)),
  mldsaSignWithContext(key: KeyObject, message: Uint8Array, context: Uint8Array): Uint8Array | undefined {
    if (contextSigning === false) return undefined
    try {
      const sig = new Uint8Array(sign(null, message, { key, context } as Parameters<typeof sign>[2]))
      contextSigning = true
      return sig
    } catch (err) {
      // Only the first call may find the option unsupported; after one success an error is a real one.
      if (contextSigning === true) throw err
      contextSigning = false
      return undefined
    }
  },
  mldsaVerify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
    try {
      return verify(null, message, publicFromRaw(publicKey, 'ml-dsa-65'), signature)
    } catch {
      return false
    }
  },
  mlkemKey: (seed: Uint8Array) => privateFromSeed(seed, 'ml-kem-768'),
  xwingKeygen(seed: Uint8Array) {
    const expanded = shake256(seed, { dkLen: 96 })
    const mlkem = privateFromSeed(expanded.subarray(0, 64), 'ml-kem-768')
    const x25519Secret = expanded.slice(64, 96)
    expanded.fill(0)
    const publicKey = new Uint8Array(MLKEM_PK + 32)
    publicKey.set(rawPublic(mlkem), 0)
    publicKey.set(nodeX25519.scalarMultBase(x25519Secret), MLKEM_PK)
    return { publicKey, mlkem, x25519Secret }
  },
  xwingEncapsulate(publicKey: Uint8Array) {
    // FIPS 203 §7.2's encapsulation-key check is done by OpenSSL's import (it rejects a key failing it).
    const pkM = publicFromRaw(publicKey.subarray(0, MLKEM_PK), 'ml-kem-768')
    const pkX = publicKey.subarray(MLKEM_PK)
    const ek = crypto.getRandomValues(new Uint8Array(32))
    try {
      const ctX = nodeX25519.scalarMultBase(ek)
      const ssX = nodeX25519.scalarMult(ek, pkX)
      const { sharedKey, ciphertext } = kemFn('encapsulate')(pkM)
      const sharedSecret = combine(sharedKey, ssX, ctX, pkX)
      sharedKey.fill(0)
      ssX.fill(0)
      const cipherText = new Uint8Array(MLKEM_CT + 32)
      cipherText.set(ciphertext, 0)
      cipherText.set(ctX, MLKEM_CT)
      return { cipherText, sharedSecret }
    } finally {
      ek.fill(0)
    }
  },
  xwingDecapsulate(
    cipherText: Uint8Array,
    secret: { publicKey: Uint8Array; mlkem: KeyObject; x25519Secret: Uint8Array },
  ) {
    const ctM = cipherText.subarray(0, MLKEM_CT)
    const ctX = cipherText.subarray(MLKEM_CT)
    const ssX = nodeX25519.scalarMult(secret.x25519Secret, ctX)
    const ssM = kemFn('decapsulate')(secret.mlkem, ctM)
    const ss = combine(ssM, ssX, ctX, secret.publicKey.subarray(MLKEM_PK))
    ssM.fill(0)
    ssX.fill(0)
    return ss
  },
})

/** True if native keygen works here and gives noble's public keys for a fixed seed (same seeds, same keys). */
function probe(): boolean {
  try {
    const xi = new Uint8Array(32).fill(7)
    const dz = new Uint8Array(64).fill(9)
    const dsaOk = equal(native.mldsaPublicKey(native.mldsaKey(xi)), ml_dsa65.keygen(xi).publicKey)
    const kemOk = equal(rawPublic(native.mlkemKey(dz)), ml_kem768.keygen(dz).publicKey)
    return dsaOk && kemOk
  } catch {
    return false
  }
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}

/** Which post-quantum implementation to use: `'auto'` (native where available), or forced. */
export type PqBackendChoice = 'auto' | 'native' | 'noble'

let probed: boolean | undefined

/**
 * The native post-quantum backend, or `undefined` where noble must be used: the runtime lacks it, or
 * `choice` (default: `ARROWSEAL_PQ_BACKEND`, else `'auto'`) is `'noble'`.
 *
 * @throws ArrowSealError `BACKEND_UNAVAILABLE` if `'native'` is forced where the runtime lacks it, or the choice is
 *   not one of the three.
 * @example
 * ```ts
 * const pq = nativePostQuantum() // undefined on Node 20
 * ```
 */
export function nativePostQuantum(
  choice: string = process.env['ARROWSEAL_PQ_BACKEND'] ?? 'auto',
): NativePostQuantum | undefined {
  if (choice !== 'auto' && choice !== 'native' && choice !== 'noble') {
    throw new ArrowSealError(
      'BACKEND_UNAVAILABLE',
      `post-quantum backend must be auto, native or noble, got "${choice}"`,
    )
  }
  if (choice === 'noble') return undefined
  probed ??= probe()
  if (probed) return native
  if (choice === 'native') {
    throw new ArrowSealError(
      'BACKEND_UNAVAILABLE',
      `this runtime (Node ${process.versions.node}) has no native ML-DSA-65/ML-KEM-768`,
    )
  }
  return undefined
}

/**
 * The name of the post-quantum backend `nativePostQuantum(choice)` selects: `'native'` or `'noble'`.
 *
 * @example
 * ```ts
 * pqBackendName() // 'native' on Node 24, 'noble' on Node 20
 * ```
 */
export function pqBackendName(choice?: string): 'native' | 'noble' {
  return nativePostQuantum(choice) === undefined ? 'noble' : 'native'
}

/**
 * The native backend as the key layer's post-quantum provider. Signing with injected randomness goes to noble
 * (node:crypto cannot take FIPS 204's `rnd`), from a noble key expanded on first such use: golden files and other
 * deterministic outputs stay byte-identical on every runtime.
 *
 * @example
 * ```ts
 * const pq = nativePostQuantum()
 * if (pq) installPostQuantum(nativeProvider(pq))
 * ```
 * @internal
 */
export function nativeProvider(pq: NativePostQuantum): PostQuantum {
  return Object.freeze({
    name: pq.name,
    mldsaKeygen(seed: Uint8Array): MlDsaKey {
      const key = pq.mldsaKey(seed)
      // The caller wipes its seed; this copy lives only for the deterministic-signing fallback.
      const xi = seed.slice()
      let nobleSecret: Uint8Array | undefined
      return Object.freeze({
        publicKey: pq.mldsaPublicKey(key),
        sign(message: Uint8Array, rnd?: Uint8Array): Uint8Array {
          if (rnd === undefined) return pq.mldsaSign(key, message)
          nobleSecret ??= ml_dsa65.keygen(xi).secretKey
          return ml_dsa65.sign(message, nobleSecret, { extraEntropy: rnd })
        },
        signWithContext(message: Uint8Array, context: Uint8Array, rnd?: Uint8Array): Uint8Array {
          // Native when the caller wants fresh randomness: the gateway signs a checkpoint per group commit, and
          // noble's ML-DSA costs ~10× OpenSSL's there (a reproducible rnd still needs noble).
          const sig = rnd === undefined ? pq.mldsaSignWithContext(key, message, context) : undefined
          if (sig !== undefined) return sig
          nobleSecret ??= ml_dsa65.keygen(xi).secretKey
          return ml_dsa65.sign(message, nobleSecret, { context, ...(rnd === undefined ? {} : { extraEntropy: rnd }) })
        },
      })
    },
    mldsaVerify: (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array) =>
      pq.mldsaVerify(signature, message, publicKey),
    mlkemKeygen(seed: Uint8Array): MlKemKey {
      const key = pq.mlkemKey(seed)
      return Object.freeze({
        publicKey: rawPublic(key),
        decapsulate: (cipherText: Uint8Array) => plainCopy(kemFn('decapsulate')(key, cipherText)),
      })
    },
    mlkemEncapsulate(publicKey: Uint8Array) {
      const { sharedKey, ciphertext } = kemFn('encapsulate')(publicFromRaw(publicKey, 'ml-kem-768'))
      const out = { cipherText: plainCopy(ciphertext), sharedSecret: plainCopy(sharedKey) }
      sharedKey.fill(0)
      return out
    },
  })
}

/** A plain Uint8Array copy of a Buffer (which may be a view of Node's shared pool), the original wiped. */
function plainCopy(buf: Uint8Array): Uint8Array {
  const out = new Uint8Array(buf)
  buf.fill(0)
  return out
}
