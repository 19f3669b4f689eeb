import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

// `arrowseal`, `arrowseal/node`, `arrowseal/store` and `arrowseal/nats` resolve to the sources so that docs samples and examples test the real code.
const src = (p: string) => fileURLToPath(new URL(`./src/${p}`, import.meta.url))

export default defineConfig({
  resolve: {
    alias: [
      { find: /^arrowseal\/node$/, replacement: src('node/index.ts') },
      { find: /^arrowseal\/store$/, replacement: src('store/index.ts') },
      { find: /^arrowseal\/kas$/, replacement: src('kas/index.ts') },
      { find: /^arrowseal\/nats$/, replacement: src('nats/index.ts') },
      { find: /^arrowseal$/, replacement: src('index.node.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/browser/**', 'test/site/**', 'node_modules/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Three workers, files in parallel. vitest's default in run mode is one worker less than the cores: one on the
    // 2-core CI machine, where most of the slow files wait on child processes (the CLI, crash and NATS workers),
    // PostgreSQL, NATS and sockets rather than compute. The files share no fixed resource: servers listen on port 0,
    // temporary directories come from mkdtemp, PostgreSQL schemas and NATS subjects carry the pid or random bytes,
    // and bundles for child processes go to per-pid directories. ARROWSEAL_TEST_WORKERS overrides the count
    // (1 runs the files one after another, as before).
    maxWorkers: Number(process.env['ARROWSEAL_TEST_WORKERS'] ?? 3),
    fileParallelism: true,
    // The CLI is bundled once for the run (not once per CLI test file) and shared through ARROWSEAL_CLI.
    globalSetup: ['test/helpers/cli-global-setup.ts'],
  },
})
