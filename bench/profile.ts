/**
 * Where does the time go? Profiles one arrowseal workload with the V8 sampling profiler (through `node:inspector`,
 * the same data `node --cpu-prof` writes) and prints self time by function and by source file.
 *
 *   npx tsx bench/profile.ts seal|open|fresh|fresh-session|stream-seal|stream-open[-1k] [--rows N] [--min-batch-rows N] [--iterations N] [--backend node|webcrypto|noble]
 *                                                           [--save file.cpuprofile] [--callers functionName]
 *
 * The saved profile opens in Chrome DevTools (Performance panel) or speedscope.
 *
 * @module
 */
import { writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import { relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadApi } from './api.js'
import { makeParties, openOptions, sealOptions, streamOf } from './arrowseal-cases.js'
import { mixedTable, oneRowTable } from './fixtures.js'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  hitCount?: number
  children?: number[]
}
interface Profile {
  nodes: ProfileNode[]
  samples?: number[]
  timeDeltas?: number[]
  startTime: number
  endTime: number
}

function option(argv: readonly string[], name: string, fallback: string): string {
  const at = argv.indexOf(name)
  return at >= 0 ? (argv[at + 1] ?? fallback) : fallback
}

const root = fileURLToPath(new URL('..', import.meta.url))

function where(url: string): string {
  if (!url) return '(native/VM)'
  const path = url.startsWith('file://') ? fileURLToPath(url) : url
  const rel = relative(root, path)
  const nm = rel.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/)
  return nm ? `[${nm[1]}]` : rel
}

/**
 * Summarises a CPU profile: top `limit` functions by self time and self time per file/package.
 *
 * @example
 * ```ts
 * console.log(summarise(profile, 25))
 * ```
 */
