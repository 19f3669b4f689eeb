/**
 * Where the milliseconds of a fresh one-row stream go: every public-key and fixed-cost step a seal + open of a new
 * stream may pay, timed one by one (median of N after warm-up). The pure-JS noble timings are what arrowseal pays
 * where it uses noble; the `node:crypto` rows show what the native fast paths of issue 3 (item 2) can save.
 *
 * Run alone with `npx tsx bench/fresh-breakdown.ts [--quick]`; `bench/run.ts` also runs it and stores the rows.
 *
 * @module
 */
import {
  createCipheriv,
  createSecretKey,
  diffieHellman,
  generateKeyPairSync,
  sign as nodeSign,
  verify as nodeVerify,
  randomBytes,
} from 'node:crypto'
import { ed25519, x25519 } from '@noble/curves/ed25519.js'
import { hkdf } from '@noble/hashes/hkdf.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { ml_kem768_x25519 } from '@noble/post-quantum/hybrid.js'
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js'
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js'
import { tableFromIPC, tableToIPC } from 'apache-arrow'
import { oneRowTable } from './fixtures.js'
import { median } from './harness.js'

/** One timed step. */
export interface Step {
  step: string
  /** Median wall ms per call. */
  ms: number
  /** Median CPU ms per call (process user + system time): what the step costs on an idle core. */
  cpuMs: number
  /** Which side pays it and how often, for the docs table. */
  note: string
}

async function time(fn: () => unknown, n: number): Promise<[wall: number, cpu: number]> {
  // Warm up until the JIT has settled: at least 3 calls and 50 ms (10 calls and 100 ms when measuring many).
  const warmUntil = performance.now() + (n < 10 ? 50 : 100)
  const warmCalls = Math.min(10, Math.ceil(n / 2))
  for (let i = 0; i < warmCalls || performance.now() < warmUntil; i++) await fn()
  const samples: number[] = []
  const cpuSamples: number[] = []
  for (let i = 0; i < n; i++) {
    const c0 = process.cpuUsage()
    const t0 = performance.now()
    await fn()
    samples.push(performance.now() - t0)
    const c = process.cpuUsage(c0)
    cpuSamples.push((c.user + c.system) / 1000)
  }
  return [median(samples), median(cpuSamples)]
}

/**
 * Times every fixed-cost step.
 *
 * @example
 * ```ts
 * for (const s of await freshBreakdown(true)) console.log(s.step, s.ms)
 * ```
 */
