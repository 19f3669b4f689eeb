/**
 * CLI failures as a person meets them: each with its exit code, its one-line message, and no output file —
 * neither a partial one nor a changed pre-existing one — and nothing on stdout.
 */
import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tableToIPC } from 'apache-arrow'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sampleTransactions } from '../../src/cli/sample-data.js'
import {
  createWriterSession,
  exportIdentity,
  generateIdentity,
  type Identity,
  inspect,
  type Policy,
  sealTable,
} from '../../src/index.js'
import { writeIdentityFile } from '../../src/node/files.js'
import { buildCli, runCli, sealArgs, tempDir } from './helpers.js'

let cli: string
let dir: string
let cleanup: () => void
let writer: Identity
let reader: Identity
let mallory: Identity
let sealed: Uint8Array
const p = (name: string) => join(dir, name)
const policy: Policy = { fields: { id: 'public', amount: ['reader'] }, default: ['reader'] }

beforeAll(async () => {
  ;({ dir, cleanup } = tempDir())
  cli = await buildCli()
  ;[writer, reader, mallory] = await Promise.all([generateIdentity(), generateIdentity(), generateIdentity()])
  await writeIdentityFile(p('writer.key'), writer)
  await writeIdentityFile(p('reader.key'), reader)
  await writeIdentityFile(p('mallory.key'), mallory)
  writeFileSync(p('recipients.json'), JSON.stringify({ reader: [reader.publicKey] }))
  writeFileSync(p('policy.json'), JSON.stringify(policy))
  const table = sampleTransactions({ rows: 40, batchRows: 10 })
  writeFileSync(p('data.arrows'), tableToIPC(table, 'stream'))
  sealed = await sealTable(table, { signer: writer, recipients: { reader: [reader.publicKey] }, policy })
  writeFileSync(p('data.aseal'), sealed)
})

afterAll(() => cleanup?.())

/** Runs `open` into out.csv, which holds "old" beforehand: a failure must leave it as it was. */
async function openInto(args: string[], input = p('data.aseal')) {
  writeFileSync(p('out.csv'), 'old\n')
  const r = await runCli(cli, ['open', ...args, '-o', p('out.csv'), input])
  expect(readFileSync(p('out.csv'), 'utf8')).toBe('old\n')
  expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([])
  return r
}

function expectError(r: { code: number | null; stderr: string; stdout: string }, exit: number, code: string) {
  expect(r.code, r.stderr).toBe(exit)
  expect(r.stdout).toBe('')
  const lines = r.stderr.trimEnd().split('\n')
  expect(lines, r.stderr).toHaveLength(1)
  expect(lines[0]).toMatch(new RegExp(`^arrowseal: error ${code}: .+ — .+`))
}

describe('usage errors exit 2', () => {
  it('unknown command, unknown option, missing option, extra argument', async () => {
    const [unknown, option, missing, extra, none] = await Promise.all([
      runCli(cli, ['frobnicate']),
      runCli(cli, ['inspect', '--nope', p('data.aseal')]),
      runCli(cli, ['seal', '--recipients', 'r.json', '--signer', 'w.key', 'in.csv']),
      runCli(cli, ['pubkey', 'a', 'b']),
      runCli(cli, []),
    ])
    expectError(unknown, 2, 'USAGE')
    expect(unknown.stderr).toContain('unknown command "frobnicate"')
    expectError(option, 2, 'USAGE')
    expect(option.stderr).toContain("'--nope'")
    expectError(missing, 2, 'USAGE')
    expect(missing.stderr).toContain('missing --policy — see `arrowseal seal --help`')
    expectError(extra, 2, 'USAGE')
    expect(none.code).toBe(2)
    expect(none.stdout).toContain('Usage: arrowseal COMMAND')
  })

  it('open without --trust is refused before anything is read', async () => {
    const r = await openInto(['--identity', p('reader.key')])
    expectError(r, 2, 'USAGE')
    expect(r.stderr).toContain('missing --trust')
  })
})

