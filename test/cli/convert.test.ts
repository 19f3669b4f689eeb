/** In-process tests of the CLI's text conversion, type inference, format detection and error mapping. */
import { Dictionary, Int8, makeData, makeVector, type RecordBatch, Table, Utf8, vectorFromArray } from 'apache-arrow'
import { describe, expect, it } from 'vitest'
import { csvLines } from '../../src/cli/convert/csv.js'
import { shareDictionaries } from '../../src/cli/convert/dictionaries.js'
import { detectInputFormat, detectOutputFormat } from '../../src/cli/convert/formats.js'
import { inferTextType, parseTimestamp } from '../../src/cli/convert/infer.js'
import { CliError, describeError } from '../../src/cli/errors.js'
import { startProgress } from '../../src/cli/progress.js'
import { ArrowSealError, AuthError, FormatError, KeyError, PolicyError } from '../../src/errors.js'
import { csvTable, ndjsonTable, readText } from './text-helpers.js'

describe('type inference', () => {
  it.each([
    [['1', '-2', null, '9223372036854775807'], 'int64'],
    [['9223372036854775808'], 'float64'], // outside int64 but still a number
    [['007'], 'utf8'], // leading zeros keep their text
    [['+46701234567'], 'utf8'],
    [['1.5', '2', '3e-2'], 'float64'],
    [['NaN'], 'utf8'],
    [['true', 'FALSE'], 'bool'],
    [['1', 'true'], 'utf8'],
    [['2024-03-01T12:00:00Z', '2024-03-01 12:00'], 'timestamp'],
    [['2024-03-01'], 'utf8'],
    [['2024-02-31T00:00:00Z'], 'utf8'],
    [[null, null], 'utf8'],
  ] as const)('%j → %s', (values, type) => {
    expect(inferTextType(values)).toBe(type)
  })

  it('timestamps: no zone is UTC, offsets apply, fractions truncate to ms', () => {
    expect(parseTimestamp('2024-03-01 12:00:00')).toBe(Date.UTC(2024, 2, 1, 12))
    expect(parseTimestamp('2024-03-01T12:00:00+0100')).toBe(Date.UTC(2024, 2, 1, 11))
    expect(parseTimestamp('2024-03-01T12:00:00.123456789Z')).toBe(Date.UTC(2024, 2, 1, 12, 0, 0, 123))
  })
})

describe('CSV', () => {
  it('parses RFC 4180 quoting, CRLF, BOM and multi-line fields', async () => {
    const t = await csvTable('\ufeffa,b\r\n"x,""y""","1\n2"\r\n')
    expect(t.schema.fields.map((f) => f.name)).toEqual(['a', 'b'])
    expect(t.toArray().map((r) => r.toJSON())).toEqual([{ a: 'x,"y"', b: '1\n2' }])
  })

  it.each([
    ['a,b\n"open', /data row 1 has a quoted field that is never closed \(the input ends at line 2\)/],
    ['a,b\nx"y,1', /data row 1 \(line 2\) has a quote inside an unquoted field/],
    ['a,b\n"x"y,1', /data row 1 \(line 2\) has text after a closing quote/],
    ['a,a\n1,2', /appears twice/],
    ['a,\n1,2', /column 2 has no name/],
    ['', /empty/],
    ['a,b\n1,2\n1', /data row 2 \(line 3\) has a different number of fields/],
  ])('rejects %j', async (text, message) => {
    await expect(csvTable(text)).rejects.toThrow(message)
  })

  it('never echoes field contents from the parser (its messages quote them)', async () => {
    for (const text of ['a,b\n1,SECRET"x\n', 'a,b\n1,"SECRET"x\n', 'a,b\n1,SECRET,x\n']) {
      const err = await csvTable(text).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(CliError)
      expect((err as Error).message).toMatch(/CSV data row 1/)
      expect((err as Error).message).not.toContain('SECRET')
      expect(JSON.stringify((err as Error).cause ?? null)).not.toContain('SECRET')
    }
  })

  it('writes CSV that reads back to the same values', async () => {
    const table = await csvTable('id,name,at\n1,"a, ""b""",2024-01-01T00:00:00Z\n2,,\n')
    const text = `id,name,at\n${[...csvLines(table.schema, table.batches[0]!)].join('')}`
    expect(text).toBe('id,name,at\n1,"a, ""b""",2024-01-01T00:00:00.000Z\n2,,\n')
    expect((await csvTable(text)).toArray().map((r) => r.toJSON())).toEqual(table.toArray().map((r) => r.toJSON()))
  })
})

describe('NDJSON', () => {
  it('unions keys, infers per column, keeps nested values as JSON text', async () => {
    const t = await ndjsonTable('{"a":1,"b":true}\n\n{"a":2.5,"c":{"x":1},"d":"2024-01-01T00:00:00Z"}\n')
    expect(t.schema.fields.map((f) => `${f.name}:${f.type}`)).toEqual([
      'a:Float64',
      'b:Bool',
      'c:Utf8',
      'd:Timestamp<MILLISECOND, UTC>',
    ])
    expect(t.get(1)!.toJSON()).toMatchObject({ a: 2.5, b: null, c: '{"x":1}' })
  })

  it('names the bad line', async () => {
    await expect(ndjsonTable('{"a":1}\n[1]\n')).rejects.toThrow('NDJSON line 2 is not a JSON object')
    await expect(ndjsonTable('{"a":1}\n{oops\n')).rejects.toThrow('NDJSON line 2 is not valid JSON')
  })
})

