/**
 * The hand-written ISO-8601 parser of src/cli/convert/time.ts against the regular expression it replaced (kept
 * here as the oracle): the same instant or the same refusal for every text, in every unit and zone kind. And the
 * 64-bit column builders, which write safe integers as two 32-bit halves: every value reads back exactly.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { TimestampUnit } from '../../src/cli/convert/column-type.js'
import { columnBuilder } from '../../src/cli/convert/columns.js'
import { parseInstant } from '../../src/cli/convert/time.js'

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})?$/i

function fixed(text: string): number {
  const h = Number(text.slice(1, 3))
  const mi = Number(text.replace(':', '').slice(3, 5))
  return h > 23 || mi > 59 ? Number.NaN : (text[0] === '-' ? -1 : 1) * (h * 60 + mi) * 60_000
}

// The previous implementation, for fixed zones only (named zones go through the same code in both).
function oracle(text: string, unit: TimestampUnit, zone: string | null): bigint | null {
  const m = DATE_TIME.exec(text)
  if (!m) return null
  const [y, mo, d, h, mi, s] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i] ?? 0)) as number[]
  if (mo! < 1 || mo! > 12 || d! < 1 || d! > 31 || h! > 23 || mi! > 59 || s! > 59) return null
  // Years 0-99 through a year 400 later (Date.UTC reads 0-99 as 1900-1999).
  const shift = y! < 100 ? 400 : 0
  const wall = Date.UTC(y! + shift, mo! - 1, d!, h!, mi!, s!)
  const back = new Date(wall)
  if (back.getUTCFullYear() !== y! + shift || back.getUTCMonth() !== mo! - 1 || back.getUTCDate() !== d!) return null
  const given = m[8]
  const offset = given
    ? given.toUpperCase() === 'Z'
      ? 0
      : fixed(given)
    : zone === null || zone === 'UTC'
      ? 0
      : fixed(zone)
  if (!Number.isFinite(offset)) return null
  const digits = { s: 0, ms: 3, us: 6, ns: 9 }[unit]
  const fraction = (m[7] ?? '').slice(0, digits).padEnd(digits, '0')
  const seconds = BigInt((wall - (shift ? 146_097 * 86_400_000 : 0) - offset) / 1000)
  return seconds * 10n ** BigInt(digits) + (digits > 0 ? BigInt(fraction) : 0n)
}

const pad = (n: number, w: number) => String(n).padStart(w, '0')
const digitText = (min: number, max: number) => fc.stringMatching(new RegExp(`^\\d{${min},${max}}$`))
// Mostly well-formed date-times with every optional part, and some noise in each position.
const dateTime = fc
  .record({
    y: fc.integer({ min: 0, max: 9999 }),
    mo: fc.integer({ min: 0, max: 13 }),
    d: fc.integer({ min: 0, max: 32 }),
    sep: fc.constantFrom('T', 't', ' ', 'x'),
    h: fc.integer({ min: 0, max: 25 }),
    mi: fc.integer({ min: 0, max: 61 }),
    s: fc.option(fc.integer({ min: 0, max: 61 })),
    fraction: fc.option(digitText(0, 12)),
    suffix: fc.constantFrom('', 'Z', 'z', '+01:00', '-0530', '+24:00', '+01:60', '+1', '+01:0', 'Zx', ' '),
  })
  .map(
    (p) =>
      `${pad(p.y, 4)}-${pad(p.mo, 2)}-${pad(p.d, 2)}${p.sep}${pad(p.h, 2)}:${pad(p.mi, 2)}` +
      `${p.s === null ? '' : `:${pad(p.s, 2)}`}${p.fraction === null ? '' : `.${p.fraction}`}${p.suffix}`,
  )

describe('parseInstant (hand-written) agrees with the regular expression it replaced', () => {
  it('property: same instant or same refusal, any unit, UTC, naive or fixed-offset column', () => {
    fc.assert(
      fc.property(
        fc.oneof(dateTime, fc.string({ maxLength: 30 })),
        fc.constantFrom<TimestampUnit>('s', 'ms', 'us', 'ns'),
        fc.constantFrom('UTC', null, '+02:00', '-11:30'),
        (text, unit, zone) => {
          expect(parseInstant(text, unit, zone)).toBe(oracle(text, unit, zone))
        },
      ),
      { numRuns: 5000 },
    )
  })

  it('years 0000-0099 are those years, not 1900-1999', () => {
    expect(parseInstant('0050-03-01T00:00:00Z', 's', 'UTC')).toBe(
      BigInt(Date.UTC(2450, 2, 1) / 1000) - 146_097n * 86_400n * 6n,
    )
    expect(parseInstant('0000-02-29T00:00:00Z', 'ms', 'UTC')).not.toBeNull()
    expect(parseInstant('0100-02-29T00:00:00Z', 'ms', 'UTC')).toBeNull()
  })
})

describe('64-bit columns keep every value (safe integers go in as two 32-bit halves)', () => {
  const int64 = fc.oneof(
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
    fc.integer({ min: -(2 ** 40), max: 2 ** 40 }).map(BigInt),
    fc.constantFrom(0n, -1n, 2n ** 31n, -(2n ** 31n), 2n ** 32n, -(2n ** 32n), 2n ** 53n - 1n, -(2n ** 53n) + 1n),
  )
  it('property: int64 and uint64 from text and from JSON numbers, with nulls', () => {
    fc.assert(
      fc.property(fc.array(fc.option(int64), { maxLength: 3000 }), fc.boolean(), (values, signed) => {
        const wanted = values.map((v) => (v === null ? null : signed ? v : BigInt.asUintN(64, v)))
        const text = columnBuilder({ kind: 'int', bits: 64, signed }, true)
        const json = columnBuilder({ kind: 'int', bits: 64, signed }, true)
        for (const v of wanted) {
          expect(text.appendText(v === null ? null : String(v))).toBeUndefined()
          const safe = v !== null && v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER)
          expect(json.appendJson(v === null ? null : safe ? Number(v) : String(v))).toBeUndefined()
        }
        for (const built of [text.finish(), json.finish()]) {
          const got = Array.from({ length: built.length }, (_, i) =>
            built.getValid(i) ? (built.values as BigInt64Array)[i] : null,
          )
          expect(got).toEqual(wanted)
        }
      }),
      { numRuns: 200 },
    )
  })

  it('timestamps before and after 1970, in every unit', () => {
    const b = columnBuilder({ kind: 'timestamp', unit: 'us', timezone: 'UTC' }, true)
    const texts = [
      '1969-12-31T23:59:59.999999Z',
      '0001-01-01T00:00:00Z',
      '9999-12-31T23:59:59.999999Z',
      '2024-02-29 12:00',
    ]
    for (const t of texts) expect(b.appendText(t)).toBeUndefined()
    const data = b.finish()
    expect(Array.from(data.values as BigInt64Array)).toEqual(texts.map((t) => parseInstant(t, 'us', 'UTC')))
    expect((data.values as BigInt64Array)[0]).toBe(-1n)
  })
})