describe('input errors exit 3', () => {
  it('a missing input file names the path', async () => {
    const r = await openInto(['--identity', p('reader.key'), '--trust', writer.publicKey], p('nope.aseal'))
    expectError(r, 3, 'IO')
    expect(r.stderr).toContain('nope.aseal: no such file or directory')
  })

  it('a truncated file is refused with TRUNCATED, exit 4 (integrity), and no output', async () => {
    writeFileSync(p('cut.aseal'), sealed.subarray(0, sealed.length - 40))
    const r = await openInto(['--identity', p('reader.key'), '--trust', writer.publicKey], p('cut.aseal'))
    expectError(r, 4, 'TRUNCATED')
  })

  it('an unknown header flag is FORMAT_UNSUPPORTED, exit 3, with a hint that does not just say "upgrade"', async () => {
    const flagged = sealed.slice()
    flagged[16]! |= 0x10 // header flag bit 4: no version of the format defines it
    writeFileSync(p('flagged.aseal'), flagged)
    const r = await openInto(['--identity', p('reader.key'), '--trust', writer.publicKey], p('flagged.aseal'))
    expectError(r, 3, 'FORMAT_UNSUPPORTED')
    expect(r.stderr).toContain('unknown header flags 0x10')
    expect(r.stderr).not.toMatch(/sealed by a newer arrowseal; upgrade/)
    expect(r.stderr).toContain('arrowseal --version')
  })

  it('trailing bytes after the stream are refused with TRAILING_DATA, exit 4', async () => {
    const extra = new Uint8Array(sealed.length + 7)
    extra.set(sealed)
    writeFileSync(p('extra.aseal'), extra)
    const r = await openInto(['--identity', p('reader.key'), '--trust', writer.publicKey], p('extra.aseal'))
    expectError(r, 4, 'TRAILING_DATA')
  })

  it('malformed CSV is refused with the row, not the values', async () => {
    writeFileSync(p('bad.csv'), 'id,amount\n1,2\n3,SECRET-VALUE,4\n')
    const r = await runCli(cli, sealArgs(p, 'policy.json', '-o', p('bad.aseal'), p('bad.csv')))
    expectError(r, 3, 'INPUT_INVALID')
    expect(r.stderr).toContain('CSV data row 2 (line 3) has a different number of fields than the first row')
    expect(r.stderr).not.toContain('SECRET-VALUE')
    expect(existsSync(p('bad.aseal'))).toBe(false)
  })
})

