/**
 * `arrowseal rewrap` and `arrowseal rotate` as a person runs them (spawned processes, real files), and recipients
 * files with labelled keys: a reader added by rewrap opens; a removed one is refused; rotate moves a reader from
 * its old key to its new one in exactly its roles; payload units keep their SHA-256; every refused command (bad
 * flags, unknown key or label, untrusted writer) exits with its stable code and leaves no output file behind.
 */
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { type Table, tableFromIPC } from 'apache-arrow'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FrameSplitter } from '../../src/format/reader.js'
import { generateIdentity, type Identity, parsePublicKey } from '../../src/index.js'
import { writeIdentityFile } from '../../src/node/files.js'
import { buildCli, type RunResult, runCli, sealArgs, tempDir } from './helpers.js'

let cli: string
let dir: string
let cleanup: () => void
const at = (name: string) => join(dir, name)
const ids: Record<string, Identity> = {}
const keyId = (name: string) => parsePublicKey(ids[name]!.publicKey).keyId

const POLICY = { fields: { id: 'public', amount: ['analysts'], email: ['auditors'] } }
const CSV = 'id,amount,email\n1,9.5,a@example.org\n2,120,b@example.org\n3,7.25,c@example.org\n'

/** The SHA-256 of every unit payload of every batch frame, in order: what rewrap must never change. */
function unitHashes(sealed: Uint8Array): string[] {
  const out: string[] = []
  const splitter = new FrameSplitter(1 << 30)
  for (const piece of splitter.push(sealed)) {
    if (piece.type === 'header') continue
    const b = piece.bytes
    const view = new DataView(b.buffer, b.byteOffset, b.byteLength)
    if (b[0] !== 1) continue // the end frame carries no units
    let off = 15 // kind (1), index (8), rows (4), unit_count (2): docs/format.md §Frames
    const count = view.getUint16(13)
    for (let i = 0; i < count; i++) {
      const length = view.getUint32(off + 3)
      out.push(
        createHash('sha256')
          .update(b.subarray(off + 7, off + 7 + length))
          .digest('hex'),
      )
      off += 7 + length
    }
  }
  return out
}

const read = (name: string) => new Uint8Array(readFileSync(at(name)))
const columns = (t: Table) => t.schema.fields.map((f) => f.name)
const expectRefused = (r: RunResult, exit: number, code: string) => {
  expect(r.code, r.stderr).toBe(exit)
  expect(r.stderr).toMatch(new RegExp(`^arrowseal: error ${code}: `, 'm'))
}
/** Runs a command that must be refused: it leaves neither its output nor a temporary file in the directory. */
async function refusedRun(run: () => Promise<RunResult>, exit: number, code: string): Promise<RunResult> {
  const before = readdirSync(dir).sort()
  const r = await run()
  expectRefused(r, exit, code)
  expect(readdirSync(dir).sort()).toEqual(before)
  return r
}

/** The it.each tables name files and keys by placeholder: the directory and keys exist only once beforeAll ran. */
const placeholders = (arg: string) =>
  arg
    .replace('POLICY', at('policy.json'))
    .replace('RECIPIENTS', at('recipients.json'))
    .replace('ROTATION', at('rotation.json'))
    .replace('CAROL_ID', keyId('carol'))
    .replace('CAROL', at('carol.pub'))
    .replace('BOB', ids['bob']!.publicKey)
    .replace('ALICE', keyId('alice'))

const trustBoth = () => ['--trust', ids['writer']!.publicKey, '--trust', ids['steward']!.publicKey]
const openAs = async (who: string, input: string, trust = trustBoth()) =>
  runCli(cli, ['open', '--identity', at(`${who}.key`), ...trust, '--format', 'arrow', input])
const rewrapAs = (...rest: string[]) =>
  runCli(cli, [
    'rewrap',
    '--identity',
    at('steward.key'),
    '--signer',
    at('steward.key'),
    '--trust',
    ids['writer']!.publicKey,
    ...rest,
  ])
