/**
 * Sliced tables (issue 20 item 5): a dictionary column of `table.slice(…)` keeps its whole dictionary, so entries
 * that only the removed rows used would travel in every unit. The writer keeps only the entries the written rows
 * reference, in public and sealed groups alike. Canaries sit in the removed rows only.
 */
import { Dictionary, Int8, Int32, makeVector, Table, Utf8, vectorFromArray } from 'apache-arrow'
import { describe, expect, it } from 'vitest'
import { openTable, sealTable } from '../../src/table.js'
import { id } from '../helpers/identities.js'

const writer = id('writer')
const reader = id('slice-reader')
const CANARY_PUBLIC = 'CANARY-public-removed-row'
const CANARY_SEALED = 'CANARY-sealed-removed-row'
const dict = (values: (string | null)[], indices: Int8 | Int32 = new Int32()) =>
  vectorFromArray(values, new Dictionary(new Utf8(), indices))

const full = new Table({
  n: vectorFromArray(Int32Array.from([0, 1, 2, 3, 4, 5])),
  city: dict([CANARY_PUBLIC, 'Oslo', 'Lima', null, 'Oslo', CANARY_PUBLIC]),
  secret: dict([CANARY_SEALED, 'alpha', null, 'beta', 'alpha', CANARY_SEALED], new Int8()),
})
const options = {
  signer: writer,
  recipients: { r: [reader.publicKey] },
  policy: { fields: { n: 'public' as const, city: 'public' as const, secret: ['r'] } },
}
const trust = { identity: reader, trustedSigners: [writer.publicKey] }

function dictionaryOf(table: Table, name: 'city' | 'secret'): unknown[] {
  return table.getChild(name)!.data.flatMap((d) => [...(d.dictionary ?? [])])
}

describe('sliced tables', () => {
  it('write only the dictionary entries the remaining rows reference, public and sealed', async () => {
    const sliced = full.slice(1, 5)
    const sealed = await sealTable(sliced, options)
    const text = new TextDecoder('latin1').decode(sealed)
    expect(text.includes(CANARY_PUBLIC)).toBe(false)
    const opened = await openTable(sealed, trust)
    expect(dictionaryOf(opened, 'city')).not.toContain(CANARY_PUBLIC)
    expect(dictionaryOf(opened, 'secret')).not.toContain(CANARY_SEALED)
    expect(dictionaryOf(opened, 'secret').sort()).toEqual(['alpha', 'beta'])
    // The values are the sliced table's, nulls included.
    expect(opened.getChild('city')!.toArray()).toEqual(['Oslo', 'Lima', null, 'Oslo'])
    expect(opened.getChild('secret')!.toArray()).toEqual(['alpha', null, 'beta', 'alpha'])
    expect(opened.getChild('n')!.toArray()).toEqual(Int32Array.from([1, 2, 3, 4]))
  })

  it('leaves a batch that uses its whole dictionary as it is, and round-trips a slice at every offset', async () => {
    const whole = await openTable(await sealTable(full, options), trust)
    expect(dictionaryOf(whole, 'city')).toContain(CANARY_PUBLIC)
    for (let start = 0; start < 6; start++) {
      const sliced = full.slice(start, Math.min(6, start + 3))
      const opened = await openTable(await sealTable(sliced, options), trust)
      for (const name of ['n', 'city', 'secret'] as const) {
        expect([...opened.getChild(name)!]).toEqual([...sliced.getChild(name)!])
      }
    }
  })

  it('trims a dictionary shared by a public and a sealed field to the union of their rows, alike in both', async () => {
    const type = new Dictionary(new Utf8(), new Int32(), 77)
    const values = vectorFromArray(['p', 'q', 'r', CANARY_PUBLIC], new Utf8())
    const column = (indices: number[]) =>
      makeVector({ type, length: indices.length, data: Int32Array.from(indices), dictionary: values })
    const table = new Table({ a: column([3, 0, 1, 0, 3]), b: column([3, 2, 0, 2, 3]) })
    const sliced = table.slice(1, 4)
    const policy = { fields: { a: 'public' as const, b: ['r'] } }
    const sealed = await sealTable(sliced, { ...options, policy })
    expect(new TextDecoder('latin1').decode(sealed).includes(CANARY_PUBLIC)).toBe(false)
    const opened = await openTable(sealed, trust)
    expect([...opened.getChild('a')!]).toEqual(['p', 'q', 'p'])
    expect([...opened.getChild('b')!]).toEqual(['r', 'p', 'r'])
    // One dictionary for the id, holding what either field's rows use: the reader merged the groups' copies.
    expect(opened.getChild('a')!.data[0]!.dictionary).toBe(opened.getChild('b')!.data[0]!.dictionary)
    expect([...opened.getChild('a')!.data[0]!.dictionary!]).toEqual(['p', 'q', 'r'])
  })

  it('keeps one dictionary across batches: a slice spanning batches gets the union of their entries', async () => {
    const column = vectorFromArray(['x', 'y', CANARY_PUBLIC, 'z', 'x', 'y'], new Dictionary(new Utf8(), new Int32()))
    const two = new Table([
      new Table({ c: column.slice(0, 3) }).batches[0]!,
      new Table({ c: column.slice(3, 6) }).batches[0]!,
    ])
    expect(two.batches[0]!.data.children[0]!.dictionary).toBe(two.batches[1]!.data.children[0]!.dictionary)
    const sliced = two.slice(0, 2).concat(two.slice(3, 6))
    const opened = await openTable(await sealTable(sliced, { ...options, policy: { fields: { c: 'public' } } }), trust)
    expect([...opened.getChild('c')!]).toEqual(['x', 'y', 'z', 'x', 'y'])
    const dictionaries = opened.getChild('c')!.data.map((d) => [...d.dictionary!])
    expect(dictionaries.length).toBeGreaterThan(1)
    for (const d of dictionaries) expect(d).toEqual(['x', 'y', 'z'])
  })
})

describe('a dictionary index outside its dictionary', () => {
  it('is refused by the writer (ARROW_INVALID), with and without nulls', async () => {
    const dictionary = vectorFromArray(['a', 'b'], new Utf8())
    const type = new Dictionary(new Utf8(), new Int8())
    const policy = { fields: { n: 'public' as const, secret: ['r'] } }
    // No nulls, then row 0 null (its index is not read; row 1's still is).
    for (const nullBitmap of [undefined, Uint8Array.of(0b110)]) {
      const column = makeVector({
        type,
        length: 3,
        nullCount: nullBitmap ? 1 : 0,
        data: Int8Array.of(0, 7, 1),
        dictionary,
        ...(nullBitmap ? { nullBitmap } : {}),
      })
      const table = new Table({ n: vectorFromArray(Int32Array.of(1, 2, 3)), secret: column })
      const err = await sealTable(table, { ...options, policy }).catch((e: unknown) => e)
      expect((err as { code?: string }).code).toBe('ARROW_INVALID')
    }
  })
})
