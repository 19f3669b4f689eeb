/**
 * The core suite in a real browser: headless Chromium from Debian's `chromium` package, driven by Playwright
 * through vitest's browser mode. Runs test/browser/**\/*.test.ts on the WebCrypto backend.
 *
 * The `no-node-builtins` plugin fails the build if any module of the core (src/ outside src/node and src/cli)
 * imports a Node built-in: the core must run on Web APIs alone, and this names the offending import.
 */
import { fileURLToPath } from 'node:url'
import { playwright } from '@vitest/browser-playwright'
import type { Plugin } from 'vite'
import { defineConfig } from 'vitest/config'
import { CHROMIUM, CHROMIUM_ARGS } from './test/site/chromium.js'

const src = (p: string) => fileURLToPath(new URL(`./src/${p}`, import.meta.url))
const srcDir = fileURLToPath(new URL('./src/', import.meta.url))
const nodeOnly = [`${srcDir}node/`, `${srcDir}cli/`]
const builtins = new Set(['fs', 'path', 'url', 'crypto', 'stream', 'os', 'worker_threads', 'util', 'buffer', 'zlib'])

const noNodeBuiltins: Plugin = {
  name: 'arrowseal:no-node-builtins',
  enforce: 'pre',
  resolveId(id, importer) {
    if (!importer?.startsWith(srcDir) || nodeOnly.some((d) => importer.startsWith(d))) return null
    const bare = id.replace(/^node:/, '').split('/')[0]!
    if (id.startsWith('node:') || builtins.has(bare)) {
      this.error(`core module ${importer.slice(srcDir.length - 4)} imports the Node built-in "${id}"`)
    }
    return null
  },
}

export default defineConfig({
  plugins: [noNodeBuiltins],
  resolve: {
    alias: [{ find: /^arrowseal$/, replacement: src('index.ts') }],
  },
  // Pre-bundled up front: a dependency discovered mid-run makes Vite reload the page and drop a test file.
  // apache-arrow is not pre-bundled: src/arrow imports some of its internals by deep path, and a pre-bundled main
  // entry would be a second copy of the library whose deep modules then evaluate its import cycle out of order
  // (`getVisitFnByTypeId` of undefined). Served as its own ES modules, main and deep imports share one copy.
  optimizeDeps: {
    exclude: ['apache-arrow'],
    include: [
      'apache-arrow > flatbuffers',
      'apache-arrow > tslib',
      'fflate',
      'fast-check',
      '@noble/ciphers/aes.js',
      '@noble/ciphers/chacha.js',
      '@noble/curves/ed25519.js',
      '@noble/hashes/hkdf.js',
      '@noble/hashes/hmac.js',
      '@noble/hashes/sha2.js',
      '@noble/hashes/sha3.js',
      '@noble/hashes/utils.js',
      '@noble/post-quantum/ml-dsa.js',
      '@noble/post-quantum/ml-kem.js',
      '@noble/post-quantum/hybrid.js',
    ],
  },
  test: {
    include: ['test/browser/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    browser: {
      enabled: true,
      headless: true,
      screenshotFailures: false,
      provider: playwright({
        launchOptions: { executablePath: CHROMIUM, args: [...CHROMIUM_ARGS] },
      }),
      instances: [{ browser: 'chromium' }],
    },
  },
})
