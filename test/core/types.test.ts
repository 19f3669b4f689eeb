/**
 * Every Arrow type arrow-js 21 writes round-trips through sealing and opening, with restricted and public
 * fields mixed, whole and streamed one byte at a time.
 */

import { Schema, Table } from 'apache-arrow'
import { describe, expect, it } from 'vitest'
import type { Policy } from '../../src/policy/policy.js'
import { SealStream } from '../../src/stream/seal-stream.js'
import { openTable, sealTable } from '../../src/table.js'
import { allTypesTable, assertTablesEqual, structBatch } from '../fixtures/tables.js'
import { id } from '../helpers/identities.js'
import { openStreamed, readAll } from '../helpers/streams.js'

const writer = id('writer')
const a = id('types-a')
const b = id('types-b')
const recipients = { ra: [a.publicKey], rb: [b.publicKey] }

/** Rotates public / ra / rb / both over the fields, so every type lands in every kind of group. */
function mixedPolicy(names: string[], shift = 0): Policy {
  const rules = ['public', ['ra'], ['rb'], ['ra', 'rb']] as const
  const fields: Record<string, Policy['fields'][string]> = {}
  names.forEach((n, i) => {
    fields[n] ??= rules[(i + shift) % rules.length]!
  })
  return { fields, schemaMetadata: ['ra', 'rb'] }
}

/** The fields a reader with `roles` should see, as a table selected by index from the original. */
function expectedView(table: Table, policy: Policy, roles: string[]): Table {
  const keep = table.schema.fields
    .map((f, i) => [f, i] as const)
    .filter(([f]) => {
      const r = policy.fields[f.name]!
      return r === 'public' || (typeof r !== 'string' && r.some((x) => roles.includes(x)))
    })
    .map(([, i]) => i)
  const schema = new Schema(
    keep.map((i) => table.schema.fields[i]!),
    table.schema.metadata,
  )
  return new Table(
    schema,
    table.batches.map((batch) =>
      structBatch(
        schema,
        batch.numRows,
        keep.map((i) => batch.data.children[i]!),
      ),
    ),
  )
}

describe('every Arrow type', () => {
  for (const shift of [0, 1, 2, 3]) {
    it(`round-trips under mixed policies (rotation ${shift})`, async () => {
      const table = allTypesTable()
      const policy = mixedPolicy(
        table.schema.fields.map((f) => f.name),
        shift,
      )
      const sealed = await sealTable(table, { signer: writer, recipients, policy })
      for (const [who, roles] of [
        [a, ['ra']],
        [b, ['rb']],
      ] as const) {
        const got = await openTable(sealed, { identity: who, trustedSigners: [writer.publicKey] })
        const want = expectedView(table, policy, [...roles])
        assertTablesEqual(got, want)
        expect(got.schema.metadata).toEqual(table.schema.metadata)
      }
    })
  }

  it('round-trips through SealStream and OpenStream fed one byte at a time', async () => {
    const table = allTypesTable()
    const policy = mixedPolicy(table.schema.fields.map((f) => f.name))
    const src = new ReadableStream({
      start(c) {
        for (const batch of table.batches) c.enqueue(batch)
        c.close()
      },
    })
    const chunks: Uint8Array[] = []
    chunks.push(...(await readAll(src.pipeThrough(new SealStream({ signer: writer, recipients, policy })))))
    const bytes = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0))
    chunks.reduce((o, c) => {
      bytes.set(c, o)
      return o + c.length
    }, 0)
    const got = await openStreamed(bytes, { identity: a, trustedSigners: [writer.publicKey] }, 1)
    assertTablesEqual(got, expectedView(table, policy, ['ra']))
  })
})
