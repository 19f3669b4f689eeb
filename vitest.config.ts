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
  },
})
