/**
 * Post-quantum primitives per backend on the running Node: ML-DSA-65 sign/verify and X-Wing encapsulate/
 * decapsulate, noble against node:crypto (where present), medians of interleaved rounds in one process.
 * Run: `npx tsx bench/pq-backends.ts` (and with PATH="$(scripts/install-node.sh 24)":$PATH for Node 24).
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

// A fresh one-row stream with a hybrid-signed header, sealed and opened, and the same with a writer session,
// per provider installed (identities made by that provider): what sealTable/openTable pay per new stream.
const { tableFromArrays } = await import('apache-arrow')
const entry = await import('../src/index.node.js')
const { installPostQuantum, noblePostQuantum } = await import('../src/keys/pq.js')
const { nativeProvider } = await import('../src/node/pq.js')
const providers = [noblePostQuantum, ...(pq === undefined ? [] : [nativeProvider(pq)])]
const table = tableFromArrays({ id: Int32Array.from([1]), amount: Float64Array.from([9.5]) })
console.log('\nfresh one-row stream, sealed + opened, median ms')
for (const provider of providers) {
  installPostQuantum(provider)
  const writer = await entry.generateIdentity()
  const reader = await entry.generateIdentity()
  const session = await entry.createWriterSession(writer, { lifetimeSeconds: 3600 })
  for (const [label, signer] of [
    ['hybrid-signed', writer],
    ['writer session', session],
  ] as const) {
    const opts = { recipients: { r: [reader.publicKey] }, policy: { fields: { id: ['r'], amount: ['r'] } } }
    const once = async () =>
      entry.openTable(await entry.sealTable(table, { ...opts, signer }), {
        identity: reader,
        trustedSigners: [writer.publicKey],
      })
    for (let i = 0; i < 5; i++) await once()
    const samples: number[] = []
    for (let i = 0; i < 40; i++) {
      const t = performance.now()
      await once()
      samples.push(performance.now() - t)
    }
    console.log(`${`${label}, ${provider.name}`.padEnd(50)} ${median(samples).toFixed(3)}`)
  }
}
