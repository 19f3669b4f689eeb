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

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})?$/i
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/
const DIGITS: Record<TimestampUnit, number> = { s: 0, ms: 3, us: 6, ns: 9 }
const SCALE: Record<TimestampUnit, bigint> = { s: 1n, ms: 1000n, us: 1_000_000n, ns: 1_000_000_000n }
const MS_PER_DAY = 86_400_000

// Milliseconds of a valid calendar date-time read as UTC, or null (2024-02-31, 24:00 and 12:60 are refused).
function utcMs(y: number, mo: number, d: number, h: number, mi: number, s: number): number | null {
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) return null
  const t = Date.UTC(y, mo - 1, d, h, mi, s)
  const back = new Date(t)
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return null
  return t
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
  const m = DATE_TIME.exec(text)
  if (!m) return null
  const wall = utcMs(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0))
  if (wall === null) return null
  let offsetMs: number
  const given = m[8]
  if (given) offsetMs = given.toUpperCase() === 'Z' ? 0 : fixedOffsetMs(given)
  else if (zone === null || zone === 'UTC') offsetMs = 0
  else if (/^[+-]\d{2}:\d{2}$/.test(zone)) offsetMs = fixedOffsetMs(zone)
  else offsetMs = zoneOffsetAt(zone, wall)
  if (!Number.isFinite(offsetMs)) return null
  const digits = DIGITS[unit]
  const fraction = (m[7] ?? '').slice(0, digits).padEnd(digits, '0')
  const seconds = BigInt((wall - offsetMs) / 1000)
  return seconds * SCALE[unit] + (digits > 0 ? BigInt(fraction) : 0n)
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
