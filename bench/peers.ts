/**
 * Peer cases: the same IPC bytes protected by the tools a pipeline would otherwise reach for.
 *
 * - age-encryption 0.3.1 (typage) to one ML-KEM-768 + X25519 hybrid recipient (`age1pq1…`), whole-buffer API.
 * - AWS Encryption SDK for JavaScript (`@aws-crypto/client-node` 5) with a raw AES keyring, the committing suite
 *   without signature, REQUIRE_ENCRYPT_REQUIRE_DECRYPT, 64 KiB frames.
 *
 * Both are given the IPC bytes ready-made: their cases time only the encryption, so the peers get serialization
 * for free and the comparison favours them.
 *
 * @module
 */
import { randomBytes } from 'node:crypto'
import {
  AlgorithmSuiteIdentifier,
  buildClient,
  CommitmentPolicy,
  RawAesKeyringNode,
  RawAesWrappingSuiteIdentifier,
} from '@aws-crypto/client-node'
import { Decrypter, Encrypter, generateHybridIdentity, identityToRecipient } from 'age-encryption'
import type { Fixture } from './baselines.js'
import type { Case } from './harness.js'

/**
 * age encrypt/decrypt cases for one fixture. Async because keys and the reference ciphertext are made up front.
 *
 * @example
 * ```ts
 * const cases = await ageCases(fixture, 3)
 * ```
 */
export async function ageCases(fx: Fixture, maxRounds?: number): Promise<Case[]> {
  const identity = await generateHybridIdentity()
  const recipient = await identityToRecipient(identity)
  const encrypter = new Encrypter()
  encrypter.addRecipient(recipient)
  const decrypter = new Decrypter()
  decrypter.addIdentity(identity)
  const sealed = await encrypter.encrypt(fx.ipc)
  const check = await decrypter.decrypt(sealed)
  if (check.length !== fx.ipc.length) throw new Error('age round trip changed the length')
  const bytes = fx.ipc.length
  return [
    { name: `peer/age/${fx.label}/encrypt`, bytes, maxRounds, warm: true, run: () => encrypter.encrypt(fx.ipc) },
    { name: `peer/age/${fx.label}/decrypt`, bytes, maxRounds, warm: true, run: () => decrypter.decrypt(sealed) },
  ]
}

/**
 * AWS Encryption SDK encrypt/decrypt cases for one fixture.
 *
 * @example
 * ```ts
 * const cases = await awsCases(fixture, 3)
 * ```
 */
export async function awsCases(fx: Fixture, maxRounds?: number): Promise<Case[]> {
  const { encrypt, decrypt } = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT)
  const keyring = new RawAesKeyringNode({
    keyName: 'bench-key',
    keyNamespace: 'arrowseal-bench',
    unencryptedMasterKey: new Uint8Array(randomBytes(32)),
    wrappingSuite: RawAesWrappingSuiteIdentifier.AES256_GCM_IV12_TAG16_NO_PADDING,
  })
  const options = {
    suiteId: AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY,
    frameLength: 64 * 1024,
  }
  const { result } = await encrypt(keyring, fx.ipc, options)
  const { plaintext } = await decrypt(keyring, result)
  if (plaintext.length !== fx.ipc.length) throw new Error('AWS ESDK round trip changed the length')
  const bytes = fx.ipc.length
  return [
    {
      name: `peer/aws-esdk/${fx.label}/encrypt`,
      bytes,
      maxRounds,
      warm: true,
      run: () => encrypt(keyring, fx.ipc, options),
    },
    { name: `peer/aws-esdk/${fx.label}/decrypt`, bytes, maxRounds, warm: true, run: () => decrypt(keyring, result) },
  ]
}
