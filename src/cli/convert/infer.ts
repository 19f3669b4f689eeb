/**
 * Type inference for text inputs (CSV and NDJSON), deliberately small so that users can predict it.
 *
 * A column gets the first type below that *every* non-null value in it fits; otherwise it is `utf8`:
 *
 * 1. `int64`  — `-?(0|[1-9][0-9]*)` within the signed 64-bit range. Leading zeros ("007", ZIP codes, national
 *    ids) and a leading `+` (phone numbers) are *not* integers, so those values keep their exact text.
 * 2. `float64` — a decimal number with optional fraction and exponent (`-1.5`, `2e10`); no `NaN`/`Infinity`.
 * 3. `bool`   — `true` or `false`, any case. Not `0`/`1` or `yes`/`no`.
 * 4. `timestamp[ms, UTC]` — ISO-8601 date *and* time: `YYYY-MM-DD[T or space]HH:MM[:SS[.fraction]][Z|±HH[:]MM]`.
 *    A time without a zone is read as UTC; fractions beyond milliseconds are truncated. A bare date stays text.
 * 5. `utf8`   — everything else, and columns whose values are all null.
 *
 * Types are chosen from the first rows only (`--infer-rows`, default 10,000): see `csv-read.ts`/`ndjson-read.ts`.
 * CSV: an empty field is null. NDJSON: JSON `null` or a missing key is null; JSON numbers, booleans and strings are
 * inferred by the same rules (strings only as timestamp or utf8), and objects, arrays or mixed-type columns become
 * `utf8` holding the value's JSON text.
 *
 * @module
 */
import { parseInstant } from './time.js'

/**
 * The types text inputs can produce.
 *
 * @example
 * ```ts
 * const type: InferredType = inferTextType(['1', '2'])
 * ```
 */
export type InferredType = 'int64' | 'float64' | 'bool' | 'timestamp' | 'utf8'

const INT = /^-?(0|[1-9]\d*)$/
const FLOAT = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/
const BOOL = /^(true|false)$/i
const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n

function isInt64(text: string): boolean {
  if (!INT.test(text)) return false
  const v = BigInt(text)
  return v >= INT64_MIN && v <= INT64_MAX
}

/**
 * Whether a text value fits an inferred type by the rules above (stricter than a `--schema` type: `007` is not
 * an int64 here, so that rows after the inference window cannot lose text the window would have kept).
 *
 * @example
 * ```ts
 * fitsInferred('int64', '007') // false
 * ```
 */
export function fitsInferred(type: InferredType, text: string): boolean {
  switch (type) {
    case 'int64':
      return isInt64(text)
    case 'float64':
      return FLOAT.test(text)
    case 'bool':
      return BOOL.test(text)
    case 'timestamp':
      return parseTimestamp(text) !== null
    case 'utf8':
      return true
  }
}

/**
 * The check a value of an inferred column must pass on top of its column builder's own parsing, or `undefined`
 * when the builder's parsing is already exactly the inference rule (timestamps, text). Cheaper than
 * {@link fitsInferred}: an int64 builder checks the range itself, so only the canonical form is left to test.
 *
 * @example
 * ```ts
 * extraInferredCheck('int64')?.('007') // false
 * ```
 */
export function extraInferredCheck(type: InferredType): ((text: string) => boolean) | undefined {
  switch (type) {
    case 'int64':
      return (text) => INT.test(text)
    case 'float64':
      return (text) => FLOAT.test(text)
    case 'bool':
      return (text) => BOOL.test(text)
    default:
      return undefined
  }
}

/**
 * Parses an ISO-8601 date-time (see the module doc) to milliseconds since the epoch, or `null` if it is not one.
 *
 * @example
 * ```ts
 * parseTimestamp('2024-03-01 12:00:00') // 1709294400000
 * parseTimestamp('2024-03-01')          // null
 * ```
 */
export function parseTimestamp(text: string): number | null {
  const t = parseInstant(text, 'ms', 'UTC')
  return t === null ? null : Number(t)
}

/**
 * Chooses the type of a text column by the rules in the module doc. `null` entries are ignored.
 *
 * @example
 * ```ts
 * inferTextType(['1', null, '-3']) // 'int64'
 * inferTextType(['007'])           // 'utf8'
 * ```
 */
export function inferTextType(values: readonly (string | null)[]): InferredType {
  let int = true
  let float = true
  let bool = true
  let ts = true
  let any = false
  for (const v of values) {
    if (v === null) continue
    any = true
    if (int && !isInt64(v)) int = false
    if (float && !FLOAT.test(v)) float = false
    if (bool && !BOOL.test(v)) bool = false
    if (ts && parseTimestamp(v) === null) ts = false
    if (!int && !float && !bool && !ts) return 'utf8'
  }
  if (!any) return 'utf8'
  if (int) return 'int64'
  if (float) return 'float64'
  if (bool) return 'bool'
  return ts ? 'timestamp' : 'utf8'
}
