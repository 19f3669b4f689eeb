/**
 * Helpers for CLI tests: build the CLI with esbuild (the same entry and externals tsup uses, ~1 s; once per run
 * through test/helpers/cli-global-setup.ts, else once per test worker), spawn it like a person would, make temp
 * directories, and set up the work directory the CLI tests share ({@link cliFixture}).
 */
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { generateIdentity, type Identity } from '../../src/index.js'
import { writeIdentityFile } from '../../src/node/files.js'

export const ROOT = fileURLToPath(new URL('../../', import.meta.url))

let built: Promise<string> | undefined

/**
 * The CLI to run: ARROWSEAL_CLI if set (test/helpers/cli-global-setup.ts sets it to the bundle it built for the
 * whole run), else a bundle of src/cli/main.ts in node_modules/.cache (so `apache-arrow` resolves), once per
 * test worker.
 */
export function buildCli(): Promise<string> {
  const prebuilt = process.env['ARROWSEAL_CLI']
  if (prebuilt) return Promise.resolve(prebuilt)
  built ??= bundle()
  return built
}

async function bundle(): Promise<string> {
  const { dir, cli } = await bundleCli()
  // Removed when the test worker exits so the cache does not grow run after run.
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }))
  return cli
}

/** Bundles src/cli/main.ts into a fresh directory of node_modules/.cache; the caller removes `dir`. */
export async function bundleCli(): Promise<{ dir: string; cli: string }> {
  const cache = join(ROOT, 'node_modules', '.cache', 'arrowseal-cli-test')
  removeStaleBuilds(cache)
  const dir = join(cache, `${process.pid}-${Date.now()}`)
  mkdirSync(dir, { recursive: true })
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
  return { dir, cli: join(dir, 'main.mjs') }
}

// Builds of processes that have exited (a worker may be stopped without running its 'exit' hook).
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

/** What {@link cliFixture} sets up in its temporary directory. */
export interface CliFixtureOptions<N extends string> {
  /** Prefix of the temporary directory's name. */
  prefix?: string
  /** Identities to generate; each is written to `NAME.key` the way `arrowseal keygen -o NAME.key` writes it. */
  identities: readonly N[]
  /** The content of recipients.json, given the public keys by identity name (omitted: no recipients.json). */
  recipients?: (keys: Record<N, string>) => unknown
  /** The content of policy.json (omitted: no policy.json). */
  policy?: unknown
}

/** A CLI test's work directory: the CLI to run, the directory, its identities and their public keys. */
export interface CliFixture<N extends string> {
  cli: string
  dir: string
  identities: Record<N, Identity>
  keys: Record<N, string>
  /** Removes the directory. */
  cleanup: () => void
}

/**
 * The fixture the CLI tests share: a fresh temporary directory, the CLI built (once per run, see
 * test/helpers/cli-global-setup.ts), an identity file per name, and recipients.json and policy.json. Call it in
 * `beforeAll` and the returned `cleanup` in `afterAll`.
 */
export async function cliFixture<N extends string>(options: CliFixtureOptions<N>): Promise<CliFixture<N>> {
  const { dir, cleanup } = tempDir(options.prefix)
  try {
    const at = (name: string) => join(dir, name)
    const [cli, generated] = await Promise.all([
      buildCli(),
      Promise.all(options.identities.map(() => generateIdentity())),
    ])
    const identities = {} as Record<N, Identity>
    const keys = {} as Record<N, string>
    for (const [i, name] of options.identities.entries()) {
      const identity = generated[i]!
      identities[name] = identity
      keys[name] = identity.publicKey
      await writeIdentityFile(at(`${name}.key`), identity)
    }
    if (options.recipients) writeFileSync(at('recipients.json'), JSON.stringify(options.recipients(keys)))
    if (options.policy !== undefined) writeFileSync(at('policy.json'), JSON.stringify(options.policy))
    return { cli, dir, identities, keys, cleanup }
  } catch (err) {
    cleanup()
    throw err
  }
}
