/**
 * Issue 19, item 4: the CLI's `open` applies the reader's limits too (it reads through `OpenStream` with the
 * defaults): the reviewer's four 240 MiB deflate units, in under 1 MB, exit 3 with `LIMIT_EXCEEDED` and write
 * nothing.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join as joinPath } from 'node:path'
import { makeVector, Table } from 'apache-arrow'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { writeIdentityFile } from '../../src/node/files.js'
import { buildCli, runCli, tempDir } from '../cli/helpers.js'
import { id } from '../helpers/identities.js'
import { join } from '../helpers/streams.js'
import { deflated, forger } from './forge.js'

const writer = id('writer')
const reader = id('analyst')
let cli: string
let dir: string
let cleanup: () => void
const p = (name: string) => joinPath(dir, name)

beforeAll(async () => {
  ;({ dir, cleanup } = tempDir())
  cli = await buildCli()
  await writeIdentityFile(p('reader.key'), reader)
})
afterAll(() => cleanup?.())

describe('arrowseal open', () => {
  it("refuses the reviewer's inflation bomb with LIMIT_EXCEEDED (exit 3) and writes nothing", async () => {
    const col = () => makeVector(new Float64Array(4))
    const t = new Table({ a: col(), b: col(), c: col(), d: col() })
    const roles = { ra: [reader.publicKey], rb: [reader.publicKey], rc: [reader.publicKey], rd: [reader.publicKey] }
    const forge = await forger(t.schema, {
      signer: writer,
      recipients: roles,
      policy: { fields: { a: ['ra'], b: ['rb'], c: ['rc'], d: ['rd'] } },
    })
    const bomb = [0, 1, 2, 3].map(() => deflated(new Uint8Array(64), 240 * 1024 * 1024))
    const bytes = join(forge.header, forge.frame(0, 4, bomb), forge.end(1))
    expect(bytes.length).toBeLessThan(1_000_000)
    writeFileSync(p('bomb.aseal'), bytes)
    writeFileSync(p('out.csv'), 'old\n')
    const r = await runCli(cli, [
      'open',
      '--identity',
      p('reader.key'),
      '--trust',
      writer.publicKey,
      '-o',
      p('out.csv'),
      p('bomb.aseal'),
    ])
    expect(r.code, r.stderr).toBe(3)
    expect(r.stderr).toMatch(/^arrowseal: error LIMIT_EXCEEDED: .*maxInflatedFrameBytes/)
    expect(readFileSync(p('out.csv'), 'utf8')).toBe('old\n')
  })
})