describe('authentication errors exit 4, and nothing is written', () => {
  it('a tampered file: AUTH_FAILED, even when the flipped byte is in the last batch', async () => {
    const tampered = sealed.slice()
    tampered[tampered.length - 200]! ^= 0x40
    writeFileSync(p('tampered.aseal'), tampered)
    const r = await openInto(['--identity', p('reader.key'), '--trust', writer.publicKey], p('tampered.aseal'))
    expectError(r, 4, 'AUTH_FAILED')
    // The same to stdout: batches stream out as they verify, so the earlier ones may be printed; the tampered
    // one never is. stderr says the output is incomplete, then gives the error; the exit code is 4.
    const csvArgs = ['open', '--identity', p('reader.key'), '--trust', writer.publicKey, '--format', 'csv']
    const [toStdout, whole] = await Promise.all([
      runCli(cli, [...csvArgs, p('tampered.aseal')]),
      runCli(cli, [...csvArgs, p('data.aseal')]),
    ])
    expect(toStdout.code, toStdout.stderr).toBe(4)
    expect(whole.code, whole.stderr).toBe(0)
    expect(whole.stdout.startsWith(toStdout.stdout)).toBe(true)
    expect(toStdout.stdout.length).toBeLessThan(whole.stdout.length)
    // The flipped byte is in the last of four batches: the three before it verified and were streamed.
    expect(toStdout.stdout.length).toBeGreaterThan(0)
    const lines = toStdout.stderr.trimEnd().split('\n')
    expect(lines.at(-1)).toMatch(/^arrowseal: error AUTH_FAILED: .+ — .+/)
    if (toStdout.stdout.length > 0) {
      expect(lines).toHaveLength(2)
      expect(lines[0]).toBe(
        `arrowseal: stdout is incomplete: ${Buffer.byteLength(toStdout.stdout)} bytes of verified output were written before the error below; discard them`,
      )
    } else expect(lines).toHaveLength(1)
  })

  it('an untrusted signer: SIGNER_UNTRUSTED', async () => {
    const r = await openInto(['--identity', p('reader.key'), '--trust', mallory.publicKey])
    expectError(r, 4, 'SIGNER_UNTRUSTED')
    expect(r.stderr).toContain('--trust')
  })

  it('a writer-session stream with --sessions reject: SESSION_REJECTED; a bad --sessions: usage', async () => {
    const session = await createWriterSession(writer)
    const table = sampleTransactions({ rows: 10, batchRows: 10 })
    writeFileSync(
      p('session.aseal'),
      await sealTable(table, { signer: session, recipients: { reader: [reader.publicKey] }, policy }),
    )
    const shown = await runCli(cli, ['inspect', p('session.aseal')])
    expect(shown.stdout).toMatch(new RegExp(`session +${session.sessionKeyId}, valid `))
    const base = ['--identity', p('reader.key'), '--trust', writer.publicKey]
    expectError(await openInto([...base, '--sessions', 'reject'], p('session.aseal')), 4, 'SESSION_REJECTED')
    expect((await openInto([...base, '--sessions', 'sometimes'], p('session.aseal'))).code).toBe(2)
    const ok = await runCli(cli, ['open', ...base, '--sessions', 'current', '--format', 'csv', p('session.aseal')])
    expect(ok.code, ok.stderr).toBe(0)
    expect(ok.stdout.trim().split('\n')).toHaveLength(11)
  })

  it('--stream-id: another (older) stream of the same writer is STREAM_UNEXPECTED; a malformed id is usage', async () => {
    const table = sampleTransactions({ rows: 10, batchRows: 10 })
    const newer = await sealTable(table, { signer: writer, recipients: { reader: [reader.publicKey] }, policy })
    writeFileSync(p('newer.aseal'), newer)
    const id = inspect(newer).streamId
    const base = ['--identity', p('reader.key'), '--trust', writer.publicKey]
    expectError(await openInto([...base, '--stream-id', id]), 4, 'STREAM_UNEXPECTED')
    expect((await openInto([...base, '--stream-id', 'abc'])).code).toBe(2)
    const ok = await runCli(cli, ['open', ...base, '--stream-id', id, '--format', 'csv', p('newer.aseal')])
    expect(ok.code, ok.stderr).toBe(0)
    expect(ok.stdout.trim().split('\n')).toHaveLength(11)
  })

  it('a wrong identity: NOT_A_RECIPIENT', async () => {
    const r = await openInto(['--identity', p('mallory.key'), '--trust', writer.publicKey])
    expectError(r, 4, 'NOT_A_RECIPIENT')
  })
})

describe('policy errors exit 5, key errors exit 6', () => {
  it('a field no rule covers: POLICY_FIELD_UNCOVERED, no output file', async () => {
    writeFileSync(p('narrow.json'), JSON.stringify({ fields: { id: 'public' } }))
    const r = await runCli(cli, sealArgs(p, 'narrow.json', '-o', p('narrow.aseal'), p('data.arrows')))
    expectError(r, 5, 'POLICY_FIELD_UNCOVERED')
    expect(existsSync(p('narrow.aseal'))).toBe(false)
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([])
  })

  it('a policy file that is not JSON: POLICY_INVALID', async () => {
    writeFileSync(p('broken.json'), '{ "fields": ')
    const r = await runCli(cli, sealArgs(p, 'broken.json', p('data.arrows')))
    expectError(r, 5, 'POLICY_INVALID')
  })

  it('a bad public key and a secret key passed to --trust: KEY_INVALID, secret never echoed', async () => {
    const secret = exportIdentity(writer)
    writeFileSync(p('secret-as-trust'), `${secret}\n`)
    const [bad, secretTrust] = await Promise.all([
      openInto(['--identity', p('reader.key'), '--trust', 'aseal1qqqqqqqqqqqq']),
      openInto(['--identity', p('reader.key'), '--trust', p('secret-as-trust')]),
    ])
    expectError(bad, 6, 'KEY_INVALID')
    expectError(secretTrust, 6, 'KEY_INVALID')
    expect(secretTrust.stderr).toContain('is a secret identity, not a public key')
    expect(secretTrust.stderr).not.toContain(secret.slice(20, 40))
  })

  it('a corrupted identity file: KEY_INVALID without its content', async () => {
    // Change one character of the key text (to one it is not already: the identity is random per run).
    const text = readFileSync(p('reader.key'), 'utf8').replace(
      /(ASEAL-SECRET-KEY-1\w{10})(\w)/,
      (_, head: string, c: string) => head + (c === 'Q' ? 'P' : 'Q'),
    )
    expect(text).not.toBe(readFileSync(p('reader.key'), 'utf8'))
    writeFileSync(p('corrupt.key'), text)
    const r = await openInto(['--identity', p('corrupt.key'), '--trust', writer.publicKey])
    expectError(r, 6, 'KEY_INVALID')
    expect(r.stderr).not.toMatch(/ASEAL-SECRET-KEY-1\w{8}/)
  })
})

