/**
 * The post-quantum provider seam: where ML-DSA-65 (FIPS 204) key generation, signing and verification and
 * ML-KEM-768 (FIPS 203) key generation, decapsulation and fresh encapsulation come from. The core uses
 * `@noble/post-quantum` ({@link noblePostQuantum}); the Node entry installs the `node:crypto` provider at import
 * where the runtime has it (Node 24) and `ARROWSEAL_PQ_BACKEND` does not say `noble` (src/node/pq.ts).
 *
 * Why a process-wide provider and not a value threaded through each call like the X25519 and Ed25519 of a
 * `Runtime`: signatures and decapsulation happen inside `Identity`, `WriterSession` certificates and HPKE, which
 * any caller reaches directly, so only a default set once per process gives every one of them the fast path.
 * Both providers compute the same function (same seeds give the same public keys, checked by a probe before
 * the native one is installed), so which one is in use never changes what verifies.
 *
 * Deterministic paths stay on noble whatever is installed: signing with injected randomness (golden files) and
 * X-Wing encapsulation with an injected `eseed`, because `node:crypto` takes neither.
 *
 * @module
 */
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js'
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js'

/**
 * An ML-DSA-65 signing key made from its 32-byte seed ξ. Secret: held inside an `Identity`.
 *
 * @example
 * ```ts
 * const key: MlDsaKey = postQuantum().mldsaKeygen(xi)
 * const sig = key.sign(message) // 3309 bytes, hedged, empty context
 * ```
 * @internal
 */
export interface MlDsaKey {
  /** The 1952-byte public key. */
  readonly publicKey: Uint8Array
  /**
   * Hedged ML-DSA-65 signature of `message`, empty context. With `rnd` (32 bytes, deterministic tests only) the
   * signature is FIPS 204's for that randomness, which only noble can compute: providers fall back to it.
   */
  sign(message: Uint8Array, rnd?: Uint8Array): Uint8Array
  /** As `sign` with a FIPS 204 context string (≤ 255 bytes): signed notes (audit checkpoints). */
  signWithContext(message: Uint8Array, context: Uint8Array, rnd?: Uint8Array): Uint8Array
}

/**
 * An ML-KEM-768 decapsulation key made from its 64-byte seed `d ‖ z`. Secret: held inside an `Identity`.
 *
 * @example
 * ```ts
 * const kem: MlKemKey = postQuantum().mlkemKeygen(dz)
 * const ss = kem.decapsulate(cipherText)
 * ```
 * @internal
 */
export interface MlKemKey {
  /** The 1184-byte encapsulation key. */
  readonly publicKey: Uint8Array
  /** FIPS 203 ML-KEM.Decaps (implicit rejection: a wrong ciphertext gives an unrelated secret). */
  decapsulate(cipherText: Uint8Array): Uint8Array
}

/**
 * A post-quantum provider. Inputs are checked (types, lengths) by the key layer before they get here.
 *
 * @example
 * ```ts
 * const pq: PostQuantum = postQuantum()
 * console.log(pq.name) // 'noble' or 'native'
 * ```
 * @internal
 */
export interface PostQuantum {
  /** `'noble'` or `'native'`, for diagnostics and tests. */
  readonly name: string
  /** ML-DSA-65 KeyGen_internal from ξ (FIPS 204 Alg. 6). */
  mldsaKeygen(seed: Uint8Array): MlDsaKey
  /** ML-DSA-65 verification, empty context; false on any malformed key or signature. */
  mldsaVerify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean
  /** ML-KEM-768 KeyGen_internal from `d ‖ z` (FIPS 203 Alg. 16). */
  mlkemKeygen(seed: Uint8Array): MlKemKey
  /**
   * ML-KEM-768 encapsulation with fresh randomness, where the provider does it faster than noble's prepared key;
   * absent on noble. May throw if the key fails FIPS 203 §7.2's check.
   */
  mlkemEncapsulate?(publicKey: Uint8Array): { cipherText: Uint8Array; sharedSecret: Uint8Array }
}

/**
 * `@noble/post-quantum`: available everywhere, the default.
 *
 * @example
 * ```ts
 * const sig = noblePostQuantum.mldsaKeygen(xi).sign(message)
 * ```
 * @internal
 */
export const noblePostQuantum: PostQuantum = Object.freeze({
  name: 'noble',
  mldsaKeygen(seed: Uint8Array): MlDsaKey {
    const { publicKey, secretKey } = ml_dsa65.keygen(seed)
    return Object.freeze({
      publicKey,
      // FIPS 204 hedged signing: noble draws fresh `rnd` when extraEntropy is undefined.
      sign: (message: Uint8Array, rnd?: Uint8Array) =>
        ml_dsa65.sign(message, secretKey, rnd === undefined ? {} : { extraEntropy: rnd }),
      signWithContext: (message: Uint8Array, context: Uint8Array, rnd?: Uint8Array) =>
        ml_dsa65.sign(message, secretKey, { context, ...(rnd === undefined ? {} : { extraEntropy: rnd }) }),
    })
  },
  mldsaVerify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
    try {
      return ml_dsa65.verify(signature, message, publicKey)
    } catch {
      return false
    }
  },
  mlkemKeygen(seed: Uint8Array): MlKemKey {
    const { publicKey, secretKey } = ml_kem768.keygen(seed)
    // The prepared form (expanded Â) makes each decapsulation's re-encryption skip the matrix expansion.
    const prepared = ml_kem768.prepare(publicKey)
    return Object.freeze({ publicKey, decapsulate: (ct: Uint8Array) => prepared.decapsulate(ct, secretKey) })
  },
})

let current: PostQuantum = noblePostQuantum

/**
 * The provider in use in this process.
 *
 * @example
 * ```ts
 * postQuantum().name // 'native' on Node 24 through the Node entry, else 'noble'
 * ```
 * @internal
 */
export function postQuantum(): PostQuantum {
  return current
}

/**
 * Installs the provider used from now on (the Node entry does it once at import). Keys already made keep the
 * provider that made them.
 *
 * @example
 * ```ts
 * installPostQuantum(noblePostQuantum)
 * ```
 * @internal
 */
export function installPostQuantum(provider: PostQuantum): void {
  current = provider
}
