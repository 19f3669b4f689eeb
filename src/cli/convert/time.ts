/**
 * ISO-8601 dates and date-times in text, to Arrow `date32` days and timestamps in any unit, exactly (BigInt, no
 * rounding through doubles: `us` and `ns` keep every digit given).
 *
 * A date-time is `YYYY-MM-DD[T or space]HH:MM[:SS[.fraction]][Z|±HH[:]MM]`. With an offset or `Z` it is that
 * instant. Without one it is a wall-clock time in the column's zone: UTC for `tz=UTC` and zone-less (naive)
 * columns, the offset for `tz=±HH:MM`, and the zone's rules for an IANA name (a wall time that a clock change
 * skips or repeats is read with the offset in force just before the change). Digits beyond the unit are
 * truncated, as for the inferred `timestamp[ms, tz=UTC]`.
 * @module
 */
import type { TimestampUnit } from './column-type.js'

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/
const DIGITS: Record<TimestampUnit, number> = { s: 0, ms: 3, us: 6, ns: 9 }
const SCALE: Record<TimestampUnit, bigint> = { s: 1n, ms: 1000n, us: 1_000_000n, ns: 1_000_000_000n }
const MS_PER_DAY = 86_400_000
const FIXED_ZONE = /^[+-]\d{2}:\d{2}$/
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
// 400 Gregorian years repeat the calendar exactly and last 146,097 days.
const MS_PER_400_YEARS = 146_097 * MS_PER_DAY

// Milliseconds of a valid calendar date-time read as UTC, or null (2024-02-31, 24:00 and 12:60 are refused).
function utcMs(y: number, mo: number, d: number, h: number, mi: number, s: number): number | null {
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return null
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0)
  if (d > (mo === 2 && leap ? 29 : DAYS_IN_MONTH[mo - 1]!)) return null
  // Date.UTC reads the years 0-99 as 1900-1999: compute them 400 years later instead.
  return y < 100 ? Date.UTC(y + 400, mo - 1, d, h, mi, s) - MS_PER_400_YEARS : Date.UTC(y, mo - 1, d, h, mi, s)
}

// The value of the `n` ASCII digits of `text` at `at`, or -1 if any is not a digit (or is past the end).
function digitsAt(text: string, at: number, n: number): number {
  let v = 0
  for (let k = at; k < at + n; k++) {
    const c = text.charCodeAt(k)
    if (!(c >= 48 && c <= 57)) return -1
    v = v * 10 + (c - 48)
  }
  return v
}

/**
 * Days since 1970-01-01 of a `YYYY-MM-DD` date, or `null`.
 *
 * @example
 * ```ts
 * parseDate('1970-01-02') // 1
 * ```
 */
export function parseDate(text: string): number | null {
  const m = DATE.exec(text)
  if (!m) return null
  const t = utcMs(Number(m[1]), Number(m[2]), Number(m[3]), 0, 0, 0)
  return t === null ? null : t / MS_PER_DAY
}

// The offset of a `Z`/`±HH[:]MM` suffix of `text` from `at` in milliseconds, NaN if out of range, or null if the
// suffix is not one.
function suffixOffsetMs(text: string, at: number): number | null {
  const c = text.charCodeAt(at)
  const rest = text.length - at - 1
  if (c === 90 || c === 122) return rest === 0 ? 0 : null
  if (c !== 43 && c !== 45) return null
  const h = digitsAt(text, at + 1, 2)
  const mi =
    rest === 5 && text.charCodeAt(at + 3) === 58
      ? digitsAt(text, at + 4, 2)
      : rest === 4
        ? digitsAt(text, at + 3, 2)
        : -1
  if (h < 0 || mi < 0) return null
  if (h > 23 || mi > 59) return Number.NaN
  return (c === 45 ? -1 : 1) * (h * 60 + mi) * 60_000
}

/**
 * The instant of an ISO-8601 date-time (see the module doc) in `unit` since the epoch, or `null`.
 *
 * @example
 * ```ts
 * parseInstant('1970-01-01T00:00:01.5Z', 'ms', 'UTC') // 1500n
 * parseInstant('2024-07-01 12:00', 's', 'Europe/Oslo') // 1719828000n (10:00 UTC)
 * ```
 */
export function parseInstant(text: string, unit: TimestampUnit, zone: string | null): bigint | null {
  const v = parseInstantValue(text, unit, zone)
  return typeof v === 'number' ? BigInt(v) : v
}