const rotateAs = (...rest: string[]) =>
  runCli(cli, [
    'rotate',
    '--identity',
    at('steward.key'),
    '--signer',
    at('steward.key'),
    '--trust',
    ids['writer']!.publicKey,
    '--policy',
    at('policy.json'),
    ...rest,
  ])

beforeAll(async () => {
  ;({ dir, cleanup } = tempDir('arrowseal-rewrap-cli-'))
  cli = await buildCli()
  for (const name of ['writer', 'steward', 'alice', 'alice2', 'bob', 'carol', 'mallory']) {
    ids[name] = await generateIdentity()
    await writeIdentityFile(at(`${name}.key`), ids[name]!)
    writeFileSync(at(`${name}.pub`), `${ids[name]!.publicKey}\n`)
  }
  writeFileSync(at('policy.json'), JSON.stringify(POLICY))
  writeFileSync(at('data.csv'), CSV)
  // The steward reads every group, so it may add readers to any role; alice and bob are ordinary readers.
  const pk = (n: string) => ids[n]!.publicKey
  writeFileSync(
    at('recipients.json'),
    JSON.stringify({
      analysts: [{ key: pk('alice'), id: 'alice-2026' }, pk('steward')],
      auditors: [
        { key: pk('bob'), id: 'bob' },
        { key: pk('steward'), id: 'steward' },
      ],
    }),
  )
  // The overlap form of a rotation: the new key next to the old one, saying which it replaces.
  writeFileSync(
    at('rotation.json'),
    JSON.stringify({
      analysts: [
        { key: pk('alice'), id: 'alice-2026' },
        { key: pk('alice2'), id: 'alice-2027', replaces: 'alice-2026' },
        { key: pk('steward'), id: 'steward' },
      ],
      auditors: [
        { key: pk('bob'), id: 'bob' },
        { key: pk('steward'), id: 'steward' },
      ],
      other: [pk('carol')],
    }),
  )
  const sealed = await runCli(cli, [...sealArgs(at, 'policy.json', '-o', at('data.aseal'), at('data.csv'))])
  expect(sealed.code, sealed.stderr).toBe(0)
}, 120_000)

afterAll(() => cleanup())

describe('recipients files with labels', () => {
  it('seal takes labelled entries, and inspect --recipients names key ids by label', async () => {
    const r = await runCli(cli, ['inspect', '--recipients', at('recipients.json'), at('data.aseal')])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain(`${keyId('alice')} (alice-2026)`)
    expect(r.stdout).toContain(`${keyId('bob')} (bob)`)
    // Labels live in the file only: the sealed bytes never carry them.
    expect(Buffer.from(read('data.aseal')).includes('alice-2026')).toBe(false)
    const json = await runCli(cli, ['inspect', '--json', '--recipients', at('recipients.json'), at('data.aseal')])
    expect(JSON.parse(json.stdout).labels).toEqual({
      [keyId('alice')]: 'alice-2026',
      [keyId('bob')]: 'bob',
      [keyId('steward')]: 'steward',
    })
    const opened = await openAs('alice', at('data.aseal'), ['--trust', ids['writer']!.publicKey])
    expect(opened.code, opened.stderr).toBe(0)
    expect(columns(tableFromIPC(opened.stdoutBytes))).toEqual(['id', 'amount'])
  })

  it.each([
    ['a label that reads as a key id', { a: [{ key: 'K', id: 'deadbeefdeadbeef' }] }, /not a valid label/],
    ['a label that is all hex digits', { a: [{ key: 'K', id: 'cafe' }] }, /not a valid label/],
    ['a label that looks like a public key', { a: [{ key: 'K', id: 'aseal1x' }] }, /not a valid label/],
    ['one label for two keys', { a: [{ key: 'K', id: 'x-1' }], b: [{ key: 'L', id: 'x-1' }] }, /names two keys/],
    ['two labels for one key', { a: [{ key: 'K', id: 'x-1' }], b: [{ key: 'K', id: 'x-2' }] }, /labelled both/],
    ['an unknown entry key', { a: [{ key: 'K', label: 'x' }] }, /unknown key "label"/],
  ])('refuses %s (POLICY_INVALID, exit 5)', async (_what, file, message) => {
    const text = JSON.stringify(file)
      .replaceAll('"K"', JSON.stringify(ids['alice']!.publicKey))
      .replaceAll('"L"', JSON.stringify(ids['bob']!.publicKey))
    writeFileSync(at('bad-recipients.json'), text)
    const r = await runCli(cli, ['inspect', '--recipients', at('bad-recipients.json'), at('data.aseal')])
    expectRefused(r, 5, 'POLICY_INVALID')
    expect(r.stderr).toMatch(message)
  })
})