export async function freshBreakdown(quick: boolean): Promise<Step[]> {
  const n = quick ? 5 : 60
  const msg = randomBytes(2048) // about the size of a signed header with one recipient
  const xwing = ml_kem768_x25519.keygen(randomBytes(32))
  const { cipherText } = ml_kem768_x25519.encapsulate(xwing.publicKey)
  const kem = ml_kem768.keygen()
  const kemCt = ml_kem768.encapsulate(kem.publicKey).cipherText
  const dsaSeed = randomBytes(32)
  const dsa = ml_dsa65.keygen(dsaSeed)
  const dsaSig = ml_dsa65.sign(msg, dsa.secretKey)
  const ed = ed25519.keygen()
  const edSig = ed25519.sign(msg, ed.secretKey)
  const xa = randomBytes(32)
  const xb = x25519.getPublicKey(randomBytes(32))
  const nodeX = generateKeyPairSync('x25519')
  const nodeXPeer = generateKeyPairSync('x25519').publicKey
  const nodeEd = generateKeyPairSync('ed25519')
  const nodeEdSig = nodeSign(null, msg, nodeEd.privateKey)
  const table = oneRowTable()
  const ipc = tableToIPC(table, 'stream')
  const aesKey = randomBytes(32)
  const rows: Array<[string, () => unknown, string]> = [
    ['X-Wing keygen from seed (noble)', () => ml_kem768_x25519.keygen(xwing.secretKey), 'open: expand reader seed'],
    ['X-Wing encapsulate (noble)', () => ml_kem768_x25519.encapsulate(xwing.publicKey), 'seal: per recipient'],
    ['X-Wing decapsulate (noble)', () => ml_kem768_x25519.decapsulate(cipherText, xwing.secretKey), 'open: once'],
    ['  of which ML-KEM-768 encapsulate', () => ml_kem768.encapsulate(kem.publicKey), 'seal: per recipient'],
    ['  of which ML-KEM-768 decapsulate', () => ml_kem768.decapsulate(kemCt, kem.secretKey), 'open: once'],
    ['  of which X25519 scalar mult (noble)', () => x25519.scalarMult(xa, xb), 'seal ×2, open ×1'],
    [
      'X25519 derive (node:crypto)',
      () => diffieHellman({ privateKey: nodeX.privateKey, publicKey: nodeXPeer }),
      'native alternative',
    ],
    ['ML-DSA-65 keygen from seed', () => ml_dsa65.keygen(dsaSeed), 'seal: expand writer seed'],
    ['ML-DSA-65 sign (2 KiB header)', () => ml_dsa65.sign(msg, dsa.secretKey), 'seal: header'],
    ['ML-DSA-65 verify', () => ml_dsa65.verify(dsaSig, msg, dsa.publicKey), 'open: header'],
    ['Ed25519 sign (noble)', () => ed25519.sign(msg, ed.secretKey), 'seal: header'],
    ['Ed25519 verify (noble)', () => ed25519.verify(edSig, msg, ed.publicKey, { zip215: false }), 'open: header'],
    ['Ed25519 sign (node:crypto)', () => nodeSign(null, msg, nodeEd.privateKey), 'native alternative'],
    ['Ed25519 verify (node:crypto)', () => nodeVerify(null, msg, nodeEd.publicKey, nodeEdSig), 'native alternative'],
    [
      'HKDF-SHA256 32 B (noble)',
      () => hkdf(sha256, aesKey, msg.subarray(0, 32), msg.subarray(32, 48), 32),
      'per key derived',
    ],
    ['SHA-256 of 2 KiB header (noble)', () => sha256(msg), 'seal + open'],
    ['AES-256-GCM key import + 1-row unit (node)', () => sealTiny(aesKey, ipc), 'per group'],
    ['WebCrypto AES-GCM import + 1-row unit', () => webCryptoTiny(aesKey, ipc), 'per group (web)'],
    ['Arrow IPC write, 1-row table', () => tableToIPC(table, 'stream'), 'seal: per group'],
    ['Arrow IPC read, 1-row table', () => tableFromIPC(ipc), 'open: per group'],
  ]
  const out: Step[] = []
  for (const [step, fn, note] of rows) {
    const [ms, cpuMs] = await time(fn, n)
    out.push({ step, ms, cpuMs, note })
  }
  return out
}

function sealTiny(key: Uint8Array, plain: Uint8Array): Uint8Array {
  const cipher = createCipheriv('aes-256-gcm', createSecretKey(key), randomBytes(12))
  const ct = cipher.update(plain)
  cipher.final()
  return ct
}

async function webCryptoTiny(raw: Uint8Array, plain: Uint8Array): Promise<ArrayBuffer> {
  const key = await crypto.subtle.importKey('raw', new Uint8Array(raw), 'AES-GCM', false, ['encrypt'])
  return crypto.subtle.encrypt({ name: 'AES-GCM', iv: new Uint8Array(randomBytes(12)) }, key, new Uint8Array(plain))
}

/**
 * Prints the breakdown as a table.
 *
 * @example
 * ```ts
 * printBreakdown(await freshBreakdown(true))
 * ```
 */
export function printBreakdown(steps: readonly Step[]): void {
  console.log('\nFresh-stream fixed costs (median per call)      wall ms   CPU ms')
  for (const s of steps) {
    console.log(`  ${s.step.padEnd(46)} ${s.ms.toFixed(3).padStart(8)} ${s.cpuMs.toFixed(3).padStart(8)}  ${s.note}`)
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  printBreakdown(await freshBreakdown(process.argv.includes('--quick')))
}
