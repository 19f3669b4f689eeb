/**
 * NDJSON line splitting and record picking (src/cli/convert/ndjson-read.ts): whatever the chunking, line endings,
 * blank lines, key order and missing keys, the rows read back are the objects written, and line numbers in
 * errors count every line.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { jsonValue } from '../../src/cli/convert/values.js'
import { readText } from './text-helpers.js'

const KEYS = ['id', 'name', 'x', '__proto__', 'constructor'] as const
const value = fc.oneof(
  fc.constant(null),
  fc.integer({ min: -1e6, max: 1e6 }),
  fc.string({ maxLength: 12, unit: 'grapheme' }),
)

describe('NDJSON reading', () => {
  it('property: rows read back whatever the chunking, CRLF, blank lines, key order and missing keys', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.dictionary(fc.constantFrom(...KEYS), value, { minKeys: 1 }), { minLength: 1, maxLength: 40 }),
        fc.array(fc.constantFrom('\n', '\r\n', '\n\n', '\n  \n'), { minLength: 40, maxLength: 40 }),
        fc.boolean(),
        fc.integer({ min: 1, max: 64 }),
        async (records, ends, finalBreak, chunk) => {
          // The first record names every key, as text, so that the inferred columns are all utf8.
          const first = Object.fromEntries(KEYS.map((k) => [k, 'first']))
          const all = [first, ...records]
          const text = all
            .map((r, i) => `${JSON.stringify(r)}${i === all.length - 1 && !finalBreak ? '' : ends[i % ends.length]}`)
            .join('')
          const { table } = await readText(text, 'ndjson', { batchRows: 7 }, chunk)
          expect(table.numRows).toBe(all.length)
          expect(table.schema.fields.map((f) => f.name)).toEqual([...KEYS])
          for (const [c, field] of table.schema.fields.entries()) {
            const column = table.getChildAt(c)!
            const got = Array.from({ length: table.numRows }, (_, r) => jsonValue(column.get(r), field.type))
            const want = all.map((r) => {
              const v = Object.hasOwn(r, field.name) ? (r as Record<string, unknown>)[field.name] : null
              return v === null || v === undefined ? null : typeof v === 'string' ? v : JSON.stringify(v)
            })
            expect(got, field.name).toEqual(want)
          }
        },
      ),
      { numRuns: 150 },
    )
  })

  it('an error names the line, counting blank lines and CRLF lines', async () => {
    const text = '{"a":1}\r\n\r\n{"a":2}\n\n\n{"a":3,"b":1}\n'
    await expect(readText(text, 'ndjson', { inferRows: 2 }, 3)).rejects.toThrow(/line 6: key "b"/)
    await expect(readText('{"a":1}\n{"a":\n', 'ndjson', {}, 2)).rejects.toThrow(/line 2 is not valid JSON/)
    await expect(readText('{"a":1}\n[1]', 'ndjson')).rejects.toThrow(/line 2 is not a JSON object/)
  })
})