describe('arrowseal rewrap', () => {
  it('adds a reader who can then open, with every payload unit unchanged', async () => {
    const r = await rewrapAs(
      '--policy',
      at('policy.json'),
      '--add',
      `analysts=${at('carol.pub')}`,
      '-o',
      at('added.aseal'),
      at('data.aseal'),
    )
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toContain(`added ${keyId('carol')} to role analysts`)
    expect(unitHashes(read('added.aseal'))).toEqual(unitHashes(read('data.aseal')))
    const carol = await openAs('carol', at('added.aseal'))
    expect(carol.code, carol.stderr).toBe(0)
    const table = tableFromIPC(carol.stdoutBytes)
    expect(columns(table)).toEqual(['id', 'amount'])
    expect(table.numRows).toBe(3)
    // Readers must trust the rewrapper as well as the original writer.
    expectRefused(
      await openAs('carol', at('added.aseal'), ['--trust', ids['writer']!.publicKey]),
      4,
      'SIGNER_UNTRUSTED',
    )
  })

  it('streams stdin to stdout; a removed reader is refused, the others still open', async () => {
    const r = await runCli(
      cli,
      [
        'rewrap',
        '--identity',
        at('steward.key'),
        '--signer',
        at('steward.key'),
        '--trust',
        ids['writer']!.publicKey,
        '--recipients',
        at('recipients.json'),
        '--remove',
        'alice-2026',
      ],
      { input: read('data.aseal') },
    )
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toContain(`removed ${keyId('alice')} (alice-2026) from every role`)
    writeFileSync(at('removed.aseal'), r.stdoutBytes)
    expect(unitHashes(r.stdoutBytes)).toEqual(unitHashes(read('data.aseal')))
    expectRefused(await openAs('alice', at('removed.aseal')), 4, 'NOT_A_RECIPIENT')
    const bob = await openAs('bob', at('removed.aseal'))
    expect(bob.code, bob.stderr).toBe(0)
    expect(columns(tableFromIPC(bob.stdoutBytes))).toEqual(['id', 'email'])
  })

  it.each([
    ['no change asked', 2, 'USAGE', []],
    ['--add without ROLE=', 2, 'USAGE', ['--policy', 'POLICY', '--add', 'carol.pub']],
    ['--add without --policy', 2, 'USAGE', ['--add', 'analysts=CAROL']],
    ['--add by key id only', 2, 'USAGE', ['--policy', 'POLICY', '--add', 'analysts=0123456789abcdef']],
    ['an unknown option', 2, 'USAGE', ['--remove', 'ALICE', '--grant', 'x']],
    ['a key id the stream does not name', 5, 'RECIPIENT_UNKNOWN', ['--remove', '0123456789abcdef']],
    ['an unknown label', 5, 'RECIPIENT_UNKNOWN', ['--recipients', 'RECIPIENTS', '--remove', 'nobody-2026']],
    ['a label without --recipients', 5, 'RECIPIENT_UNKNOWN', ['--remove', 'alice-2026']],
    [
      '--add of a role the policy does not name',
      5,
      'POLICY_UNKNOWN_ROLE',
      ['--policy', 'POLICY', '--add', 'interns=CAROL'],
    ],
    ['a key already a recipient', 2, 'USAGE', ['--policy', 'POLICY', '--add', 'auditors=BOB']],
  ])('refuses %s: exit %i, %s, nothing written', async (_what, exit, code, args) => {
    await refusedRun(
      () => rewrapAs(...(args as string[]).map(placeholders), '-o', at('refused.aseal'), at('data.aseal')),
      exit,
      code,
    )
  })

  it('refuses an original writer that is not trusted (exit 4), writing nothing', async () => {
    const args = ['--identity', at('steward.key'), '--signer', at('steward.key'), '--trust', ids['mallory']!.publicKey]
    const rest = ['--remove', keyId('alice'), '-o', at('refused.aseal'), at('data.aseal')]
    await refusedRun(() => runCli(cli, ['rewrap', ...args, ...rest]), 4, 'SIGNER_UNTRUSTED')
  })

  it('refuses a rewrapper without the groups of the role it adds (exit 4), writing nothing', async () => {
    const args = ['--identity', at('alice.key'), '--signer', at('alice.key'), '--trust', ids['writer']!.publicKey]
    const rest = ['--policy', at('policy.json'), '--add', `auditors=${at('carol.pub')}`, '-o', at('refused.aseal')]
    await refusedRun(() => runCli(cli, ['rewrap', ...args, ...rest, at('data.aseal')]), 4, 'REWRAP_NOT_ENTITLED')
  })

  it('refuses to write over its input (exit 2), leaving it as it was', async () => {
    const before = read('data.aseal')
    await refusedRun(() => rewrapAs('--remove', keyId('alice'), '-o', at('data.aseal'), at('data.aseal')), 2, 'USAGE')
    expect(read('data.aseal')).toEqual(before)
  })

  it('a stream cut short fails after the header has verified: no output file; stdout says it is incomplete', async () => {
    const whole = read('data.aseal')
    writeFileSync(at('cut.aseal'), whole.subarray(0, whole.length - 40))
    await refusedRun(
      () => rewrapAs('--remove', keyId('alice'), '-o', at('refused.aseal'), at('cut.aseal')),
      4,
      'TRUNCATED',
    )
    const piped = await rewrapAs('--remove', keyId('alice'), at('cut.aseal'))
    expectRefused(piped, 4, 'TRUNCATED')
    if (piped.stdoutBytes.length > 0) expect(piped.stderr).toContain('stdout is incomplete')
  })

  it('refuses a rewrapper that is not a recipient (exit 4), writing nothing', async () => {
    const args = ['--identity', at('mallory.key'), '--signer', at('mallory.key'), '--trust', ids['writer']!.publicKey]
    const rest = ['--remove', keyId('alice'), '-o', at('refused.aseal'), at('data.aseal')]
    const r = await refusedRun(() => runCli(cli, ['rewrap', ...args, ...rest]), 4, 'NOT_A_RECIPIENT')
    expect(r.stderr).toContain('is a recipient')
  })
})

