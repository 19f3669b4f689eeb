/**
 * Helpers for CLI tests: build the CLI once per test file with esbuild (the same entry and externals tsup uses,
 * ~1 s, no shared state between parallel test files), spawn it like a person would, and make temp directories.
 */
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

export const ROOT = fileURLToPath(new URL('../../', import.meta.url))

let built: Promise<string> | undefined

/** Bundles src/cli/main.ts into node_modules/.cache (so `apache-arrow` resolves), once per test worker. */
export function buildCli(): Promise<string> {
  const prebuilt = process.env['ARROWSEAL_CLI']
  if (prebuilt) return Promise.resolve(prebuilt)
  built ??= bundle()
  return built
}

async function bundle(): Promise<string> {
  const cache = join(ROOT, 'node_modules', '.cache', 'arrowseal-cli-test')
  removeStaleBuilds(cache)
  const dir = join(cache, `${process.pid}-${Date.now()}`)
  mkdirSync(dir, { recursive: true })
  // One build per test file; removed when the test worker exits so the cache does not grow run after run.
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }))
  await build({
    entryPoints: [join(ROOT, 'src/cli/main.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'es2022',
    // Loaded from node_modules, as in the published build (tsup.config.ts): the gateway's server packages are
    // CommonJS with dynamic requires, and the NATS client is an optional peer dependency.
    external: ['apache-arrow', 'fastify', 'prom-client', 'jose', '@nats-io/*', 'parquet-wasm'],
    // Split like tsup does, so the lazily loaded commands stay lazy and `--help` starts fast.
    splitting: true,
    outdir: dir,
    outExtension: { '.js': '.mjs' },
    logLevel: 'error',
  })
  return join(dir, 'main.mjs')
}

// Builds of test workers that have exited (a worker may be stopped without running its 'exit' hook).
function removeStaleBuilds(cache: string): void {
  let entries: string[]
  try {
    entries = readdirSync(cache)
  } catch {
    return
  }
  for (const name of entries) {
    const pid = Number(name.split('-')[0])
    if (!Number.isInteger(pid) || pid === process.pid) continue
    try {
      process.kill(pid, 0)
    } catch {
      rmSync(join(cache, name), { recursive: true, force: true })
    }
  }
}

export interface RunResult {
  code: number | null
  stdout: string
  stderr: string
  stdoutBytes: Buffer
}

/** Spawns `node CLI ...args` with optional stdin; never throws on a non-zero exit. */
export function runCli(
  cli: string,
  args: readonly string[],
  options: { cwd?: string; input?: Uint8Array | string; env?: Record<string, string> } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], {
      cwd: options.cwd,
      env: { ...process.env, NO_COLOR: '1', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (d: Buffer) => out.push(d))
    child.stderr.on('data', (d: Buffer) => err.push(d))
    child.on('error', reject)
    child.on('close', (code) => {
      const stdoutBytes = Buffer.concat(out)
      resolve({ code, stdout: stdoutBytes.toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), stdoutBytes })
    })
    child.stdin.end(options.input ?? '')
  })
}

/** A fresh temporary directory, removed by the returned cleanup function. */
export function tempDir(prefix = 'arrowseal-cli-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

/**
 * `seal --policy POLICY --recipients recipients.json --signer writer.key ...rest`, the seal command line of the CLI
 * tests: `at` resolves a file name in the test's work directory, which holds recipients.json and writer.key.
 */
export function sealArgs(at: (name: string) => string, policy: string, ...rest: string[]): string[] {
  return ['seal', '--policy', at(policy), '--recipients', at('recipients.json'), '--signer', at('writer.key'), ...rest]
}
