/** `seal --delimiter`, `.tsv` input, and the warning for a TSV read as CSV (which would seal as one column). */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseDelimiter, separatorWarning } from '../../src/cli/convert/csv.js'
import { type Identity, openTable } from '../../src/index.js'
import { cliFixture, runCli, sealArgs } from './helpers.js'
import { csvTable } from './text-helpers.js'

const TSV = 'id\tname\n1\tAda\n2\tBob\n'

describe('parsing with a delimiter', () => {
  it('splits on the given character, keeping commas in fields', async () => {
    const t = await csvTable('id\tname\n1\tAda\n2\tBob, Jr.\n', '\t')
    expect(t.schema.fields.map((f) => f.name)).toEqual(['id', 'name'])
    expect(t.getChild('name')!.get(1)).toBe('Bob, Jr.')
    expect((await csvTable('a;b\n1;"x;y"\n', ';')).getChild('b')!.get(0)).toBe('x;y')
  })

  it('parseDelimiter: tab by name, one character, never a quote or line break', () => {
    expect(parseDelimiter('tab')).toBe('\t')
    expect(parseDelimiter('\\t')).toBe('\t')
    expect(parseDelimiter(';')).toBe(';')
    for (const bad of ['', ',,', '"', '\n'])
      expect(() => parseDelimiter(bad)).toThrow(/--delimiter must be one character/)
  })

  it('warns when a one-column header holds tabs or semicolons, not otherwise', async () => {
    const warnings: string[] = []
    await csvTable(TSV, ',', (m) => warnings.push(m))
    expect(warnings).toEqual([expect.stringContaining('--delimiter "tab"')])
    expect(separatorWarning(['a;b'], ',')).toContain('--delimiter ";"')
    expect(separatorWarning(['id', 'name\twith tab'], ',')).toBeUndefined()
    expect(separatorWarning(['plain'], ',')).toBeUndefined()
    expect(separatorWarning(['a\tb'], '\t')).toBeUndefined()
  })
})

describe('arrowseal seal with TSV', () => {
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
      policy: { fields: {}, default: ['r'] },
    }))
    writeFileSync(p('data.txt'), TSV)
    writeFileSync(p('data.tsv'), TSV)
  })
  afterAll(() => cleanup?.())

  const columns = async (bytes: Uint8Array) =>
    (await openTable(bytes, { identity: reader, trustedSigners: [writer.publicKey] })).schema.fields.map((f) => f.name)

  it('without --delimiter: a warning on stderr (and one column); with --delimiter tab: two columns', async () => {
    const plain = await runCli(cli, sealArgs(p, 'policy.json', p('data.txt')))
    expect(plain.code, plain.stderr).toBe(0)
    expect(plain.stderr).toMatch(/^arrowseal: warning: the CSV header is one column containing tabs/m)
    expect(await columns(plain.stdoutBytes)).toEqual(['id\tname'])
    const tab = await runCli(cli, sealArgs(p, 'policy.json', '--delimiter', 'tab', p('data.txt')))
    expect(tab.code, tab.stderr).toBe(0)
    expect(tab.stderr).not.toContain('warning')
    expect(await columns(tab.stdoutBytes)).toEqual(['id', 'name'])
  }, 60_000)

  it('a .tsv file is tab-separated by default; --delimiter on NDJSON is a usage error', async () => {
    const r = await runCli(cli, sealArgs(p, 'policy.json', p('data.tsv')))
    expect(r.code, r.stderr).toBe(0)
    expect(await columns(r.stdoutBytes)).toEqual(['id', 'name'])
    const bad = await runCli(cli, sealArgs(p, 'policy.json', '--format', 'ndjson', '--delimiter', ';', p('data.tsv')))
    expect(bad.code).toBe(2)
  }, 60_000)
})
