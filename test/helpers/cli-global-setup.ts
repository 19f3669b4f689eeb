/**
 * Vitest global setup (vitest.config.ts): bundles the CLI once for the whole run instead of once per CLI test
 * file, and hands it to the test workers as ARROWSEAL_CLI (test/cli/helpers.ts `buildCli`; vitest gives its
 * workers the environment as it is after global setup). The bundle is only read, so parallel files share it. An
 * ARROWSEAL_CLI already set (a prebuilt CLI) is left as it is.
 */
import { rmSync } from 'node:fs'
import { bundleCli } from '../cli/helpers.js'

export default async function setup(): Promise<() => void> {
  if (process.env['ARROWSEAL_CLI']) return () => {}
  const { dir, cli } = await bundleCli()
  process.env['ARROWSEAL_CLI'] = cli
  return () => {
    delete process.env['ARROWSEAL_CLI']
    rmSync(dir, { recursive: true, force: true })
  }
}
