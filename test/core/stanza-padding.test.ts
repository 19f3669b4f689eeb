import { Field, Int32, RecordBatch, Schema, Table, vectorFromArray } from 'apache-arrow'
import { describe, expect, it } from 'vitest'
import { GROUP_KIND_PUBLIC, GROUP_KIND_SEALED } from '../../src/format/constants.js'
import { headerLength, parseHeader } from '../../src/format/header.js'
import { parseStanzaPayload } from '../../src/seal/opener.js'
import { openTable, sealTable } from '../../src/table.js'
import { id } from '../helpers/identities.js'

// Issue 19, item 3: stanza sizes ranked recipients by how many groups they may read (18, 52 and 86 B).
const writer = id('writer')
const none = id('analyst')
const one = id('auditor')
const two = id('admin')

function table(): Table {
  const cols = ['p', 'a', 'b'].map(() => vectorFromArray([1, 2, 3], new Int32()))
  const schema = new Schema(['p', 'a', 'b'].map((n) => new Field(n, new Int32(), true)))
  return new Table(schema, [new RecordBatch({ p: cols[0]!.data[0]!, a: cols[1]!.data[0]!, b: cols[2]!.data[0]! })])
}

describe('stanza padding', () => {
  it('makes every stanza of a stream the same length, and every reader still opens it', async () => {
    const sealed = await sealTable(table(), {
      signer: writer,
      recipients: { none: [none.publicKey], one: [one.publicKey], two: [two.publicKey] },
      policy: { fields: { p: 'public', a: ['one', 'two'], b: ['two'] } },
    })
    const header = parseHeader(sealed.subarray(0, headerLength(sealed)))
    const sizes = header.stanzas.map((s) => s.payload.length)
    expect(sizes).toHaveLength(3)
    expect(new Set(sizes).size).toBe(1)
    for (const [who, cols] of [
      [none, ['p']],
      [one, ['p', 'a']],
      [two, ['p', 'a', 'b']],
    ] as const) {
      const opened = await openTable(sealed, { identity: who, trustedSigners: [writer.publicKey] })
      expect(opened.schema.fields.map((f) => f.name)).toEqual(cols)
    }
  })

  it('readers accept zero padding and unpadded payloads, and refuse non-zero padding', () => {
    const header = { groups: [{ kind: GROUP_KIND_PUBLIC }, { kind: GROUP_KIND_SEALED }] } as never
    const key = new Uint8Array(32).fill(7)
    const entry = Uint8Array.of(0, 1, 0, 1, ...key) // count 1, group 1, key
    expect(parseStanzaPayload(entry, header).get(1)).toEqual(key)
    const padded = Uint8Array.of(...entry, ...new Uint8Array(34))
    expect(parseStanzaPayload(padded, header).get(1)).toEqual(key)
    const dirty = padded.slice()
    dirty[dirty.length - 1] = 1
    expect(() => parseStanzaPayload(dirty, header)).toThrow(expect.objectContaining({ code: 'FORMAT_INVALID' }))
  })
})