/**
 * {@link parseInstant}, as a number where that is exact (a safe integer), else as a BigInt: a column builder
 * writes numbers without allocating a BigInt per value. Parsed by hand, not by a regular expression: a match
 * allocates an array and a string per part, and ingest parses one timestamp per row and column.
 *
 * @example
 * ```ts
 * parseInstantValue('1970-01-01T00:00:01.5Z', 'ms', 'UTC') // 1500
 * parseInstantValue('2024-01-01T00:00:00Z', 'ns', 'UTC') // 1704067200000000000n
 * ```
 */
export function parseInstantValue(text: string, unit: TimestampUnit, zone: string | null): number | bigint | null {
  // YYYY-MM-DD[T or space]HH:MM
  const sep = text.charCodeAt(10)
  if (text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45 || text.charCodeAt(13) !== 58) return null
  if (sep !== 84 && sep !== 116 && sep !== 32) return null
  const y = digitsAt(text, 0, 4)
  const mo = digitsAt(text, 5, 2)
  const d = digitsAt(text, 8, 2)
  const h = digitsAt(text, 11, 2)
  const mi = digitsAt(text, 14, 2)
  if (y < 0 || mo < 0 || d < 0 || h < 0 || mi < 0) return null
  let at = 16
  let s = 0
  if (text.charCodeAt(at) === 58) {
    s = digitsAt(text, at + 1, 2)
    if (s < 0) return null
    at += 3
  }
  // [.fraction]: at least one digit
  let fractionStart = at
  let fractionEnd = at
  if (text.charCodeAt(at) === 46) {
    fractionStart = fractionEnd = at + 1
    for (let c = text.charCodeAt(fractionEnd); c >= 48 && c <= 57; c = text.charCodeAt(++fractionEnd));
    if (fractionEnd === fractionStart) return null
    at = fractionEnd
  }
  const wall = utcMs(y, mo, d, h, mi, s)
  if (wall === null) return null
  let offsetMs: number
  if (at < text.length) {
    const given = suffixOffsetMs(text, at)
    if (given === null) return null
    offsetMs = given
  } else if (zone === null || zone === 'UTC') offsetMs = 0
  else if (FIXED_ZONE.test(zone)) offsetMs = fixedOffsetMs(zone)
  else offsetMs = zoneOffsetAt(zone, wall)
  if (!Number.isFinite(offsetMs)) return null
  // Digits beyond the unit are truncated; missing ones are zeros.
  const digits = DIGITS[unit]
  let fraction = 0
  for (let k = 0; k < digits; k++) {
    const p = fractionStart + k
    fraction = fraction * 10 + (p < fractionEnd ? text.charCodeAt(p) - 48 : 0)
  }
  const seconds = (wall - offsetMs) / 1000
  // Exact in a double when the scaled seconds are a safe integer (products and sums below 2^53 do not round).
  const scaled = seconds * 10 ** digits
  if (Number.isSafeInteger(scaled) && Number.isSafeInteger(scaled + fraction)) return scaled + fraction
  return BigInt(seconds) * SCALE[unit] + BigInt(fraction)
}

function fixedOffsetMs(text: string): number {
  const sign = text[0] === '-' ? -1 : 1
  const digits = text.slice(1).replace(':', '')
  const h = Number(digits.slice(0, 2))
  const mi = Number(digits.slice(2, 4))
  if (h > 23 || mi > 59) return Number.NaN
  return sign * (h * 60 + mi) * 60_000
}

const formatters = new Map<string, Intl.DateTimeFormat>()

// The zone's UTC offset at the instant `utc`, from Intl (the runtime's time zone database).
function offsetAt(zone: string, utc: number): number {
  let f = formatters.get(zone)
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    })
    formatters.set(zone, f)
  }
  const p: Record<string, number> = {}
  for (const part of f.formatToParts(utc)) if (part.type !== 'literal') p[part.type] = Number(part.value)
  const local = Date.UTC(p['year']!, p['month']! - 1, p['day']!, p['hour']!, p['minute']!, p['second']!)
  return local - Math.floor(utc / 1000) * 1000
}

// The offset that turns wall-clock time `wall` (as if UTC) in `zone` into an instant: two rounds find the
// offset in force at that instant; in a skipped or repeated hour the earlier offset wins.
function zoneOffsetAt(zone: string, wall: number): number {
  const first = offsetAt(zone, wall)
  const second = offsetAt(zone, wall - first)
  if (first === second) return first
  const third = offsetAt(zone, wall - second)
  return third === second ? second : Math.max(first, second)
}
