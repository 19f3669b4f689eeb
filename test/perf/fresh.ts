/**
 * Where the milliseconds of a fresh one-row stream go (issue 3, item 2): one recipient, hybrid signatures,
 * sealed and opened through the Node entry and the core entry, then each fixed-cost step timed on its own with
 * the implementation the stream really uses. Medians after warm-up, with CPU time per call (process.cpuUsage)
 * next to wall time, because on a loaded machine wall time mostly measures waiting for a core.
 *
 * Run: `npx tsx test/perf/fresh.ts [samples]` (default 41).
 */
import { ed25519 } from '@noble/curves/ed25519.js'
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js'
import { tableFromIPC, tableToIPC } from 'apache-arrow'
import { oneRowTable } from '../../bench/fixtures.js'
import { nobleBackend } from '../../src/aead/noble.js'
import * as core from '../../src/index.js'
import * as node from '../../src/index.node.js'
import { setupBaseR, setupBaseS } from '../../src/keys/hpke.js'
import { postQuantum } from '../../src/keys/pq.js'
import { hybridSign, hybridVerify } from '../../src/keys/sign.js'
import { nobleX25519 } from '../../src/keys/xwing.js'
import { nodeBackend } from '../../src/node/backend.js'
import { nodeX25519 } from '../../src/node/x25519.js'

const n = Number(process.argv[2] ?? 41)
const writer = await node.generateIdentity()
const reader = await node.generateIdentity()
const table = oneRowTable()
const sealOpts = {
  signer: writer,
  recipients: { analysts: [reader.publicKey] },
  policy: { fields: {}, default: ['analysts'] },
}
const openOpts = { identity: reader, trustedSigners: [writer.publicKey] }

async function time(fn: () => unknown): Promise<{ wall: number; cpu: number }> {
  for (let i = 0; i < Math.max(5, n >> 2); i++) await fn()
  const wall: number[] = []
  const cpu: number[] = []
  for (let i = 0; i < n; i++) {
    const c0 = process.cpuUsage()
    const t0 = performance.now()
    await fn()
    wall.push(performance.now() - t0)
    const c = process.cpuUsage(c0)
    cpu.push((c.user + c.system) / 1000)
  }
  const med = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!
  return { wall: med(wall), cpu: med(cpu) }
}

const rows: [string, () => unknown][] = []
const sealedNode = await node.sealTable(table, sealOpts)
const sealedCore = await core.sealTable(table, sealOpts)
rows.push([
  'TOTAL node entry: seal + open',
  async () => node.openTable(await node.sealTable(table, sealOpts), openOpts),
])
rows.push(['  node entry: seal', () => node.sealTable(table, sealOpts)])
rows.push(['  node entry: open', () => node.openTable(sealedNode, openOpts)])
rows.push([
  'TOTAL core entry (webcrypto): seal + open',
  async () => core.openTable(await core.sealTable(table, sealOpts), openOpts),
])
rows.push(['  core entry: seal', () => core.sealTable(table, sealOpts)])
rows.push(['  core entry: open', () => core.openTable(sealedCore, openOpts)])

// The fixed-cost steps, one by one.
const msg = crypto.getRandomValues(new Uint8Array(1700 + 1120)) // about a one-recipient signed header
const sig = writer.sign('header', msg)
const edSeed = crypto.getRandomValues(new Uint8Array(32))
const dsaSeed = crypto.getRandomValues(new Uint8Array(32))
const dsa = ml_dsa65.keygen(dsaSeed)
const edSig = ed25519.sign(msg, edSeed)
const edPub = ed25519.getPublicKey(edSeed)
const dsaSig = ml_dsa65.sign(msg, dsa.secretKey)
const info = new TextEncoder().encode('arrowseal/v1 stanza 0123456789abcdef')
const pk = reader.publicKeyObject
const encNode = setupBaseS(pk, info, { x25519: nodeX25519 }).enc
const ipc = tableToIPC(table, 'stream')
const nb = nodeBackend()
const dsaKey = postQuantum().mldsaKeygen(dsaSeed)
rows.push(['seal: hybrid sign (Ed25519 + ML-DSA-65)', () => hybridSign(edSeed, dsaKey, 'header', msg)])
rows.push(['  of which ML-DSA-65 sign', () => ml_dsa65.sign(msg, dsa.secretKey)])
rows.push(['  of which Ed25519 sign (noble)', () => ed25519.sign(msg, edSeed)])
rows.push([
  'seal: HPKE setup, X-Wing encaps (node X25519, prepared key)',
  () => setupBaseS(pk, info, { x25519: nodeX25519 }),
])
rows.push(['  same with noble X25519', () => setupBaseS(pk, info, { x25519: nobleX25519 })])
rows.push(['open: hybrid verify (Ed25519 + ML-DSA-65)', () => hybridVerify(writer.publicKeyObject, 'header', msg, sig)])
rows.push(['  of which ML-DSA-65 verify', () => ml_dsa65.verify(dsaSig, msg, dsa.publicKey)])
rows.push(['  of which Ed25519 verify (noble)', () => ed25519.verify(edSig, msg, edPub, { zip215: false })])
rows.push([
  'open: HPKE setup, X-Wing decaps (node X25519, expanded key)',
  () => setupBaseR(reader, encNode, info, { x25519: nodeX25519 }),
])
rows.push(['  same with noble X25519', () => setupBaseR(reader, encNode, info, { x25519: nobleX25519 })])
rows.push([
  'per group: AES key import + seal 1-row unit (node)',
  async () => nb.seal(await nb.importKey(edSeed), new Uint8Array(12), msg.subarray(0, 64), ipc),
])
rows.push(['per group: Arrow IPC write, 1 row', () => tableToIPC(table, 'stream')])
rows.push(['per group: Arrow IPC read, 1 row', () => tableFromIPC(ipc)])
rows.push([
  'noble backend: seal + open (for reference)',
  async () =>
    core.openTable(await core.sealTable(table, { ...sealOpts, backend: nobleBackend() }), {
      ...openOpts,
      backend: nobleBackend(),
    }),
])

console.log(`fresh one-row stream, one recipient, hybrid signatures; median of ${n} (ms)`)
console.log(`${'step'.padEnd(62)} ${'wall'.padStart(8)} ${'cpu'.padStart(8)}`)
for (const [name, fn] of rows) {
  const { wall, cpu } = await time(fn)
  console.log(`${name.padEnd(62)} ${wall.toFixed(3).padStart(8)} ${cpu.toFixed(3).padStart(8)}`)
}
