/**
 * The CLI side of service recipients: a recipients file naming a gateway, `seal --dataset`, `inspect` showing
 * which roles go through which gateway, and `open` by a reader without a stanza telling where to ask.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tableFromArrays, tableToIPC } from 'apache-arrow'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cliFixture, runCli, sealArgs } from '../cli/helpers.js'

let cli: string
let dir: string
let cleanup: () => void
const p = (name: string) => join(dir, name)
let keys: Record<string, string> = {}

beforeAll(async () => {
  ;({ dir, cleanup, cli, keys } = await cliFixture({
    prefix: 'arrowseal-kas-cli-',
    identities: ['writer', 'alice', 'kas', 'bob'],
    recipients: (k) => ({ support: [k.alice], analysts: [{ service: 'https://kas.example/v1', key: k.kas }] }),
    policy: { fields: { id: 'public', email: ['support'], amount: ['analysts'] } },
  }))
  const t = tableFromArrays({ id: Int32Array.of(1, 2), email: ['a@x', 'b@y'], amount: Float64Array.of(1, 2) })
  writeFileSync(p('data.arrows'), tableToIPC(t, 'stream'))
})
afterAll(() => cleanup?.())

const seal = (...rest: string[]) => runCli(cli, sealArgs(p, 'policy.json', ...rest))

describe('CLI: service recipients', () => {
  it('seals for a gateway, inspect shows where each role goes, and a reader without a stanza is told', async () => {
    const sealed = await seal('--dataset', 'sales', '-o', p('data.aseal'), p('data.arrows'))
    expect(sealed.code, sealed.stderr).toBe(0)
    const text = await runCli(cli, ['inspect', p('data.aseal')])
    expect(text.code, text.stderr).toBe(0)
    expect(text.stdout).toMatch(
      /service\s+analysts \(groups 2\) through https:\/\/kas\.example\/v1, dataset "sales", key [0-9a-f]{16}/,
    )
    expect(text.stdout).toMatch(/frame key\s+[0-9a-f]{16} \(signs every frame\)/)
    const outsider = await runCli(cli, [
      'open',
      '--identity',
      p('bob.key'),
      '--trust',
      keys['writer']!,
      '-o',
      p('bob.arrows'),
      p('data.aseal'),
    ])
    expect(outsider.code).not.toBe(0)
    expect(outsider.stderr).toContain('NOT_A_RECIPIENT')
    expect(outsider.stderr).toContain('through the key-access gateway at https://kas.example/v1')
  })

  it('refuses a recipients file with a bad gateway entry, naming the file', async () => {
    writeFileSync(p('bad.json'), JSON.stringify({ analysts: [{ service: 'ftp://kas.example', key: keys['kas'] }] }))
    const r = await runCli(cli, [
      'seal',
      '--policy',
      p('policy.json'),
      '--recipients',
      p('bad.json'),
      '--signer',
      p('writer.key'),
      '-o',
      p('x.aseal'),
      p('data.arrows'),
    ])
    expect(r.code).not.toBe(0)
    expect(r.stderr).toMatch(
      /POLICY_INVALID: .*bad\.json: recipients\.analysts\[0\]\.service: the URL must be an http: or https: URL/,
    )
  })
})
