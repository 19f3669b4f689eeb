/**
 * Baseline cases: what protecting a table costs with no arrowseal at all. Plain Arrow IPC stream write and read,
 * and raw `node:crypto` AES-256-GCM over the very same IPC bytes. The seal/open targets of issue 3 are ratios
 * against the sums of these.
 *
 * The AES baseline cuts the IPC stream into as many equal chunks as the fixture has batches, one GCM call per
 * chunk with a fresh nonce, so it does as many AEAD calls of about the same size as a sealer that seals one unit
 * per batch (64k-row fixture: ~5 MB chunks; 1k-row fixture: ~85 KB chunks). The key is imported once.
 *
 * @module
 */
import { createCipheriv, createDecipheriv, createHash, createSecretKey, randomBytes } from 'node:crypto'
import { type Table, tableFromIPC, tableToIPC } from 'apache-arrow'
import type { Case } from './harness.js'

/** A fixture as every case sees it: the table, its IPC stream bytes, and the label used in case names. */
export interface Fixture {
  /** `64k`, `1k`, … */
  label: string
  table: Table
  /** `tableToIPC(table, 'stream')`, computed once; the MB/s denominator of every case of this fixture. */
  ipc: Uint8Array
}

/**
 * Splits `bytes` into `parts` contiguous views of near-equal size.
 *
 * @example
 * ```ts
 * splitEven(new Uint8Array(10), 3).map((p) => p.length) // [4, 4, 2]
 * ```
 */
export function splitEven(bytes: Uint8Array, parts: number): Uint8Array[] {
  const size = Math.ceil(bytes.length / Math.max(1, parts))
  const out: Uint8Array[] = []
  for (let at = 0; at < bytes.length; at += size) out.push(bytes.subarray(at, Math.min(bytes.length, at + size)))
  return out
}

interface Sealed {
  nonce: Buffer
  ciphertext: Buffer
  tag: Buffer
}

/**
 * Baseline cases for one fixture: IPC write, IPC read, AES-GCM encrypt and decrypt on `node:crypto`, and AES-GCM
 * encrypt and decrypt on WebCrypto (`crypto.subtle`, which the default backend uses) for reference.
 *
 * @example
 * ```ts
 * const cases = await baselineCases({ label: '64k', table, ipc: tableToIPC(table, 'stream') })
 * ```
 */
export async function baselineCases(fx: Fixture): Promise<Case[]> {
  const key = createSecretKey(randomBytes(32))
  const chunks = splitEven(fx.ipc, fx.table.batches.length)
  const seal = (plain: Uint8Array): Sealed => {
    const nonce = randomBytes(12)
    const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: 16 })
    // GCM is a stream mode: final() only computes the tag and returns no bytes, so no concat (and no copy).
    const ciphertext = cipher.update(plain)
    cipher.final()
    return { nonce, ciphertext, tag: cipher.getAuthTag() }
  }
  const sealed = chunks.map(seal)
  const bytes = fx.ipc.length
  const webKey = await crypto.subtle.importKey('raw', new Uint8Array(randomBytes(32)), 'AES-GCM', false, [
    'encrypt',
    'decrypt',
  ])
  // WebCrypto wants ArrayBuffer-backed views; the IPC bytes are one, so the chunks are views, not copies.
  const webChunks = chunks as Uint8Array<ArrayBuffer>[]
  const webSeal = (plain: Uint8Array<ArrayBuffer>) => {
    const iv = new Uint8Array(randomBytes(12))
    return crypto.subtle.encrypt({ name: 'AES-GCM', iv }, webKey, plain).then((ct) => ({ iv, ct }))
  }
  const webSealed = await Promise.all(webChunks.map(webSeal))
  return [
    // Not a pipeline step: the cost of a fresh buffer of the fixture's size, touched once. On a VM that returns
    // freed pages to its host, first touch can cost far more than the copy itself; every case pays it per
    // output byte it allocates, so this row tells how much of the others is the host, not the code.
    { name: `baseline/fresh-buffer/${fx.label}`, bytes, run: () => new Uint8Array(bytes).fill(1) },
    { name: `baseline/arrow-ipc-write/${fx.label}`, bytes, run: () => tableToIPC(fx.table, 'stream') },
    { name: `baseline/arrow-ipc-read/${fx.label}`, bytes, run: () => tableFromIPC(fx.ipc) },
    { name: `baseline/aes-gcm-node/${fx.label}/encrypt`, bytes, run: () => chunks.map(seal) },
    {
      name: `baseline/aes-gcm-node/${fx.label}/decrypt`,
      bytes,
      run: () =>
        sealed.map(({ nonce, ciphertext, tag }) => {
          const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: 16 })
          decipher.setAuthTag(tag)
          const plain = decipher.update(ciphertext)
          decipher.final()
          return plain
        }),
    },
    // Reference, not a pipeline step: one SHA-256 pass over the same bytes, chunk by chunk, which a format that
    // authenticates every ciphertext byte to every reader (insider-proof) must pay on top of AES-GCM.
    {
      name: `baseline/sha256-node/${fx.label}`,
      bytes,
      run: () => chunks.map((chunk) => createHash('sha256').update(chunk).digest()),
    },
    {
      name: `baseline/aes-gcm-webcrypto/${fx.label}/encrypt`,
      bytes,
      run: async () => {
        for (const chunk of webChunks) await webSeal(chunk)
      },
    },
    {
      name: `baseline/aes-gcm-webcrypto/${fx.label}/decrypt`,
      bytes,
      run: async () => {
        for (const { iv, ct } of webSealed) await crypto.subtle.decrypt({ name: 'AES-GCM', iv }, webKey, ct)
      },
    },
  ]
}
