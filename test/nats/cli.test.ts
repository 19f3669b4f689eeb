// `arrowseal seal --to nats://…` and `arrowseal open --from nats://…` against the real server, through the bundled CLI.
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { NatsConnection } from '@nats-io/nats-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pipelineSubjects } from '../../src/nats/index.js'
import { cliFixture, runCli, sealArgs } from '../cli/helpers.js'
import { connectTest, dropPipeline, NATS_SERVER, natsSkip, uniqueSubject } from './broker.js'

describe.skipIf(natsSkip !== null)('CLI over NATS', () => {
  let nc: NatsConnection
  let cli = ''
  let dir = ''
  let cleanup = () => {}
  const at = (f: string) => join(dir, f)
  const subject = uniqueSubject('cli')
  beforeAll(async () => {
    nc = await connectTest()
    let keys: Record<string, string>
    ;({ dir, cleanup, cli, keys } = await cliFixture({
      prefix: 'arrowseal-nats-cli-',
      identities: ['writer', 'reader'],
      recipients: (k) => ({ r: [k.reader] }),
      policy: { fields: { id: 'public', name: ['r'] } },
    }))
    writeFileSync(at('writer.pub'), `${keys['writer']}\n`)
    writeFileSync(at('in.csv'), 'id,name\n1,ada\n2,grace\n3,edsger\n')
  })
  afterAll(async () => {
    await dropPipeline(nc, pipelineSubjects(subject).stream)
    await nc.close()
    cleanup()
  })

  it('seal --to publishes a stream; open --from claims, verifies and writes it', async () => {
    const url = `nats://${NATS_SERVER}/${subject}`
    const sealed = await runCli(cli, sealArgs(at, 'policy.json', '--to', url, at('in.csv')))
    expect(sealed.stderr).toMatch(/published stream [0-9a-f]{32}/)
    expect(sealed.code).toBe(0)
    const streamId = sealed.stdout.trim()
    const opened = await runCli(cli, [
      'open',
      '--identity',
      at('reader.key'),
      '--trust',
      at('writer.pub'),
      '--from',
      url,
      '--format',
      'csv',
      '-o',
      at('out.csv'),
    ])
    expect(opened.stderr).toContain(`opened stream ${streamId}`)
    expect(opened.code).toBe(0)
    expect(readFileSync(at('out.csv'), 'utf8')).toBe('id,name\n1,ada\n2,grace\n3,edsger\n')
    // Nothing left for the group: a second open waits, finds none, and says so (exit 3).
    const none = await runCli(cli, [
      'open',
      '--identity',
      at('reader.key'),
      '--trust',
      at('writer.pub'),
      '--from',
      url,
      '--wait',
      '1',
    ])
    expect(none.code).toBe(3)
    expect(none.stderr).toMatch(/no sealed stream arrived/)
  })

  it('refuses a malformed location and credentials in the URL as usage errors', async () => {
    const r = await runCli(cli, [
      'open',
      '--identity',
      at('reader.key'),
      '--trust',
      at('writer.pub'),
      '--from',
      'nats://u:p@127.0.0.1/x',
    ])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/no credentials/)
  })
})
