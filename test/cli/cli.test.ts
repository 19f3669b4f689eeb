/**
 * The CLI used as a person would: spawned processes, real files. keygen → seal → inspect → open for each role,
 * with the opened Arrow compared to what the policy grants; CSV and NDJSON input; stdin/stdout pipes.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Field, Int32, Schema, Table, tableFromIPC, tableToIPC, vectorFromArray } from 'apache-arrow'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { type Command, parseCommandArgs } from '../../src/cli/args.js'
import { sampleTransactions } from '../../src/cli/sample-data.js'
import { generateIdentity } from '../../src/index.js'
import { writeIdentityFile } from '../../src/node/files.js'
import { buildCli, ROOT, runCli, sealArgs, tempDir } from './helpers.js'

const policy = JSON.parse(readFileSync(join(ROOT, 'examples/policy.json'), 'utf8')) as {
  fields: Record<string, 'public' | string[]>
}
const ROLES = ['analyst', 'support', 'auditor'] as const

let cli: string
let dir: string
let cleanup: () => void
const keys: Record<string, string> = {}
let table: Table

const p = (name: string) => join(dir, name)
/** `open` as `role` (its identity file in the work directory), trusting the writer. */
const openAs = (role: string, ...rest: string[]) => [
  'open',
  '--identity',
  p(`${role}.key`),
  '--trust',
  keys['writer']!,
  ...rest,
]
const rows = (t: Table) => t.toArray().map((r) => r.toJSON())
const visibleFor = (role: string) =>
  Object.keys(policy.fields).filter((f) => {
    const rule = policy.fields[f]
    return rule === 'public' || (Array.isArray(rule) && rule.includes(role))
  })

beforeAll(async () => {
  ;({ dir, cleanup } = tempDir())
  cli = await buildCli()
  // Two identities through the CLI as a person would, the rest in-process to keep the suite fast.
  const [writer, analyst] = await Promise.all([
    runCli(cli, ['keygen', '-o', p('writer.key')]),
    runCli(cli, ['keygen', '-o', p('analyst.key')]),
  ])
  expect(writer.code, writer.stderr).toBe(0)
  expect(analyst.code, analyst.stderr).toBe(0)
  keys['writer'] = writer.stdout.trim()
  keys['analyst'] = analyst.stdout.trim()
  for (const name of ['support', 'auditor', 'mallory']) {
    const identity = await generateIdentity()
    await writeIdentityFile(p(`${name}.key`), identity)
    keys[name] = identity.publicKey
  }
  writeFileSync(p('recipients.json'), JSON.stringify(Object.fromEntries(ROLES.map((r) => [r, [keys[r]]]))))
  writeFileSync(p('policy.json'), JSON.stringify(policy))
  table = sampleTransactions({ rows: 60, batchRows: 25 })
  writeFileSync(p('data.arrows'), tableToIPC(table, 'stream'))
  writeFileSync(p('data-file.arrow'), tableToIPC(table, 'file'))
})

afterAll(() => cleanup?.())

describe('keygen and pubkey', () => {
  it('writes the identity with mode 0600 and prints its public key', async () => {
    expect(keys['writer']).toMatch(/^aseal1[0-9a-z]+$/)
    expect(statSync(p('writer.key')).mode & 0o777).toBe(0o600)
    const text = readFileSync(p('writer.key'), 'utf8')
    expect(text).toMatch(/^ASEAL-SECRET-KEY-1[0-9A-Z]+$/m)
    const pub = await runCli(cli, ['pubkey', p('writer.key')])
    expect(pub.code).toBe(0)
    expect(pub.stdout.trim()).toBe(keys['writer'])
  })

  it('refuses to overwrite an identity file without --force, and leaves it unchanged', async () => {
    const before = readFileSync(p('analyst.key'), 'utf8')
    const again = await runCli(cli, ['keygen', '-o', p('analyst.key')])
    expect(again.code).toBe(2)
    expect(again.stderr).toMatch(/^arrowseal: error OUTPUT_EXISTS: .*analyst\.key already exists — pass --force/)
    expect(readFileSync(p('analyst.key'), 'utf8')).toBe(before)
    expect(again.stdout).toBe('')
  })
})