export function summarise(profile: Profile, limit: number, callersOf?: string): string {
  const perSample = new Map<number, number>()
  const samples = profile.samples ?? []
  const deltas = profile.timeDeltas ?? []
  for (let i = 0; i < samples.length; i++)
    perSample.set(samples[i]!, (perSample.get(samples[i]!) ?? 0) + (deltas[i] ?? 0))
  const byFn = new Map<string, number>()
  const byFile = new Map<string, number>()
  // The profiler's own stop call (inspector `post` → `dispatch`) is sampled too; it is not the workload.
  const own = new Set<number>()
  for (const node of profile.nodes) {
    if (node.callFrame.url === 'node:inspector') for (const child of node.children ?? []) own.add(child)
  }
  let total = profile.endTime - profile.startTime
  for (const id of own) total -= perSample.get(id) ?? 0
  for (const node of profile.nodes) {
    const us = own.has(node.id) ? 0 : (perSample.get(node.id) ?? 0)
    if (!us) continue
    const file = where(node.callFrame.url)
    const fn = `${node.callFrame.functionName || '(anonymous)'}  ${file}:${node.callFrame.lineNumber + 1}`
    byFn.set(fn, (byFn.get(fn) ?? 0) + us)
    byFile.set(file, (byFile.get(file) ?? 0) + us)
  }
  const lines: string[] = [`total ${(total / 1000).toFixed(1)} ms sampled`]
  const top = (m: Map<string, number>, title: string) => {
    lines.push(`\n${title}`)
    for (const [k, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, limit)) {
      lines.push(`  ${((100 * us) / total).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(1).padStart(8)} ms  ${k}`)
    }
  }
  top(byFile, 'self time by file / package')
  top(byFn, 'self time by function')
  if (callersOf) {
    // Who spends time in `callersOf`: its self time attributed to each calling function, two levels up.
    const parent = new Map<number, ProfileNode>()
    const byId = new Map<number, ProfileNode>()
    for (const node of profile.nodes) byId.set(node.id, node)
    for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node)
    const name = (n: ProfileNode | undefined) =>
      n ? `${n.callFrame.functionName || '(anonymous)'} ${where(n.callFrame.url)}` : '(root)'
    const callers = new Map<string, number>()
    for (const node of profile.nodes) {
      if (node.callFrame.functionName !== callersOf) continue
      const us = perSample.get(node.id) ?? 0
      const p1 = parent.get(node.id)
      const key = `${name(p1)}  ←  ${name(p1 ? parent.get(p1.id) : undefined)}`
      callers.set(key, (callers.get(key) ?? 0) + us)
    }
    top(callers, `callers of ${callersOf} (self time)`)
  }
  return lines.join('\n')
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2)
  const workload = argv[0] ?? 'seal'
  const rows = Number(option(argv, '--rows', workload.startsWith('fresh') ? '1' : '262144'))
  const fresh = workload.startsWith('fresh')
  const iterations = Number(option(argv, '--iterations', fresh ? '30' : '3'))
  const backendName = option(argv, '--backend', 'node')
  const save = option(argv, '--save', '')
  const api = await loadApi(argv.includes('--dist'))
  if (typeof api === 'string') throw new Error(api)
  const backend = api.backends[backendName as 'node' | 'webcrypto' | 'noble']?.()
  if (!backend) throw new Error(`backend ${backendName} not available`)
  const parties = await makeParties(api)
  const table = fresh ? oneRowTable() : mixedTable(rows, workload.endsWith('-1k') ? 1_024 : 65_536)
  const minBatchRows = Number(option(argv, '--min-batch-rows', '0'))
  const sOpts = { ...sealOptions(parties, backend), ...(minBatchRows ? { minBatchRows } : {}) }
  const oOpts = openOptions(parties, backend)
  // fresh-session: the same stream signed by a writer session made once (format suite 2).
  const signer =
    workload === 'fresh-session' && api.createWriterSession
      ? await api.createWriterSession(parties.writer)
      : parties.writer
  const freshSeal = {
    signer,
    recipients: { analysts: [parties.readers.analysts.publicKey] },
    policy: { fields: {}, default: ['analysts'] },
    backend,
  }
  const freshOpen = { identity: parties.readers.analysts, trustedSigners: [parties.writer.publicKey], backend }
  const sealed = fresh ? await api.sealTable(table, freshSeal) : await api.sealTable(table, sOpts)
  // stream-*: the same data through SealStream / OpenStream, whose frames the allocator recycles (no one fresh
  // output buffer), so what is left is the per-batch work.
  const chunks: Uint8Array[] = []
  for (let i = 0; i < sealed.length; i += 65536) chunks.push(sealed.subarray(i, i + 65536))
  const sink = () => new WritableStream<unknown>({ write: () => undefined })
  const run = async () => {
    if (fresh) await api.openTable(await api.sealTable(table, freshSeal), freshOpen)
    else if (workload.startsWith('stream-seal'))
      await streamOf(table.batches).pipeThrough(new api.SealStream(sOpts)).pipeTo(sink())
    else if (workload.startsWith('stream-open'))
      await streamOf(chunks).pipeThrough(new api.OpenStream(oOpts)).pipeTo(sink())
    else if (workload.startsWith('seal')) await api.sealTable(table, sOpts)
    else await api.openTable(sealed, oOpts)
  }
  await run() // warm-up outside the profile
  const session = new Session()
  session.connect()
  await session.post('Profiler.enable')
  await session.post('Profiler.setSamplingInterval', { interval: 200 })
  await session.post('Profiler.start')
  const t0 = performance.now()
  for (let i = 0; i < iterations; i++) await run()
  const ms = performance.now() - t0
  const { profile } = (await session.post('Profiler.stop')) as unknown as { profile: Profile }
  session.disconnect()
  console.log(
    `${workload} on ${backendName}: ${table.numRows} rows, ${iterations} iterations, ${(ms / iterations).toFixed(2)} ms each`,
  )
  if (save) writeFileSync(save, JSON.stringify(profile))
  const callers = option(argv, '--callers', '')
  console.log(summarise(profile, 25, callers || undefined))
}

main().catch((err: unknown) => {
  console.error(err)
  process.exit(1)
})
