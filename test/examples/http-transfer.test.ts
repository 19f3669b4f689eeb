/** examples/http-transfer.ts: the server streams sealed batches, each client sees only its columns. */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Table } from 'apache-arrow'
import { generateIdentity, sealTable } from 'arrowseal'
import { describe, expect, it } from 'vitest'
import { fetchTable, main, orderBatches } from '../../examples/http-transfer.js'

describe('examples/http-transfer', () => {
  it('streams sealed batches over HTTP; each reader gets its columns', async () => {
    const lines: string[] = []
    const seen = await main((l) => lines.push(l))
    expect(seen['analyst']!.schema.fields.map((f) => f.name)).toEqual(['id', 'amount'])
    expect(seen['support']!.schema.fields.map((f) => f.name)).toEqual(['id', 'customer'])
    expect(seen['analyst']!.numRows).toBe(300)
    const original = new Table([...orderBatches()])
    expect(seen['support']!.getChild('customer')!.toArray()).toEqual(original.getChild('customer')!.toArray())
    expect(lines[0]).toMatch(/^server: http:\/\/127\.0\.0\.1:\d+\/transactions/)
  })

  it('a response cut short on the wire is refused, not returned short', async () => {
    const writer = await generateIdentity()
    const reader = await generateIdentity()
    const sealed = await sealTable(new Table([...orderBatches()]), {
      signer: writer,
      recipients: { r: [reader.publicKey] },
      policy: { fields: { id: 'public' }, default: ['r'] },
    })
    const server = createServer((_req, res) => res.end(sealed.subarray(0, Math.floor(sealed.length * 0.7))))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/transactions`
      await expect(fetchTable(url, reader, writer.publicKey)).rejects.toMatchObject({ code: 'TRUNCATED' })
    } finally {
      server.close()
    }
  })
})