describe('warnings and misdirected input', () => {
  it('an identity file readable by others works, with a warning', async () => {
    writeFileSync(p('shared.key'), readFileSync(p('reader.key')), { mode: 0o644 })
    chmodSync(p('shared.key'), 0o644)
    const r = await runCli(cli, [
      'open',
      '--identity',
      p('shared.key'),
      '--trust',
      writer.publicKey,
      '--format',
      'csv',
      p('data.aseal'),
    ])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toMatch(
      /^arrowseal: warning: identity file .*shared\.key is accessible by other users \(mode 0644\); run chmod 600/,
    )
  })

  it('inspect of a file that is not sealed: exit 3', async () => {
    const r = await runCli(cli, ['inspect', p('data.arrows')])
    expect(r.code, r.stderr).toBe(3)
    expect(r.stderr).toMatch(/^arrowseal: error FORMAT_\w+: /)
  })
})

describe('--debug', () => {
  it('adds a stack trace; without it there is none', async () => {
    const args = ['open', '--identity', p('mallory.key'), '--trust', writer.publicKey, p('data.aseal')]
    const [plain, debug] = await Promise.all([runCli(cli, args), runCli(cli, [...args, '--debug'])])
    expect(plain.stderr).not.toMatch(/\n\s+at /)
    expect(debug.code).toBe(4)
    expect(debug.stderr).toMatch(/\n\s+at /)
  })
})

describe('interrupted', () => {
  it('Ctrl-C while opening removes the temporary file and writes no output', async () => {
    const { spawn } = await import('node:child_process')
    const out = p('interrupted.csv')
    const child = spawn(
      process.execPath,
      [cli, 'open', '--identity', p('reader.key'), '--trust', writer.publicKey, '-o', out],
      { stdio: ['pipe', 'ignore', 'pipe'] },
    )
    child.stdin.write(sealed.subarray(0, 1000)) // part of the input; stdin stays open
    const tmp = () => readdirSync(dir).filter((f) => f.startsWith('.interrupted.csv.') && f.endsWith('.tmp'))
    const deadline = Date.now() + 20_000
    while (tmp().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
    expect(tmp()).toHaveLength(1) // the output is being written to a temporary file…
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
    child.kill('SIGINT')
    expect(await exited).toBe(130)
    expect(tmp()).toEqual([]) // …which is gone after the interrupt,
    expect(existsSync(out)).toBe(false) // and no output appeared.
  })
})

describe('a reader that stops reading', () => {
  it('`open … | head -1` exits 0 quietly instead of crashing on EPIPE', async () => {
    const big = await sealTable(sampleTransactions({ rows: 20_000 }), {
      signer: writer,
      recipients: { reader: [reader.publicKey] },
      policy,
    })
    writeFileSync(p('big.aseal'), big)
    const { spawn } = await import('node:child_process')
    const child = spawn(
      process.execPath,
      [cli, 'open', '--identity', p('reader.key'), '--trust', writer.publicKey, '--format', 'csv', p('big.aseal')],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString()
    })
    child.stdout.once('data', () => child.stdout.destroy())
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)))
    expect(stderr).toBe('')
    expect(code).toBe(0)
  })
})
