/**
 * The Node entry: node:crypto chosen automatically, interoperable with the core entry, and the same bytes as
 * every other path (web runtime, noble backend, phase-split sealing, whole-table sealing).
 */
import type { Table } from 'apache-arrow'
import { describe, expect, it } from 'vitest'
import { nobleBackend } from '../../src/aead/noble.js'
import * as core from '../../src/index.js'
import * as node from '../../src/index.node.js'
import { nodeRuntime } from '../../src/node/runtime.js'
import { webRuntime } from '../../src/seal/runtime.js'
import { Sealer } from '../../src/seal/sealer.js'
import { sealWhole } from '../../src/seal/whole.js'
import { sampleTable } from '../fixtures/tables.js'
import { id, seededRandom } from '../helpers/identities.js'
import { join, readAll } from '../helpers/streams.js'

const writer = id('writer')
const analyst = id('analyst')
const auditor = id('auditor')
const recipients = { analysts: [analyst.publicKey], auditors: [auditor.publicKey] }
const policy = { fields: { id: 'public', amount: ['analysts', 'auditors'], email: ['auditors'] } } as const
const open = { identity: auditor, trustedSigners: [writer.publicKey] }

/** Seals deterministically through the internal sealer: header, frames, end, concatenated. */
async function sealDeterministic(
  table: Table,
  runtime: typeof webRuntime,
  options: Partial<core.SealOptions> = {},
  split = false,
): Promise<Uint8Array> {
  const sealer = await Sealer.create(
    table.schema,
    { signer: writer, recipients, policy, ...options },
    seededRandom(7),
    runtime,
  )
  const parts = [sealer.header]
  for (const b of table.batches)
    parts.push(split ? await sealer.frames.seal(sealer.encodeBatch(b)) : await sealer.sealBatch(b))
  parts.push(await sealer.finish())
  return join(...parts)
}

describe('Node entry', () => {
  it('re-exports the whole core API', () => {
    for (const name of Object.keys(core)) expect(node, name).toHaveProperty(name)
  })

  it('defaults to the node:crypto backend', () => {
    expect(node.defaultBackend().name).toBe('node')
    expect(core.defaultBackend().name).not.toBe('node')
  })

  it('interoperates with the core entry both ways, tables and streams', async () => {
    const table = sampleTable(50, 3)
    const a = await node.openTable(await core.sealTable(table, { signer: writer, recipients, policy }), open)
    const b = await core.openTable(await node.sealTable(table, { signer: writer, recipients, policy }), open)
    expect(a.toArray().map((r) => r.toJSON())).toEqual(table.toArray().map((r) => r.toJSON()))
    expect(b.toArray().map((r) => r.toJSON())).toEqual(table.toArray().map((r) => r.toJSON()))
    const sealed = new ReadableStream({
      start(c) {
        for (const batch of table.batches) c.enqueue(batch)
        c.close()
      },
    }).pipeThrough(new node.SealStream({ signer: writer, recipients, policy }))
    const batches = await readAll(sealed.pipeThrough(new node.OpenStream(open)))
    expect(batches.map((b) => b.numRows)).toEqual([50, 50, 50])
    expect(new node.SealStream({ signer: writer, recipients, policy })).toBeInstanceOf(core.SealStream)
  })

  it('produces the same bytes on the node and web runtimes, split or not, and with the noble backend', async () => {
    const table = sampleTable(40, 3)
    const web = await sealDeterministic(table, webRuntime)
    expect(await sealDeterministic(table, nodeRuntime)).toEqual(web)
    expect(await sealDeterministic(table, nodeRuntime, {}, true)).toEqual(web)
    expect(await sealDeterministic(table, webRuntime, { backend: nobleBackend() })).toEqual(web)
    const deflated = await sealDeterministic(table, webRuntime, { compression: 'deflate' })
    expect(await sealDeterministic(table, nodeRuntime, { compression: 'deflate' }, true)).toEqual(deflated)
  })

  it('sealTable writes into one buffer: same stream as the streaming writer, opened by both entries', async () => {
    const table = sampleTable(30, 4)
    const options = { signer: writer, recipients, policy }
    expect(await sealWhole(table, options, nodeRuntime, seededRandom(7))).toEqual(
      await sealDeterministic(table, webRuntime),
    )
    const whole = await node.sealTable(table, { signer: writer, recipients, policy })
    const opened = await core.openTable(whole, open)
    expect(opened.numRows).toBe(120)
    expect(core.inspect(whole).frames).toEqual({ batches: 4, rows: 120, bytes: expect.any(Number), ended: true })
  })
})
