import { defineConfig } from 'vitest/config'

// Browser check of the built docs site (issue 6). Run after `npm run docs:build`:
//   npx vitest run --config vitest.site.config.ts
export default defineConfig({
  test: {
    include: ['test/site/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
})
