/**
 * Fresh one-row stream latency per post-quantum backend and per Node runtime (issue 12): a one-row table sealed
 * to one reader in a brand-new stream and opened, with a hybrid-signed header and with a writer session, once per
 * provider the runtime has (noble everywhere, native where node:crypto has ML-DSA-65 / ML-KEM-768), identities
 * made by the provider under test. Each runtime runs in its own child process, one after another.
 *
 *   npx tsx bench/fresh-runtimes.ts            every runtime found (this one, then .cache/node/<v>/bin/node)
 *   npx tsx bench/fresh-runtimes.ts --here     this runtime only, one JSON line (what the children run)
 *
 * Runtimes: the running Node, every `scripts/install-node.sh` install under `.cache/node/`, every `node` on PATH and
 * the bin dirs in `ARROWSEAL_BENCH_NODES` (colon-separated); one per version. Measures `src/` (the provider seam
 * is set on the source modules).
 *
 * @module
 */
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** One runtime × backend measurement. */
export interface FreshRuntimeRow {
  /** `process.version` of the runtime. */
  node: string
  /** Post-quantum provider: `noble` or `native`. */
  pq: string
  /** Whether this is the provider the Node entry installs by default on that runtime. */
  isDefault: boolean
  /** Median ms of seal + open with a hybrid-signed header. */
  hybridMs: number
  /** Median ms of seal + open with a writer session (Ed25519 header signature). */
  sessionMs: number
  /** Mean CPU ms (user + system) per hybrid-signed seal + open: what it costs on an idle core, for a busy host. */
  hybridCpuMs: number
  /** Mean CPU ms per writer-session seal + open. */
  sessionCpuMs: number
  /** 1-minute load average when the runtime's run started. */
  load: number
}

const root = fileURLToPath(new URL('..', import.meta.url))

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)] ?? Number.NaN
}

/** Measures every provider of the running runtime, in this process. */
async function measureHere(samples: number): Promise<FreshRuntimeRow[]> {
  const { tableFromArrays } = await import('apache-arrow')
  const entry = await import('../src/index.node.js')
  const { installPostQuantum, noblePostQuantum, postQuantum } = await import('../src/keys/pq.js')
  const { nativePostQuantum, nativeProvider } = await import('../src/node/pq.js')
  const installed = postQuantum()
  const native = nativePostQuantum('auto')
  const providers = [noblePostQuantum, ...(native === undefined ? [] : [nativeProvider(native)])]
  const table = tableFromArrays({ id: Int32Array.from([1]), amount: Float64Array.from([9.5]) })
  const rows: FreshRuntimeRow[] = []
  for (const provider of providers) {
    installPostQuantum(provider)
    const load = loadavg()[0] ?? 0
    const writer = await entry.generateIdentity()
    const reader = await entry.generateIdentity()
    const session = await entry.createWriterSession(writer, { lifetimeSeconds: 3600 })
    const medians: number[] = []
    const cpu: number[] = []
    for (const signer of [writer, session]) {
      const opts = { recipients: { r: [reader.publicKey] }, policy: { fields: { id: ['r'], amount: ['r'] } } }
      const once = async () =>
        entry.openTable(await entry.sealTable(table, { ...opts, signer }), {
          identity: reader,
          trustedSigners: [writer.publicKey],
        })
      for (let i = 0; i < 5; i++) await once()
      const times: number[] = []
      const c0 = process.cpuUsage()
      for (let i = 0; i < samples; i++) {
        const t = performance.now()
        await once()
        times.push(performance.now() - t)
      }
      const c = process.cpuUsage(c0)
      medians.push(median(times))
      cpu.push((c.user + c.system) / 1000 / samples)
    }
    rows.push({
      node: process.version,
      pq: provider.name,
      isDefault: provider.name === installed.name,
      hybridMs: medians[0]!,
      sessionMs: medians[1]!,
      hybridCpuMs: cpu[0]!,
      sessionCpuMs: cpu[1]!,
      load: Math.round(load * 100) / 100,
    })
  }
  installPostQuantum(installed)
  return rows
}

/** The Node binaries to measure: this one first, then installed ones (deduplicated by version). */
function runtimes(): string[] {
  const found = [process.execPath]
  const cache = join(root, '.cache/node')
  if (existsSync(cache)) {
    for (const v of readdirSync(cache).sort()) {
      const bin = join(cache, v, 'bin/node')
      if (existsSync(bin)) found.push(bin)
    }
  }
  // Then every `node` on PATH (the system's Node 20 when this one is Node 24), and any dirs named explicitly.
  const dirs = [...(process.env['PATH'] ?? '').split(':'), ...(process.env['ARROWSEAL_BENCH_NODES'] ?? '').split(':')]
  for (const dir of dirs.filter(Boolean)) {
    if (existsSync(join(dir, 'node'))) found.push(join(dir, 'node'))
  }
  const seen = new Set<string>()
  return found.filter((bin) => {
    const version = execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim()
    if (seen.has(version)) return false
    seen.add(version)
    return true
  })
}

/**
 * Fresh-stream latency on every runtime found, each in a child process; a runtime that fails is reported in
 * `errors`, not thrown, so one broken install does not lose the others' figures.
 *
 * @example
 * ```ts
 * const { rows } = freshAcrossRuntimes(true)
 * for (const r of rows) console.log(r.node, r.pq, r.hybridMs)
 * ```
 */
export function freshAcrossRuntimes(quick: boolean): { rows: FreshRuntimeRow[]; errors: string[] } {
  const rows: FreshRuntimeRow[] = []
  const errors: string[] = []
  for (const bin of runtimes()) {
    try {
      const out = execFileSync(
        bin,
        ['--import', 'tsx', fileURLToPath(import.meta.url), '--here', quick ? '10' : '40'],
        {
          cwd: root,
          encoding: 'utf8',
          timeout: 300_000,
          // The child picks its own default backend; a forced one in this process must not leak into it.
          env: { ...process.env, ARROWSEAL_PQ_BACKEND: 'auto' },
        },
      )
      rows.push(...(JSON.parse(out.trim().split('\n').at(-1) ?? '[]') as FreshRuntimeRow[]))
    } catch (err) {
      errors.push(`${bin}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`)
    }
  }
  return { rows, errors }
}

/**
 * Prints the rows as a table.
 *
 * @example
 * ```ts
 * printFreshRuntimes(freshAcrossRuntimes(true).rows)
 * ```
 */
export function printFreshRuntimes(rows: readonly FreshRuntimeRow[]): void {
  console.log('\nFresh one-row stream, seal + open (ms)        hybrid  session  hybrid-cpu session-cpu  load')
  for (const r of rows) {
    const label = `Node ${r.node.slice(1)}, ${r.pq}${r.isDefault ? ' (default)' : ''}`
    console.log(
      `  ${label.padEnd(42)} ${r.hybridMs.toFixed(2).padStart(7)} ${r.sessionMs.toFixed(2).padStart(8)} ${r.hybridCpuMs.toFixed(2).padStart(10)} ${r.sessionCpuMs.toFixed(2).padStart(11)} ${r.load.toFixed(2).padStart(5)}`,
    )
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const here = process.argv.indexOf('--here')
  if (here >= 0) {
    console.log(JSON.stringify(await measureHere(Number(process.argv[here + 1] ?? 40))))
  } else {
    const { rows, errors } = freshAcrossRuntimes(process.argv.includes('--quick'))
    printFreshRuntimes(rows)
    for (const e of errors) console.log(`  failed: ${e}`)
  }
}
