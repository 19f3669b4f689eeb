/**
 * Round trips in Chromium through the public entry (`arrowseal`, aliased to src/index.ts): every Arrow type
 * under a mixed policy, whole and through SealStream/OpenStream in small chunks, on the default (WebCrypto)
 * backend and on noble.
 */

import {
  exportIdentity,
  generateIdentity,
  importIdentity,
  nobleBackend,
  openTable,
  SealStream,
  sealTable,
} from 'arrowseal'
import { describe, expect, it } from 'vitest'
import { defaultBackend } from '../../src/aead/default.js'
import { allTypesTable, assertTablesEqual } from '../fixtures/tables.js'
import { id } from '../helpers/identities.js'
import { join, openStreamed, readAll } from '../helpers/streams.js'

const writer = id('writer')
const reader = id('reader')
const recipients = { r: [reader.publicKey] }

describe('round trips in the browser', () => {
  it('runs on the WebCrypto backend', () => {
    expect(defaultBackend().name).toBe('webcrypto')
  })

  it('seals and opens every Arrow type, whole, with public and sealed fields mixed', async () => {
    const table = allTypesTable({ batches: 2, rows: 9 })
    const names = table.schema.fields.map((f) => f.name)
    const fields = Object.fromEntries(names.map((n, i) => [n, i % 2 === 0 ? 'public' : ['r']] as const))
    const policy = { fields, schemaMetadata: ['r'] }
    const sealed = await sealTable(table, { signer: writer, recipients, policy })
    const got = await openTable(sealed, { identity: reader, trustedSigners: [writer.publicKey] })
    assertTablesEqual(got, table)
    const viaNoble = await openTable(sealed, {
      identity: reader,
      trustedSigners: [writer.publicKey],
      backend: nobleBackend(),
    })
    assertTablesEqual(viaNoble, table)
  })

  it('streams through SealStream and OpenStream in 61-byte chunks, with deflate', async () => {
    const table = allTypesTable({ batches: 2, rows: 5 })
    const policy = { fields: {}, default: ['r'] as string[] }
    const batches = new ReadableStream({
      start(c) {
        for (const b of table.batches) c.enqueue(b)
        c.close()
      },
    })
    const chunks = await readAll(
      batches.pipeThrough(new SealStream({ signer: writer, recipients, policy, compression: 'deflate' })),
    )
    const got = await openStreamed(join(...chunks), { identity: reader, trustedSigners: [writer.publicKey] }, 61)
    assertTablesEqual(got, table)
  })

  it('generates, exports and imports identities with browser randomness', async () => {
    const fresh = await generateIdentity()
    const again = await importIdentity(exportIdentity(fresh))
    expect(again.publicKey).toBe(fresh.publicKey)
    expect(fresh.publicKey).not.toBe((await generateIdentity()).publicKey)
  })
})
