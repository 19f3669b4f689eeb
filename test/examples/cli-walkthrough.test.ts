/**
 * examples/README.md's CLI walkthrough with the published example files: recipients.json, keys/, policy.json and
 * transactions.csv must fit together, and the commands must do what the README says.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { importIdentity, parsePublicKey } from '../../src/index.js'
import { identityLine } from '../../src/node/files.js'
import { buildCli, ROOT, runCli, tempDir } from '../cli/helpers.js'

const ex = (name: string) => join(ROOT, 'examples', name)
const read = (name: string) => readFileSync(ex(name), 'utf8')
let cli: string
let dir: string
let cleanup: () => void

beforeAll(async () => {
  ;({ dir, cleanup } = tempDir())
  cli = await buildCli()
})
afterAll(() => cleanup?.())

describe('examples/ CLI walkthrough', () => {
  it('recipients.json lists the public keys of keys/*.key, one role each, for every role in policy.json', async () => {
    const recipients = JSON.parse(read('recipients.json')) as Record<string, string[]>
    const policy = JSON.parse(read('policy.json')) as { fields: Record<string, string | string[]> }
    const roles = new Set(Object.values(policy.fields).flatMap((r) => (Array.isArray(r) ? r : [])))
    expect(Object.keys(recipients).sort()).toEqual([...roles].sort())
    for (const role of ['writer', ...roles]) {
      const identity = await importIdentity(identityLine(read(`keys/${role}.key`)))
      expect(read(`keys/${role}.pub`).trim()).toBe(identity.publicKey)
      if (role !== 'writer') expect(recipients[role]!.map((k) => parsePublicKey(k).text)).toEqual([identity.publicKey])
    }
    expect(read('transactions.csv').split('\n')[0]!.split(',').sort()).toEqual(Object.keys(policy.fields).sort())
  })

  it('seal → open as support (csv) → refused with the wrong writer', async () => {
    const out = join(dir, 'transactions.aseal')
    const sealed = await runCli(cli, [
      'seal',
      '--policy',
      ex('policy.json'),
      '--recipients',
      ex('recipients.json'),
      '--signer',
      ex('keys/writer.key'),
      '-o',
      out,
      ex('transactions.csv'),
    ])
    expect(sealed.code, sealed.stderr).toBe(0)
    const [support, wrong] = await Promise.all([
      runCli(cli, [
        'open',
        '--identity',
        ex('keys/support.key'),
        '--trust',
        ex('keys/writer.pub'),
        '--format',
        'csv',
        out,
      ]),
      runCli(cli, ['open', '--identity', ex('keys/analyst.key'), '--trust', ex('keys/support.pub'), out]),
    ])
    expect(support.code, support.stderr).toBe(0)
    expect(support.stdout.split('\n')[0]).toBe('id,name,email,country,timestamp')
    expect(support.stdout.trim().split('\n')).toHaveLength(21)
    expect(wrong.code).toBe(4)
    expect(wrong.stderr).toContain('SIGNER_UNTRUSTED')
  })
})