describe('format detection', () => {
  const bytes = (s: string) => new TextEncoder().encode(s)
  it('by extension, then by content', () => {
    expect(detectInputFormat('x.CSV', bytes('{'))).toBe('csv')
    expect(detectInputFormat('x.jsonl', bytes('a'))).toBe('ndjson')
    expect(detectInputFormat(undefined, bytes('  {"a":1}'))).toBe('ndjson')
    expect(detectInputFormat(undefined, bytes('a,b'))).toBe('csv')
    expect(detectInputFormat(undefined, bytes('ARROW1\0\0'))).toBe('arrow')
    expect(detectInputFormat(undefined, new Uint8Array([255, 255, 255, 255, 0]))).toBe('arrow')
    expect(detectOutputFormat('o.arrow')).toBe('arrow-file')
    expect(detectOutputFormat('o.arrows')).toBe('arrow')
    expect(detectOutputFormat(undefined)).toBe('arrow')
  })

  it('bad UTF-8 is INPUT_INVALID with its line', async () => {
    await expect(readText(new Uint8Array([0x61, 0x0a, 0x62, 0x0a, 0xff]), 'csv')).rejects.toThrow(
      /CSV input is not valid UTF-8 \(line 3\)/,
    )
    await expect(readText(new Uint8Array([0x61, 0x0a, 0xff]), 'csv')).rejects.toThrow(CliError)
  })
})

describe('shareDictionaries', () => {
  it('replaces an equal dictionary by the first one, keeps a different one', () => {
    const type = new Dictionary(new Utf8(), new Int8())
    const batch = (dict: string[]) =>
      new Table({
        c: makeVector(
          makeData({
            type,
            length: 1,
            nullCount: 0,
            data: Int8Array.of(0),
            dictionary: vectorFromArray(dict, new Utf8()),
          }),
        ),
      }).batches[0] as RecordBatch
    const share = shareDictionaries()
    const a = share(batch(['x', 'y']))
    const b = share(batch(['x', 'y']))
    const c = share(batch(['z']))
    expect(b.data.children[0]!.dictionary).toBe(a.data.children[0]!.dictionary)
    expect(c.data.children[0]!.dictionary).not.toBe(a.data.children[0]!.dictionary)
    expect(b.get(0)!.toJSON()).toEqual({ c: 'x' })
  })
})

describe('error reporting', () => {
  it('maps each kind of error to its documented exit code and one line', () => {
    const cases: [unknown, number, string][] = [
      [new CliError('USAGE', 'x'), 2, 'USAGE'],
      [new CliError('IO', 'x'), 3, 'IO'],
      [new FormatError('TRUNCATED', 'x'), 4, 'TRUNCATED'],
      [new AuthError('AUTH_FAILED'), 4, 'AUTH_FAILED'],
      [new AuthError('SIGNER_UNTRUSTED', 'x'), 4, 'SIGNER_UNTRUSTED'],
      [new AuthError('NOT_A_RECIPIENT', 'x'), 4, 'NOT_A_RECIPIENT'],
      [new PolicyError('POLICY_UNKNOWN_ROLE', 'x'), 5, 'POLICY_UNKNOWN_ROLE'],
      [new KeyError('x'), 6, 'KEY_INVALID'],
      [new ArrowSealError('STREAM_ABORTED', 'x'), 1, 'STREAM_ABORTED'],
      [new Error('boom\nsecond line'), 1, 'INTERNAL'],
    ]
    for (const [err, exit, code] of cases) {
      const r = describeError(err)
      expect(r.exit, code).toBe(exit)
      expect(r.code).toBe(code)
      expect(r.line).toMatch(new RegExp(`^arrowseal: error ${code}: [^\\n]+ — [^\\n]+$`))
    }
  })
})

describe('progress', () => {
  it('draws batches, bytes and MB/s on a TTY, clears the line at the end', () => {
    const writes: string[] = []
    const tty = { isTTY: true, write: (s: string) => writes.push(s) } as unknown as NodeJS.WriteStream
    const progress = startProgress('sealing x', tty)
    progress.update(1, 2 * 1024 * 1024)
    progress.done()
    expect(writes[0]!.startsWith('\r\x1b[K')).toBe(true)
    expect(writes[0]!.slice(4)).toMatch(/^sealing x: 1 batches, 2\.0 MiB, [\d.]+ MB\/s$/)
    expect(writes.at(-1)).toBe('\r\x1b[K')
  })

  it('writes nothing when stderr is not a terminal', () => {
    const writes: string[] = []
    const pipe = { isTTY: false, write: (s: string) => writes.push(s) } as unknown as NodeJS.WriteStream
    const progress = startProgress('sealing x', pipe)
    progress.update(1, 100)
    progress.done()
    expect(writes).toEqual([])
  })
})
