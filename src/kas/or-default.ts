/**
 * The default for a configuration field only when the field is absent. `??` would also replace `null`, and a
 * config file's `"rate": null` is a mistake to report, not a request for the default.
 * @module
 * @internal
 */

/** @internal */
export function orDefault<T>(value: T | undefined, fallback: T): T {
  return value === undefined ? fallback : value
}
