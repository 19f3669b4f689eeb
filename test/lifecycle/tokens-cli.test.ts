/**
 * Pseudonymised views from the command line: `keygen --token-key`, `seal --token-key --dataset`, the stderr
 * summary of which roles get tokens, and `inspect` marking token columns.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tableFromArrays, tableFromIPC, tableToIPC } from 'apache-arrow'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cliFixture, runCli, sealArgs } from '../cli/helpers.js'

let cli: string
let dir: string
let cleanup: () => void
const p = (name: string) => join(dir, name)
let keys: Record<string, string> = {}

beforeAll(async () => {
  ;({ dir, cleanup, cli, keys } = await cliFixture({
    prefix: 'arrowseal-tokens-',
    identities: ['writer', 'analyst', 'auditor'],
    recipients: (k) => ({ analysts: [k.analyst], auditors: [k.auditor] }),
    policy: { fields: { id: 'public', email: ['auditors'] }, tokens: { email: ['analysts'] } },
  }))
  writeFileSync(p('a.arrows'), tableToIPC(tableFromArrays({ id: Int32Array.of(1, 2), email: ['x@a', 'y@a'] })))
  writeFileSync(p('b.arrows'), tableToIPC(tableFromArrays({ id: Int32Array.of(3), email: ['y@a'] })))
}, 60_000)

afterAll(() => cleanup?.())

const seal = (input: string, out: string, ...rest: string[]) =>
  runCli(cli, sealArgs(p, 'policy.json', '-o', p(out), ...rest, p(input)))
const openAs = async (who: string, file: string) => {
  const r = await runCli(cli, ['open', '--identity', p(`${who}.key`), '--trust', keys['writer']!, p(file)])
  expect(r.code, r.stderr).toBe(0)
  return tableFromIPC(r.stdoutBytes)
}

describe('tokens on the command line', () => {
  it('keygen --token-key writes a 0600 key file', async () => {
    const r = await runCli(cli, ['keygen', '--token-key', '-o', p('crm.token-key')])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toBe('')
    expect(statSync(p('crm.token-key')).mode & 0o777).toBe(0o600)
    expect(readFileSync(p('crm.token-key'), 'utf8')).toMatch(/^#.*\n[0-9a-f]{64}\n$/)
  })

  it('seals two streams whose tokens join, and says which roles get tokens', async () => {
    const a = await seal(
      'a.arrows',
      'a.aseal',
      '--token-key',
      p('crm.token-key'),
      '--dataset',
      'crm',
      '--reveal-schema',
    )
    expect(a.code, a.stderr).toBe(0)
    expect(a.stderr).toContain('field "email": in clear for auditors; tokens only for analysts')
    const b = await seal('b.arrows', 'b.aseal', '--token-key', p('crm.token-key'), '--dataset', 'crm')
    expect(b.code, b.stderr).toBe(0)
    const ta = await openAs('analyst', 'a.aseal')
    const tb = await openAs('analyst', 'b.aseal')
    const hex = (v: unknown) => Buffer.from(v as Uint8Array).toString('hex')
    expect(hex(tb.getChild('email')!.get(0))).toBe(hex(ta.getChild('email')!.get(1)))
    expect(hex(ta.getChild('email')!.get(0))).not.toBe(hex(ta.getChild('email')!.get(1)))
    expect((await openAs('auditor', 'a.aseal')).getChild('email')!.toArray()).toEqual(['x@a', 'y@a'])

    const human = await runCli(cli, ['inspect', p('a.aseal')])
    expect(human.stdout).toMatch(/sealed: email \(tokens only, dataset "crm"\)/)
    const json = JSON.parse((await runCli(cli, ['inspect', '--json', p('a.aseal')])).stdout)
    const fields = json.groups.flatMap((g: { fields?: { tokenDataset?: string }[] }) => g.fields ?? [])
    expect(fields.filter((f: { tokenDataset?: string }) => f.tokenDataset === 'crm')).toHaveLength(1)
  })

  it('refuses a token policy without a key, half the options, and a bad key file without quoting it', async () => {
    const none = await seal('a.arrows', 'c.aseal')
    expect(none.code).not.toBe(0)
    expect(none.stderr).toMatch(/POLICY_INVALID.*options\.tokens/)
    // --dataset alone also names a gateway's dataset, so it is valid; the token policy still needs its key.
    const datasetOnly = await seal('a.arrows', 'c.aseal', '--dataset', 'crm')
    expect(datasetOnly.stderr).toMatch(/POLICY_INVALID.*options\.tokens/)
    writeFileSync(p('bad.token-key'), 'deadbeefSECRET\n')
    const keyOnly = await seal('a.arrows', 'c.aseal', '--token-key', p('bad.token-key'))
    expect(keyOnly.code).toBe(2)
    const bad = await seal('a.arrows', 'c.aseal', '--token-key', p('bad.token-key'), '--dataset', 'crm')
    expect(bad.code).not.toBe(0)
    expect(bad.stderr).toContain('not a token key file')
    expect(bad.stderr).not.toContain('deadbeef')
  })
})