describe('seal → inspect → open', () => {
  beforeAll(async () => {
    const sealed = await runCli(cli, sealArgs(p, 'policy.json', '-o', p('data.aseal'), p('data.arrows')))
    expect(sealed.code, sealed.stderr).toBe(0)
    expect(sealed.stdout).toBe('')
  })

  it('leaves no temporary file behind', () => {
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([])
  })

  it('inspect shows signer and recipients but not the names of sealed fields', async () => {
    const [human, json] = await Promise.all([
      runCli(cli, ['inspect', p('data.aseal')]),
      runCli(cli, ['inspect', '--json', p('data.aseal')]),
    ])
    expect(human.code, human.stderr).toBe(0)
    expect(json.code, json.stderr).toBe(0)
    const facts = JSON.parse(json.stdout)
    expect(facts.recipients).toHaveLength(3)
    expect(facts.publicFields.map((f: { name: string }) => f.name)).toEqual(['id', 'timestamp'])
    expect(facts.frames.rows).toBe(60)
    for (const out of [human.stdout, json.stdout]) {
      for (const hidden of ['national_id', 'email', 'amount', 'country']) expect(out).not.toContain(hidden)
    }
    expect(human.stdout).toMatch(/recipients\s+3:/)
  })

  it('opens as each role with exactly the granted columns, equal to the input', async () => {
    const results = await Promise.all(
      ROLES.map((role) => runCli(cli, openAs(role, '-o', p(`${role}.arrows`), p('data.aseal')))),
    )
    for (const [i, role] of ROLES.entries()) {
      expect(results[i]!.code, results[i]!.stderr).toBe(0)
      const opened = tableFromIPC(readFileSync(p(`${role}.arrows`)))
      const granted = visibleFor(role)
      const schemaOrder = table.schema.fields.map((f) => f.name).filter((n) => granted.includes(n))
      expect(opened.schema.fields.map((f) => f.name)).toEqual(schemaOrder)
      expect(opened.schema.fields.map((f) => String(f.type))).toEqual(
        schemaOrder.map((n) => String(table.schema.fields.find((f) => f.name === n)!.type)),
      )
      expect(rows(opened)).toEqual(rows(table.select(schemaOrder)))
    }
  })

  it('reads an Arrow IPC file as well as a stream, and writes arrow-file, csv and --columns', async () => {
    const sealed = await runCli(cli, sealArgs(p, 'policy.json', p('data-file.arrow')))
    expect(sealed.code, sealed.stderr).toBe(0)
    writeFileSync(p('from-file.aseal'), sealed.stdoutBytes)
    const trustFile = p('writer.pub')
    writeFileSync(trustFile, `# the ETL writer\n${keys['writer']}\n`)
    const base = ['open', '--identity', p('auditor.key'), '--trust', trustFile, p('from-file.aseal')]
    const [asFile, asCsv] = await Promise.all([
      runCli(cli, [...base, '-o', p('auditor.arrow')]),
      runCli(cli, [...base, '--columns', 'national_id,id', '--format', 'csv']),
    ])
    expect(asFile.code, asFile.stderr).toBe(0)
    expect(rows(tableFromIPC(readFileSync(p('auditor.arrow'))))).toEqual(rows(table))
    expect(readFileSync(p('auditor.arrow')).subarray(0, 6).toString()).toBe('ARROW1')
    expect(asCsv.code, asCsv.stderr).toBe(0)
    const lines = asCsv.stdout.trimEnd().split('\n')
    expect(lines[0]).toBe('national_id,id')
    expect(lines).toHaveLength(61)
    expect(lines[1]).toBe(`${table.get(0)!['national_id']},1`)
  })
})

describe('--reveal-schema, --include-denied, --compression', () => {
  it('a revealed schema names sealed fields in inspect, and denied fields come back as null columns', async () => {
    const out = ['-o', p('revealed.aseal'), p('data.arrows')]
    const sealed = await runCli(cli, sealArgs(p, 'policy.json', '--reveal-schema', '--compression', 'deflate', ...out))
    expect(sealed.code, sealed.stderr).toBe(0)
    const [facts, opened] = await Promise.all([
      runCli(cli, ['inspect', p('revealed.aseal')]),
      runCli(cli, openAs('analyst', '--include-denied', '--format', 'ndjson', p('revealed.aseal'))),
    ])
    expect(facts.stdout).toContain('national_id')
    expect(opened.code, opened.stderr).toBe(0)
    const first = JSON.parse(opened.stdout.split('\n')[0]!)
    expect(Object.keys(first)).toEqual(table.schema.fields.map((f) => f.name))
    expect(first.national_id).toBeNull()
    expect(first.amount).toBe(table.get(0)!['amount'])
  })
})

