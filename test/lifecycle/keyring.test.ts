/**
 * Keyrings (issue 14, item 2): a reader with several identities opens each stream with the one it names, through
 * the API (`parseKeyring`, `pickIdentity`, `pickIdentityFromStream`) and the CLI (`open --identity` repeatable,
 * keyring files). Old streams stay readable with the old key after a rotation; a keyring without any recipient
 * key is refused.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tableFromArrays, tableFromIPC } from 'apache-arrow'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { exportIdentity } from '../../src/keys/identity.js'
import { parseKeyring, pickIdentity, pickIdentityFromStream } from '../../src/keys/keyring.js'
import { OpenStream } from '../../src/stream/open-stream.js'
import { openTable, sealTable } from '../../src/table.js'
import { buildCli, runCli, tempDir } from '../cli/helpers.js'
import { id } from '../helpers/identities.js'
import { readAll } from '../helpers/streams.js'

const writer = id('writer')
const old = id('reader-2025')
const current = id('reader-2026')
const stranger = id('stranger')
const trustedSigners = [writer.publicKey]
const table = tableFromArrays({ id: Int32Array.of(1, 2), email: ['a', 'b'] })
const sealFor = (key: string) =>
  sealTable(table, {
    signer: writer,
    recipients: { support: [key] },
    policy: { fields: { id: 'public', email: ['support'] } },
  })

let before: Uint8Array
let after: Uint8Array
beforeAll(async () => {
  before = await sealFor(old.publicKey)
  after = await sealFor(current.publicKey)
})

describe('keyrings', () => {
  it('parse identity lines with comments, and refuse repeats and junk without quoting them', async () => {
    const text = `# 2025\n${exportIdentity(old)}\n\n# 2026\n${exportIdentity(current)}\n`
    const ring = await parseKeyring(text)
    expect(ring.map((k) => k.keyId)).toEqual([old.keyId, current.keyId])
    await expect(parseKeyring(`${exportIdentity(old)}\n${exportIdentity(old)}\n`)).rejects.toMatchObject({
      code: 'KEY_INVALID',
    })
    const junk = parseKeyring(`${exportIdentity(old)}\nASEAL-SECRET-KEY-1NOTAKEY\n`, 'ring.txt')
    await expect(junk).rejects.toThrow(/ring\.txt: line 2 is not a secret identity/)
    await expect(junk).rejects.not.toThrow(/NOTAKEY/)
    await expect(parseKeyring('# nothing\n')).rejects.toThrow(/no identity/)
  })

  it('pick the identity each stream names, so old and new streams both open after a rotation', async () => {
    const ring = [current, old]
    expect(pickIdentity(before, ring)).toBe(old)
    expect(pickIdentity(after, ring)).toBe(current)
    for (const sealed of [before, after]) {
      const t = await openTable(sealed, { identity: pickIdentity(sealed, ring), trustedSigners })
      expect(t.getChild('email')!.toArray()).toEqual(['a', 'b'])
    }
    expect(() => pickIdentity(after, [old, stranger])).toThrow(expect.objectContaining({ code: 'NOT_A_RECIPIENT' }))
    expect(() => pickIdentity(after.subarray(0, 100), ring)).toThrow(expect.objectContaining({ code: 'TRUNCATED' }))
  })

  it('pick from a stream in small chunks and replay every byte to OpenStream', async () => {
    const chunks = Array.from({ length: Math.ceil(before.length / 97) }, (_, i) => before.subarray(i * 97, i * 97 + 97))
    const input = new ReadableStream<Uint8Array>({
      start(c) {
        for (const chunk of chunks) c.enqueue(chunk)
        c.close()
      },
    })
    const { identity, stream } = await pickIdentityFromStream(input, [stranger, current, old])
    expect(identity).toBe(old)
    const batches = await readAll(stream.pipeThrough(new OpenStream({ identity, trustedSigners })))
    expect(batches.reduce((n, b) => n + b.numRows, 0)).toBe(2)
  })
})

describe('open --identity on the command line', () => {
  let cli: string
  let dir: string
  let cleanup: () => void
  const p = (name: string) => join(dir, name)
  beforeAll(async () => {
    cli = await buildCli()
    ;({ dir, cleanup } = tempDir('arrowseal-keyring-'))
    writeFileSync(p('old.aseal'), before)
    writeFileSync(p('new.aseal'), after)
    writeFileSync(p('ring.keys'), `# reader keys, newest first\n${exportIdentity(current)}\n${exportIdentity(old)}\n`, {
      mode: 0o600,
    })
    writeFileSync(p('current.key'), `${exportIdentity(current)}\n`, { mode: 0o600 })
    writeFileSync(p('old.key'), `${exportIdentity(old)}\n`, { mode: 0o600 })
    writeFileSync(p('stranger.key'), `${exportIdentity(stranger)}\n`, { mode: 0o600 })
  }, 60_000)
  afterAll(() => cleanup?.())

  const open = (file: string, ...identities: string[]) =>
    runCli(cli, ['open', ...identities.flatMap((i) => ['--identity', p(i)]), '--trust', writer.publicKey, p(file)])

  it('opens old and new streams with a keyring file, or with --identity repeated', async () => {
    for (const [file, ids] of [
      ['old.aseal', ['ring.keys']],
      ['new.aseal', ['ring.keys']],
      ['old.aseal', ['stranger.key', 'current.key', 'old.key']],
    ] as const) {
      const r = await open(file, ...ids)
      expect(r.code, r.stderr).toBe(0)
      expect(tableFromIPC(r.stdoutBytes).getChild('email')!.toArray()).toEqual(['a', 'b'])
    }
  })

  it('refuses when no identity is a recipient, and a key given twice', async () => {
    const none = await open('new.aseal', 'stranger.key', 'old.key')
    expect(none.code).not.toBe(0)
    expect(none.stderr).toContain('NOT_A_RECIPIENT')
    const twice = await open('new.aseal', 'ring.keys', 'current.key')
    expect(twice.code).not.toBe(0)
    expect(twice.stderr).toMatch(/also in an earlier --identity file/)
  })
})
