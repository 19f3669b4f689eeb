import { defineConfig } from 'tsup'

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'index.node': 'src/index.node.ts',
    'node/index': 'src/node/index.ts',
    'node/worker': 'src/node/worker.ts',
    'store/index': 'src/store/index.ts',
    'kas/index': 'src/kas/index.ts',
    'cli/main': 'src/cli/main.ts',
  },
  format: ['esm'],
  dts: {
    entry: {
      index: 'src/index.ts',
      'index.node': 'src/index.node.ts',
      'node/index': 'src/node/index.ts',
      'store/index': 'src/store/index.ts',
      'kas/index': 'src/kas/index.ts',
    },
  },
  target: 'es2022',
  platform: 'neutral',
  sourcemap: true,
  clean: true,
  splitting: true,
  treeshake: true,
  external: ['apache-arrow', 'better-sqlite3', 'pg', /^node:/],
})