describe('large and empty Arrow input', () => {
  it('slices a batch larger than 65,536 rows and reads Arrow from stdin; an empty stream round-trips', async () => {
    const big = new Table({
      n: vectorFromArray(
        Array.from({ length: 70_000 }, (_, i) => i),
        new Int32(),
      ),
    })
    const empty = new Table(new Schema([new Field('n', new Int32())]))
    writeFileSync(p('n-policy.json'), JSON.stringify({ fields: { n: ['analyst'] } }))
    const [bigSealed, emptySealed] = await Promise.all(
      [big, empty].map((t) => runCli(cli, sealArgs(p, 'n-policy.json'), { input: tableToIPC(t, 'stream') })),
    )
    expect(bigSealed!.code, bigSealed!.stderr).toBe(0)
    expect(emptySealed!.code, emptySealed!.stderr).toBe(0)
    writeFileSync(p('big.aseal'), bigSealed!.stdoutBytes)
    const facts = await runCli(cli, ['inspect', '--json', p('big.aseal')])
    expect(JSON.parse(facts.stdout).frames).toMatchObject({ batches: 2, rows: 70_000 })
    const open = openAs('analyst')
    const [bigOpened, emptyOpened] = await Promise.all([
      runCli(cli, open, { input: bigSealed!.stdoutBytes }),
      runCli(cli, open, { input: emptySealed!.stdoutBytes }),
    ])
    expect(bigOpened.code, bigOpened.stderr).toBe(0)
    const t = tableFromIPC(bigOpened.stdoutBytes)
    expect(t.numRows).toBe(70_000)
    expect(t.getChild('n')!.get(69_999)).toBe(69_999)
    expect(emptyOpened.code, emptyOpened.stderr).toBe(0)
    expect(tableFromIPC(emptyOpened.stdoutBytes).numRows).toBe(0)
  })
})

describe('seal --min-batch-rows', () => {
  it('merges small Arrow batches before sealing; readers get the same rows in fewer batches', async () => {
    // data.arrows holds batches of 25, 25 and 10 rows.
    const sealed = await runCli(cli, sealArgs(p, 'policy.json', '--min-batch-rows', '50', p('data.arrows')))
    expect(sealed.code, sealed.stderr).toBe(0)
    writeFileSync(p('merged.aseal'), sealed.stdoutBytes)
    const facts = await runCli(cli, ['inspect', '--json', p('merged.aseal')])
    expect(JSON.parse(facts.stdout).frames).toMatchObject({ batches: 2, rows: 60 })
    const opened = await runCli(cli, openAs('auditor'), { input: sealed.stdoutBytes })
    expect(opened.code, opened.stderr).toBe(0)
    const t = tableFromIPC(opened.stdoutBytes)
    expect(t.batches.map((b) => b.numRows)).toEqual([50, 10])
    expect(rows(t)).toEqual(rows(table))
  })

  it('refuses a value that is not a row count (exit 2)', async () => {
    const bad = await runCli(cli, sealArgs(p, 'policy.json', '--min-batch-rows', '1e3', p('data.arrows')))
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/--min-batch-rows must be a row count/)
  })
})

describe('text input', () => {
  const csv = [
    'id,name,zip,score,active,seen_at,note',
    '1,Ada,01234,1.5,true,2024-03-01T12:00:00Z,"hello, ""world"""',
    '2,Grace,,2e3,FALSE,2024-03-02 08:30:00.250,',
    '3,"multi',
    'line",99999,-0.25,true,2024-03-03T00:00:00+02:00,plain',
    '',
  ].join('\n')
  const textPolicy = { fields: { id: 'public', note: 'drop' }, default: ['analyst'] }

  async function sealAndOpen(input: string, inFile: string, format: 'csv' | 'ndjson', extra: string[] = []) {
    writeFileSync(p(inFile), input)
    writeFileSync(p('text-policy.json'), JSON.stringify(textPolicy))
    const sealed = await runCli(cli, sealArgs(p, 'text-policy.json', ...extra, p(inFile)))
    expect(sealed.code, sealed.stderr).toBe(0)
    const opened = await runCli(cli, openAs('analyst', '--format', format), { input: sealed.stdoutBytes })
    expect(opened.code, opened.stderr).toBe(0)
    return opened.stdout
  }

  it('CSV: infers types, keeps leading zeros as text, reads quotes and multi-line fields', async () => {
    const out = await sealAndOpen(csv, 'in.csv', 'ndjson')
    const records = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    expect(records).toEqual([
      { id: 1, name: 'Ada', zip: '01234', score: 1.5, active: true, seen_at: '2024-03-01T12:00:00.000Z' },
      { id: 2, name: 'Grace', zip: null, score: 2000, active: false, seen_at: '2024-03-02T08:30:00.250Z' },
      { id: 3, name: 'multi\nline', zip: '99999', score: -0.25, active: true, seen_at: '2024-03-02T22:00:00.000Z' },
    ])
  })

  it('NDJSON in (from stdin, by --format), CSV out', async () => {
    const ndjson = [
      '{"id": 1, "name": "Ada", "tags": ["a"], "amount": 1.25, "note": "x"}',
      '{"id": 2, "name": null, "amount": 3}',
      '',
    ].join('\n')
    writeFileSync(p('text-policy.json'), JSON.stringify(textPolicy))
    const sealed = await runCli(cli, sealArgs(p, 'text-policy.json', '--format', 'ndjson'), { input: ndjson })
    expect(sealed.code, sealed.stderr).toBe(0)
    writeFileSync(p('nd.aseal'), sealed.stdoutBytes)
    const opened = await runCli(cli, openAs('analyst', '-o', p('nd.csv'), p('nd.aseal')))
    expect(opened.code, opened.stderr).toBe(0)
    expect(readFileSync(p('nd.csv'), 'utf8')).toBe('id,name,tags,amount\n1,Ada,"[""a""]",1.25\n2,,,3\n')
  })
})

