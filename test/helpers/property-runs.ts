/**
 * fast-check run counts for properties whose outcome does not depend on the runtime (parsers, mutation
 * refusal, round trips through the same code on every runtime): the full count where ARROWSEAL_PROPERTY_RUNS is
 * unset (Node 20 in CI, and every local run), a fraction of it where `.ci/run` sets it for the second and third
 * runtime. A property that checks the runtime itself (node:crypto, Web Crypto, the native backend) keeps a
 * plain count. Never below 10 runs, so each property still runs meaningfully.
 */
const SCALE = Number(process.env['ARROWSEAL_PROPERTY_RUNS'] ?? 1)

/**
 * `n` runs on the full suite, `n × ARROWSEAL_PROPERTY_RUNS` (at least 10) on a repeat runtime.
 *
 * @example
 * ```ts
 * fc.assert(property, { numRuns: propertyRuns(1500) })
 * ```
 */
export function propertyRuns(n: number): number {
  if (!(SCALE > 0 && SCALE < 1)) return n
  return Math.min(n, Math.max(10, Math.ceil(n * SCALE)))
}
