/**
 * Post-quantum primitives per backend on the running Node: ML-DSA-65 sign/verify and X-Wing encapsulate/
 * decapsulate, noble against node:crypto (where present), medians of interleaved rounds in one process.
 * Run: `npx tsx bench/pq-backends.ts` (and with PATH="$(scripts/install-node.sh 24)":$PATH for Node 24); the
 * fresh-stream latency per backend and runtime is `npx tsx bench/fresh-runtimes.ts`.
 */
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js'
import { prepareXWingPublicKey, xwingDecapsulate, xwingEncapsulate, xwingKeygen } from '../src/keys/xwing.js'
import { nativePostQuantum } from '../src/node/pq.js'
import { nodeX25519 } from '../src/node/x25519.js'

const ROUNDS = 15
const PER_ROUND = 20

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)] ?? Number.NaN
}

const cases: [string, () => unknown][] = []
const seed = new Uint8Array(32).fill(1)
const message = new Uint8Array(200).fill(2)
const noble = ml_dsa65.keygen(seed)
const nobleSig = ml_dsa65.sign(message, noble.secretKey)
const xw = xwingKeygen(seed, nodeX25519)
const prepared = prepareXWingPublicKey(xw.publicKey)
const ct = xwingEncapsulate(prepared, undefined, nodeX25519).cipherText
cases.push(['ML-DSA-65 sign, noble', () => ml_dsa65.sign(message, noble.secretKey)])
cases.push(['ML-DSA-65 verify, noble', () => ml_dsa65.verify(nobleSig, message, noble.publicKey)])
cases.push(['X-Wing encapsulate, noble ML-KEM + node X25519', () => xwingEncapsulate(prepared, undefined, nodeX25519)])
cases.push(['X-Wing decapsulate, noble ML-KEM + node X25519', () => xwingDecapsulate(ct, xw.secretKey, nodeX25519)])
const pq = nativePostQuantum('auto')
if (pq !== undefined) {
  const key = pq.mldsaKey(seed)
  const secret = pq.xwingKeygen(seed)
  cases.push(['ML-DSA-65 sign, native', () => pq.mldsaSign(key, message)])
  cases.push(['ML-DSA-65 verify, native', () => pq.mldsaVerify(nobleSig, message, noble.publicKey)])
  cases.push(['X-Wing encapsulate, native', () => pq.xwingEncapsulate(xw.publicKey)])
  cases.push(['X-Wing decapsulate, native', () => pq.xwingDecapsulate(ct, secret)])
}
const times = cases.map(() => [] as number[])
for (let r = 0; r < ROUNDS; r++) {
  for (const [i, [, fn]] of cases.entries()) {
    const t = performance.now()
    for (let k = 0; k < PER_ROUND; k++) fn()
    times[i]?.push((performance.now() - t) / PER_ROUND)
  }
}
console.log(`Node ${process.versions.node} (OpenSSL ${process.versions.openssl}), median ms per operation`)
for (const [i, [name]] of cases.entries()) console.log(`${name.padEnd(50)} ${median(times[i] ?? []).toFixed(3)}`)

// The fresh one-row stream per provider and runtime is bench/fresh-runtimes.ts (also run by bench/run.ts).
