/**
 * Which Node runtime suite is running: `.ci/run` sets ARROWSEAL_RUNTIME_SUITE to `node20`, `node22` or
 * `node24` for its three runs of the Node tests; outside CI it is derived from the running Node. Tests of an
 * optional native addon (built for one Node ABI) use {@link addonUnavailable} to skip, with the printed reason,
 * on a runtime where it cannot load, instead of failing the whole run.
 */
import { createRequire } from 'node:module'

export const RUNTIME_SUITE: string =
  process.env['ARROWSEAL_RUNTIME_SUITE'] ?? `node${process.versions.node.split('.')[0]}`

/**
 * Why the native addon `name` cannot load on this runtime, or undefined if it loads. Prints the reason once.
 *
 * @example
 * ```ts
 * const why = addonUnavailable('better-sqlite3')
 * describe.skipIf(why !== undefined)('audit log', () => { ... })
 * ```
 */
export function addonUnavailable(name: string): string | undefined {
  try {
    createRequire(import.meta.url)(name)
    return undefined
  } catch (err) {
    const reason = `${name} cannot load on ${RUNTIME_SUITE} (Node ${process.versions.node}): ${(err as Error).message.split('\n')[0]}`
    console.warn(`skipping: ${reason}`)
    return reason
  }
}
