/**
 * `arrowseal bench`: the quick benchmark. It lives in the repository (bench/), not in the published package,
 * so this command runs `npm run bench -- --quick` in a checkout and explains itself elsewhere.
 * @module
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { Command } from '../args.js'
import { CliError } from '../errors.js'
import { packageInfo } from '../package-root.js'

/**
 * The hint shown when `bench` runs outside a checkout: where the source is, from package.json's `repository`.
 *
 * @example
 * ```ts
 * benchHint({ repository: 'https://example.org/arrowseal.git' })
 * ```
 */
export function benchHint(pkg: { readonly repository?: unknown }): string {
  const repo = pkg.repository
  const raw = typeof repo === 'string' ? repo : (repo as { url?: unknown } | null | undefined)?.url
  const url = typeof raw === 'string' ? raw.replace(/^git\+/, '') : undefined
  const where = url ? `get the source from ${url}` : 'get the arrowseal source (package.json `repository`)'
  return `${where}, then run \`npm install && npm run bench -- --quick\` in it`
}

/**
 * The `bench` command.
 *
 * @example
 * ```ts
 * await bench.run(parseCommandArgs(bench, argv)!)
 * ```
 */
export const bench: Command = {
  name: 'bench',
  help: `Usage: arrowseal bench [-- ARGS…]

Runs the quick benchmark suite (\`npm run bench -- --quick\`) of the arrowseal repository this CLI was built
from, and exits with its status. The benchmarks are not part of the published package: get the source from
the \`repository\` of arrowseal's package.json to run them. Extra arguments after -- are passed to the benchmark.

Options:
  -h, --help  show this help
`,
  options: {},
  maxPositionals: Number.POSITIVE_INFINITY,
  async run(inv) {
    const root = packageInfo()?.root
    if (!root || !existsSync(join(root, 'bench', 'run.ts')))
      throw new CliError(
        'USAGE',
        'the benchmark needs a source checkout of arrowseal (bench/ is not in the published package)',
        benchHint(packageInfo() ?? {}),
      )
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
    const code = await new Promise<number>((resolve, reject) => {
      const child = spawn(npm, ['run', 'bench', '--', '--quick', ...inv.positionals], { cwd: root, stdio: 'inherit' })
      child.on('error', reject)
      child.on('exit', (status, signal) => resolve(status ?? (signal ? 1 : 0)))
    })
    if (code !== 0) process.exitCode = code
  },
}
