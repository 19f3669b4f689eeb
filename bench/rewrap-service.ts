/**
 * What moving a role to a key-access gateway costs a rewrap and its readers (docs/format.md §Gateways added by a
 * rewrap): the layer's frame key signs every frame (one Ed25519 signature per frame for the rewrapper, one
 * verification per frame for every reader). Side by side in one process, as CPU time of this process
 * (process.cpuUsage, so the load of other processes on a shared machine counts less than in wall time):
 *
 * - rewrap adding a direct reader vs rewrap moving the same role to a gateway (remove + add `{ service, key }`);
 * - opening the result as the kept direct reader in both cases (the gateway case adds the layer-signature checks).
 *
 *   npx tsx --expose-gc bench/rewrap-service.ts [--mb 100] [--rounds 5]
 *
 * Target: the gateway rewrap within 5 % of the direct one, and the kept reader's open within 5 % (a frame of
 * 64 Ki rows is megabytes of hashing and AES-GCM, against ~50 µs of Ed25519). A MISS is reported, not failed.
 *
 * @module
 */
import { Table } from 'apache-arrow'
import { generateIdentity, openTable, rewrap, sealTable } from '../src/index.node.js'
import { mixedBatch, POLICY, ROLES } from './fixtures.js'

const BATCH_ROWS = 65_536
const argv = process.argv.slice(2)
const arg = (name: string, fallback: string) => {
  const i = argv.indexOf(name)
  return i >= 0 ? argv[i + 1]! : fallback
}
const cpuMs = async (f: () => Promise<unknown>): Promise<number> => {
  ;(globalThis as { gc?: () => void }).gc?.()
  const t = process.cpuUsage()
  await f()
  const d = process.cpuUsage(t)
  return (d.user + d.system) / 1000
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

async function main(): Promise<void> {
  const mb = Number(arg('--mb', '100'))
  const rounds = Number(arg('--rounds', '5'))
  const writer = await generateIdentity()
  const readers = Object.fromEntries(await Promise.all(ROLES.map(async (r) => [r, await generateIdentity()] as const)))
  const newcomer = await generateIdentity()
  const gateway = await generateIdentity()
  const recipients: Record<string, string[]> = {}
  for (const role of ROLES) recipients[role] = [readers[role]!.publicKey]
  const one = new Table([mixedBatch(0, BATCH_ROWS)])
  const perBatch = (await sealTable(one, { signer: writer, recipients, policy: POLICY })).length
  const n = Math.max(1, Math.round((mb * 1e6) / perBatch))
  const table = new Table(Array.from({ length: n }, (_, i) => mixedBatch(i * BATCH_ROWS, BATCH_ROWS)))
  const sealed = await sealTable(table, { signer: writer, recipients, policy: POLICY })
  const steward = readers['auditors']!
  const base = { identity: steward, signer: steward, trustedSigners: [writer.publicKey], policy: POLICY }
  const remove = [readers['analysts']!.publicKey]
  const direct = { ...base, remove, add: { analysts: [newcomer.publicKey] } }
  const viaGateway = {
    ...base,
    remove,
    add: { analysts: [{ service: 'https://kas.example', key: gateway.publicKey }] },
  }
  console.log(`rewrap-service: ${n} batches of ${BATCH_ROWS} rows, ${(sealed.length / 1e6).toFixed(1)} MB sealed`)
  const outDirect = await rewrap(sealed, direct)
  const outGateway = await rewrap(sealed, viaGateway)
  const trust = [writer.publicKey, steward.publicKey]
  const kept = { identity: readers['ops']!, trustedSigners: trust }
  const r: Record<string, number[]> = { rewrapDirect: [], rewrapGateway: [], openDirect: [], openGateway: [] }
  for (let i = 0; i < rounds; i++) {
    r['rewrapDirect']!.push(await cpuMs(() => rewrap(sealed, direct)))
    r['rewrapGateway']!.push(await cpuMs(() => rewrap(sealed, viaGateway)))
    r['openDirect']!.push(await cpuMs(() => openTable(outDirect, kept)))
    r['openGateway']!.push(await cpuMs(() => openTable(outGateway, kept)))
  }
  const show = (xs: number[]) => xs.map((x) => x.toFixed(0)).join(' ')
  for (const [what, a, b] of [
    ['rewrap', 'rewrapDirect', 'rewrapGateway'],
    ['kept reader open', 'openDirect', 'openGateway'],
  ] as const) {
    const ratio = median(r[b]!) / median(r[a]!)
    console.log(`${what}: direct ${show(r[a]!)} ms CPU; gateway ${show(r[b]!)} ms CPU`)
    console.log(
      `  gateway / direct (median), target ≤ 105 %: ${(ratio * 100).toFixed(1)} % (${ratio <= 1.05 ? 'MET' : 'MISS'})`,
    )
  }
}

await main()
