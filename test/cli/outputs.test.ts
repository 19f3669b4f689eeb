/**
 * Where the CLI writes: temporary files are 0600 and swept after a SIGKILL, decrypted output is 0600, and an
 * output that is one of the command's inputs (same path, hard link, symlink) is refused before anything is read.
 */
import { spawn } from 'node:child_process'
import { existsSync, linkSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sampleTransactions } from '../../src/cli/sample-data.js'
import { generateIdentity, type Identity, type Policy, sealTable } from '../../src/index.js'
import { writeIdentityFile } from '../../src/node/files.js'
import { buildCli, runCli, sealArgs, tempDir } from './helpers.js'

let cli: string
let dir: string
let cleanup: () => void
let writer: Identity
let reader: Identity
let big: Uint8Array
const p = (name: string) => join(dir, name)
const policy: Policy = { fields: { id: 'public' }, default: ['reader'] }
const CSV = 'id,amount\n1,9.5\n2,120\n'

beforeAll(async () => {
  ;({ dir, cleanup } = tempDir())
  cli = await buildCli()
  ;[writer, reader] = await Promise.all([generateIdentity(), generateIdentity()])
  await writeIdentityFile(p('writer.key'), writer)
  await writeIdentityFile(p('reader.key'), reader)
  writeFileSync(p('recipients.json'), JSON.stringify({ reader: [reader.publicKey] }))
  writeFileSync(p('policy.json'), JSON.stringify(policy))
  big = await sealTable(sampleTransactions({ rows: 40_000, batchRows: 500 }), {
    signer: writer,
    recipients: { reader: [reader.publicKey] },
    policy,
  })
  writeFileSync(p('big.aseal'), big)
})

afterAll(() => cleanup?.())

const temps = (target: string) => readdirSync(dir).filter((f) => f.startsWith(`.${target}.`) && f.endsWith('.tmp'))
const openArgs = (...rest: string[]) => ['open', '--identity', p('reader.key'), '--trust', writer.publicKey, ...rest]

describe('SIGKILL during `open -o`', () => {
  it('leaves only a 0600 temporary file, which the next write of the same output removes', async () => {
    const child = spawn(process.execPath, [cli, ...openArgs('-o', p('killed.csv'))], {
      stdio: ['pipe', 'ignore', 'ignore'],
    })
    child.stdin.on('error', () => undefined) // EPIPE once the child is killed
    // Half the stream: decrypted rows reach the temporary file while stdin stays open.
    child.stdin.write(big.subarray(0, big.length >> 1))
    const deadline = Date.now() + 30_000
    const size = () => temps('killed.csv').reduce((n, f) => n + statSync(p(f)).size, 0)
    while (size() === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
    const exited = new Promise((resolve) => child.on('exit', resolve))
    child.kill('SIGKILL') // no exit hook runs: the temporary file stays
    await exited
    const left = temps('killed.csv')
    expect(left).toHaveLength(1)
    expect(readFileSync(p(left[0]!), 'utf8')).toContain('id,') // it does hold decrypted rows…
    expect(statSync(p(left[0]!)).mode & 0o777).toBe(0o600) // …readable by the owner only
    expect(existsSync(p('killed.csv'))).toBe(false)

    const again = await runCli(cli, openArgs('-o', p('killed.csv'), p('big.aseal')))
    expect(again.code, again.stderr).toBe(0)
    expect(temps('killed.csv')).toEqual([]) // the stale one was swept
    expect(statSync(p('killed.csv')).mode & 0o777).toBe(0o600) // decrypted output is 0600 too
  }, 60_000)
})

describe('output is an input', () => {
  it('seal -o data.csv data.csv is refused and the input is untouched', async () => {
    writeFileSync(p('same.csv'), CSV)
    const r = await runCli(cli, sealArgs(p, 'policy.json', '-o', p('same.csv'), p('same.csv')))
    expect(r.code, r.stderr).toBe(2)
    expect(r.stderr).toMatch(/^arrowseal: error USAGE: the output .* is the same file as the input/)
    expect(readFileSync(p('same.csv'), 'utf8')).toBe(CSV)
  })

  it('through a hard link, a symlink, or a relative spelling of the same path', async () => {
    writeFileSync(p('orig.csv'), CSV)
    linkSync(p('orig.csv'), p('hard.csv'))
    symlinkSync(p('orig.csv'), p('soft.csv'))
    for (const out of [p('hard.csv'), p('soft.csv'), join(dir, '.', 'orig.csv')]) {
      const r = await runCli(cli, sealArgs(p, 'policy.json', '-o', out, p('orig.csv')))
      expect(r.code, `${out}: ${r.stderr}`).toBe(2)
      expect(readFileSync(p('orig.csv'), 'utf8')).toBe(CSV)
    }
  }, 120_000)

  it('seal onto its policy, recipients or signer file, and open onto its input or identity, are refused', async () => {
    writeFileSync(p('in.csv'), CSV)
    for (const victim of ['policy.json', 'writer.key']) {
      const before = readFileSync(p(victim))
      const r = await runCli(cli, sealArgs(p, 'policy.json', '-o', p(victim), p('in.csv')))
      expect(r.code, r.stderr).toBe(2)
      expect(readFileSync(p(victim)).equals(before), `${victim} is unchanged`).toBe(true)
    }
    const sealedBefore = readFileSync(p('big.aseal'))
    const r1 = await runCli(cli, openArgs('--format', 'csv', '-o', p('big.aseal'), p('big.aseal')))
    expect(r1.code, r1.stderr).toBe(2)
    // Buffer#equals, not toEqual: vitest's deep equality walks the megabytes byte by byte (~80 s of this file).
    expect(readFileSync(p('big.aseal')).equals(sealedBefore), 'big.aseal is unchanged').toBe(true)
    const r2 = await runCli(cli, openArgs('--format', 'csv', '-o', p('reader.key'), p('big.aseal')))
    expect(r2.code, r2.stderr).toBe(2)
  }, 180_000)
})
