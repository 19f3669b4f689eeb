/**
 * The CLI end to end for the ingest paths: every malformed text input gets a typed error with its row and
 * leaves no output file (nor temporary file) behind; --schema, --no-header and --null-value reach the reader;
 * Parquet seals and opens back to Parquet.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parquetToTable } from '../../src/cli/convert/parquet.js'
import { type Identity, openTable } from '../../src/index.js'
import { cliFixture, ROOT, runCli, sealArgs } from './helpers.js'

let cli: string
let dir: string
let cleanup: () => void
const p = (name: string) => join(dir, name)
let reader: Identity
let writer: Identity

beforeAll(async () => {
  ;({
    dir,
    cleanup,
    cli,
    identities: { writer, reader },
  } = await cliFixture({
    identities: ['writer', 'reader'],
    recipients: (k) => ({ r: [k.reader] }),
    policy: { fields: {}, default: ['r'], schemaMetadata: ['r'] },
  }))
  writeFileSync(
    p('schema.json'),
    JSON.stringify({
      fields: [
        { name: 'id', type: 'int32', nullable: false },
        { name: 'amount', type: 'decimal128(10, 2)' },
        { name: 'at', type: 'timestamp[ms, tz=Europe/Stockholm]' },
      ],
    }),
  )
})
afterAll(() => cleanup?.())

const leftovers = () => readdirSync(dir).filter((f) => f.startsWith('out-') || f.endsWith('.tmp'))

describe('malformed input: a typed error with a row number, and nothing left behind', () => {
  const big = `id,blob\n1,${'x'.repeat(20 * 1024 * 1024)}\n`
  const cases: [string, string | Uint8Array, string[], RegExp][] = [
    [
      'unterminated quote',
      'id,name\n1,"Ada\n2,Bob\n',
      [],
      /CSV data row 1 has a quoted field that is never closed \(the input ends at line 3\)/,
    ],
    ['ragged row', 'id,name\n1,Ada\n2,Bob,SECRET\n', [], /CSV data row 2 \(line 3\) has a different number of fields/],
    [
      'invalid UTF-8',
      new Uint8Array([...Buffer.from('id,name\n1,Ada\n2,'), 0xc3, 0x28, 0x0a]),
      [],
      /not valid UTF-8 \(line 3\)/,
    ],
    [
      'a value that breaks the schema',
      'id,amount,at\n1,2.50,2024-01-01 10:00\n2,SECRET,\n',
      ['--schema'],
      /CSV data row 2, column "amount"/,
    ],
    ['a 20 MB line', big, [], /CSV line 2 is longer than 8 MiB/],
  ]

  it.each(cases)(
    '%s',
    async (name, content, extra, message) => {
      const file = p(`in-${name.replaceAll(' ', '-')}.csv`)
      writeFileSync(file, content)
      const out = p(`out-${name.replaceAll(' ', '-')}.aseal`)
      const args = extra.includes('--schema') ? ['--schema', p('schema.json')] : []
      const r = await runCli(cli, sealArgs(p, 'policy.json', ...args, '-o', out, file))
      expect(r.code, r.stderr).toBe(3)
      expect(r.stderr).toMatch(/^arrowseal: error INPUT_INVALID: /)
      expect(r.stderr).toMatch(message)
      expect(r.stderr).not.toContain('SECRET')
      expect(existsSync(out)).toBe(false)
      expect(leftovers()).toEqual([])
    },
    60_000,
  )
})

describe('text options through the CLI', () => {
  it('--schema with --no-header and --null-value: exact types, zone applied', async () => {
    writeFileSync(p('plain.csv'), '1,12.30,2024-07-01 12:00\n2,NULL,NULL\n')
    const r = await runCli(
      cli,
      sealArgs(p, 'policy.json', '--schema', p('schema.json'), '--no-header', '--null-value', 'NULL', p('plain.csv')),
    )
    expect(r.code, r.stderr).toBe(0)
    const t = await openTable(r.stdoutBytes, { identity: reader, trustedSigners: [writer.publicKey] })
    expect(t.schema.fields.map((f) => String(f.type))).toEqual([
      'Int32',
      'Decimal[10e+2]',
      'Timestamp<MILLISECOND, Europe/Stockholm>',
    ])
    expect(t.getChild('at')!.get(0)).toBe(Date.UTC(2024, 6, 1, 10))
    expect(t.getChild('amount')!.get(1)).toBeNull()
  }, 60_000)
})

describe('Parquet through the CLI', () => {
  it('seal data.parquet, then open --format parquet: same values, metadata kept for the reader', async () => {
    const source = join(ROOT, 'test', 'fixtures', 'parquet', 'kv-metadata.parquet')
    const sealed = await runCli(cli, sealArgs(p, 'policy.json', '-o', p('pq.aseal'), source))
    expect(sealed.code, sealed.stderr).toBe(0)
    const opened = await runCli(cli, [
      'open',
      '--identity',
      p('reader.key'),
      '--trust',
      writer.publicKey,
      '-o',
      p('back.parquet'),
      p('pq.aseal'),
    ])
    expect(opened.code, opened.stderr).toBe(0)
    const [want, got] = await Promise.all([
      parquetToTable(readFileSync(source)),
      parquetToTable(readFileSync(p('back.parquet'))),
    ])
    expect(got.toArray().map((r) => r.toJSON())).toEqual(want.toArray().map((r) => r.toJSON()))
    expect(got.schema.metadata.get('lineage')).toBe('crm-export v3')
  }, 60_000)
})