describe('arrowseal rotate', () => {
  it('moves a reader from its old key to its new one, in exactly its roles, from the file\'s "replaces"', async () => {
    const r = await rotateAs('--recipients', at('rotation.json'), '-o', at('rotated.aseal'), at('data.aseal'))
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toContain(
      `replaced ${keyId('alice')} (alice-2026) by ${keyId('alice2')} (alice-2027) in roles analysts`,
    )
    expect(unitHashes(read('rotated.aseal'))).toEqual(unitHashes(read('data.aseal')))
    expectRefused(await openAs('alice', at('rotated.aseal')), 4, 'NOT_A_RECIPIENT')
    const [before, after] = await Promise.all([
      openAs('alice', at('data.aseal'), ['--trust', ids['writer']!.publicKey]),
      openAs('alice2', at('rotated.aseal')),
    ])
    expect(after.code, after.stderr).toBe(0)
    // The same fields and rows as the old key read: the roles carried over, no more, no less.
    expect(
      tableFromIPC(after.stdoutBytes)
        .toArray()
        .map((row) => row.toJSON()),
    ).toEqual(
      tableFromIPC(before.stdoutBytes)
        .toArray()
        .map((row) => row.toJSON()),
    )
    const inspected = await runCli(cli, ['inspect', '--recipients', at('rotation.json'), at('rotated.aseal')])
    expect(inspected.code, inspected.stderr).toBe(0)
    expect(inspected.stdout).toContain(`${keyId('alice2')} (alice-2027)`)
    expect(inspected.stdout).not.toContain('(alice-2026)')
    expect(inspected.stdout).toMatch(
      new RegExp(`^rewrap 1 +by ${keyId('steward')} \\(steward\\): kept 2 recipients, added 1$`, 'm'),
    )
  })

  it('rotates a stream that was rewrapped before (the chain grows; every rewrapper must be trusted)', async () => {
    const r = await rotateAs(
      '--trust',
      ids['steward']!.publicKey,
      '--recipients',
      at('rotation.json'),
      '-o',
      at('added-rotated.aseal'),
      at('added.aseal'),
    )
    expect(r.code, r.stderr).toBe(0)
    expect(unitHashes(read('added-rotated.aseal'))).toEqual(unitHashes(read('data.aseal')))
    expectRefused(await openAs('alice', at('added-rotated.aseal')), 4, 'NOT_A_RECIPIENT')
    for (const who of ['alice2', 'carol']) {
      const opened = await openAs(who, at('added-rotated.aseal'))
      expect(opened.code, opened.stderr).toBe(0)
      expect(columns(tableFromIPC(opened.stdoutBytes))).toEqual(['id', 'amount'])
    }
  })

  it('takes --replace OLD=NEW with a key id and a key file', async () => {
    const r = await rotateAs(
      '--recipients',
      at('recipients.json'),
      '--replace',
      `${keyId('bob')}=${at('carol.pub')}`,
      '-o',
      at('rotated-bob.aseal'),
      at('data.aseal'),
    )
    expect(r.code, r.stderr).toBe(0)
    expectRefused(await openAs('bob', at('rotated-bob.aseal')), 4, 'NOT_A_RECIPIENT')
    const carol = await openAs('carol', at('rotated-bob.aseal'))
    expect(carol.code, carol.stderr).toBe(0)
    expect(columns(tableFromIPC(carol.stdoutBytes))).toEqual(['id', 'email'])
  })

  it.each([
    ['no --recipients', 2, 'USAGE', ['--replace', 'alice-2026=alice-2027']],
    ['a file without "replaces" and no --replace', 2, 'USAGE', ['--recipients', 'RECIPIENTS']],
    [
      '--replace of a key the stream does not name',
      5,
      'RECIPIENT_UNKNOWN',
      ['--recipients', 'ROTATION', '--replace', 'CAROL_ID=alice-2027'],
    ],
    [
      '--replace of an unknown label',
      5,
      'RECIPIENT_UNKNOWN',
      ['--recipients', 'ROTATION', '--replace', 'nobody=alice-2027'],
    ],
    ['--replace without =', 2, 'USAGE', ['--recipients', 'ROTATION', '--replace', 'alice-2026']],
  ])('refuses %s: exit %i, %s, nothing written', async (_what, exit, code, args) => {
    await refusedRun(
      () => rotateAs(...(args as string[]).map(placeholders), '-o', at('refused.aseal'), at('data.aseal')),
      exit,
      code,
    )
  })

  it('a stream naming none of the replaced keys is RECIPIENT_UNKNOWN', async () => {
    const pk = (n: string) => ids[n]!.publicKey
    const elsewhere = { auditors: [{ key: pk('carol'), id: 'carol-2027', replaces: keyId('mallory') }] }
    writeFileSync(at('rotation-elsewhere.json'), JSON.stringify(elsewhere))
    const run = () =>
      rotateAs('--recipients', at('rotation-elsewhere.json'), '-o', at('refused.aseal'), at('data.aseal'))
    await refusedRun(run, 5, 'RECIPIENT_UNKNOWN')
  })
})

describe('help', () => {
  it('arrowseal --help lists rewrap and rotate', async () => {
    const r = await runCli(cli, ['--help'])
    expect(r.stdout).toMatch(/^ {2}rewrap +\S/m)
    expect(r.stdout).toMatch(/^ {2}rotate +\S/m)
  })
})
