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
 * CSV: an empty field is null. NDJSON: JSON `null` or a missing key is null; JSON numbers, booleans and strings are
 * inferred by the same rules (strings only as timestamp or utf8), and objects, arrays or mixed-type columns become
 * `utf8` holding the value's JSON text.
 *
 * @module
 */
import { Bool, Float64, Int64, TimestampMillisecond, Utf8, type Vector, vectorFromArray } from 'apache-arrow'

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
const TIMESTAMP = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})(:\d{2})?(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/i
const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n

function isInt64(text: string): boolean {
  if (!INT.test(text)) return false
  const v = BigInt(text)
  return v >= INT64_MIN && v <= INT64_MAX
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
  const m = TIMESTAMP.exec(text)
  if (!m) return null
  const [, date, hm, sec, frac, zone] = m
  const ms = frac ? `.${frac.slice(1, 4).padEnd(3, '0')}` : ''
  let tz = zone ? zone.toUpperCase() : 'Z'
  if (tz.length === 5) tz = `${tz.slice(0, 3)}:${tz.slice(3)}`
  const iso = `${date}T${hm}${sec ?? ':00'}${ms}${tz}`
  const t = Date.parse(iso)
  if (Number.isNaN(t)) return null
  // Date.parse rolls 2024-02-31 over to March; a round trip of the date part catches that.
  if (tz === 'Z' && new Date(t).toISOString().slice(0, 10) !== date) return null
  return t
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

/**
 * Builds an Arrow vector from text values of an already inferred type.
 *
 * @example
 * ```ts
 * const v = textVector(['1', null], 'int64') // Int64 vector [1n, null]
 * ```
 */
export function textVector(values: readonly (string | null)[], type: InferredType): Vector {
  switch (type) {
    case 'int64':
      return vectorFromArray(
        values.map((v) => (v === null ? null : BigInt(v))),
        new Int64(),
      )
    case 'float64':
      return vectorFromArray(
        values.map((v) => (v === null ? null : Number(v))),
        new Float64(),
      )
    case 'bool':
      return vectorFromArray(
        values.map((v) => (v === null ? null : v.toLowerCase() === 'true')),
        new Bool(),
      )
    case 'timestamp':
      return vectorFromArray(
        values.map((v) => (v === null ? null : parseTimestamp(v))),
        new TimestampMillisecond('UTC'),
      )
    case 'utf8':
      return vectorFromArray(values as (string | null)[], new Utf8())
  }
}