describe('help and version', () => {
  const commands = ['keygen', 'pubkey', 'seal', 'open', 'inspect', 'demo', 'bench']

  it('--version prints the package version; --help lists every command; a command --help in a process', async () => {
    const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version
    const [v, help, sealHelp] = await Promise.all([
      runCli(cli, ['--version']),
      runCli(cli, ['--help']),
      runCli(cli, ['seal', '--help']),
    ])
    expect(v.stdout.trim()).toBe(version)
    expect(help.code).toBe(0)
    for (const c of commands) expect(help.stdout).toContain(`  ${c} `)
    expect(sealHelp.code).toBe(0)
    expect(sealHelp.stdout).toContain('Usage: arrowseal seal')
  })

  // In-process (spawning seven processes only to print text would cost the suite seconds for nothing).
  it.each(commands)('%s --help prints its usage and runs nothing', async (name) => {
    const module = (await import(`../../src/cli/commands/${name}.ts`)) as Record<string, Command>
    const command = module[name]!
    let printed = ''
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      printed += String(chunk)
      return true
    })
    try {
      expect(parseCommandArgs(command, ['--help'])).toBeNull()
    } finally {
      spy.mockRestore()
    }
    expect(printed).toContain(`Usage: arrowseal ${name}`)
    expect(printed).toMatch(/-h, --help/)
  })
})

describe('the quick start in `arrowseal --help`', () => {
  it('runs as printed', async () => {
    const help = await runCli(cli, ['--help'])
    const script = help.stdout.slice(help.stdout.indexOf('Quick start:') + 'Quick start:'.length)
    const { dir: qs, cleanup: done } = tempDir('arrowseal-qs-')
    try {
      const { execFileSync } = await import('node:child_process')
      const out = execFileSync(
        'bash',
        ['-euo', 'pipefail', '-c', `arrowseal() { "${process.execPath}" "${cli}" "$@"; }\n${script}`],
        { cwd: qs, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } },
      )
      expect(out.trim().split('\n').slice(-3)).toEqual(['id,amount', '1,9.5', '2,120'])
    } finally {
      done()
    }
  })

  it('prints every command on one indented line, with printf escapes as the user types them', async () => {
    const help = await runCli(cli, ['--help'])
    const script = help.stdout.slice(help.stdout.indexOf('Quick start:\n') + 'Quick start:\n'.length)
    const lines = script.trimEnd().split('\n')
    for (const line of lines) expect(line).toMatch(/^ {2}arrowseal |^ {2}echo |^ {2}printf /)
    expect(lines).toContain(`  printf 'id,amount\\n1,9.50\\n2,120\\n' > data.csv`)
  })
})

describe('arrowseal bench outside a checkout', () => {
  // package.json has no `repository` until the project's public repository exists (named in the issue note): the
  // hint then says where the URL will come from, and names it once the field is set.
  it('names what to clone: the repository URL from package.json, or says it is not set', async () => {
    const { benchHint } = await import('../../src/cli/commands/bench.js')
    expect(benchHint({ repository: { url: 'git+https://example.org/arrowseal.git' } })).toContain(
      'https://example.org/arrowseal.git',
    )
    expect(benchHint({})).toContain('package.json `repository`')
  })
})
