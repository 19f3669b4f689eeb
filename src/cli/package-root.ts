/**
 * Finding the arrowseal package root from the running module, whether it runs from `src/` (tsx) or from a
 * bundled chunk in `dist/`, to read the version and to find a repository checkout for `bench`.
 * @module
 */
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * The directory of arrowseal's package.json and its version, or `null` if it cannot be found.
 *
 * @example
 * ```ts
 * packageInfo()?.version // '0.1.0'
 * ```
 */
export function packageInfo(): { root: string; version: string; repository: unknown } | null {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 6; i++) {
    const file = join(dir, 'package.json')
    if (existsSync(file)) {
      try {
        const pkg = JSON.parse(readFileSync(file, 'utf8')) as {
          name?: unknown
          version?: unknown
          repository?: unknown
        }
        if (pkg.name === 'arrowseal' && typeof pkg.version === 'string')
          return { root: dir, version: pkg.version, repository: pkg.repository }
      } catch {
        // Not ours or unreadable: keep walking up.
      }
    }
    const parent = dirname(dir)
    if (parent === dir) break
    dir = parent
  }
  return null
}
