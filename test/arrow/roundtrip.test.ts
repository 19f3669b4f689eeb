import {
  Dictionary,
  Field,
  Int32,
  makeData,
  RecordBatch,
  RecordBatchReader,
  RecordBatchStreamWriter,
  Schema,
  Struct,
  Table,
  Type,
  tableFromIPC,
  tableToIPC,
  Utf8,
  Utf8View,
  vectorFromArray,
} from 'apache-arrow'
import { describe, expect, it } from 'vitest'
import {
  decodeGroupBatch,
  decodeGroupSchema,
  encodeGroupBatch,
  encodeGroupSchema,
  type GroupLayout,
  mergeBatches,
  mergeSchemas,
  planGroups,
  schemasEqual,
} from '../../src/arrow/index.js'
import { validateData } from '../../src/arrow/validate.js'
import { allTypesTable, assertTablesEqual, customersTable, prng, structBatch, tableDiff } from '../fixtures/tables.js'

const table = allTypesTable()
const nFields = table.schema.fields.length
const LIMITS = { maxFields: 4096 }

/** Seals every group of `batch`, then opens all of them (through the header encoding too) and merges. */
function splitMerge(batch: RecordBatch, layouts: GroupLayout[], readable = layouts.map((_, g) => g)): RecordBatch {
  const units = layouts.map((l) => encodeGroupBatch(batch, l))
  const decodedLayouts = layouts.map((l) => decodeGroupSchema(encodeGroupSchema(l), LIMITS))
  const parts = readable.map((g) => ({
    layout: decodedLayouts[g]!,
    batch: decodeGroupBatch(units[g]!, decodedLayouts[g]!, batch.numRows),
  }))
  const denied = decodedLayouts.filter((_, g) => !readable.includes(g))
  return mergeBatches(parts, batch.numRows, denied)
}

function roundTripWhole(batch: RecordBatch): RecordBatch {
  return tableFromIPC(tableToIPC(new Table([batch]), 'stream')).batches[0]!
}

describe('fixtures', () => {
  it('allTypesTable has several batches, a zero-row batch and every listed type', () => {
    expect(table.batches.length).toBe(4)
    expect(table.batches.at(-1)!.numRows).toBe(0)
    expect(table.schema.fields.map((f) => f.name)).toContain('dense_union')
    for (const b of table.batches) validateData(b.data)
  })
  it('is deterministic', () => {
    expect(tableDiff(allTypesTable(), allTypesTable())).toBeNull()
    expect(tableDiff(allTypesTable(), allTypesTable({ seed: 2 }))).not.toBeNull()
    expect(tableDiff(customersTable(100, 30), customersTable(100, 30))).toBeNull()
  })
  it('tableDiff sees value, type, metadata and name differences', () => {
    const a = table.batches[0]!
    const b = table.batches[1]!
    expect(tableDiff(a, b)).toMatch(/row count|row/)
    const fields = a.schema.fields.map((f, i) => (i === 0 ? f.clone({ name: 'other' }) : f))
    const renamed = structBatch(new Schema(fields, a.schema.metadata), a.numRows, a.data.children as never)
    expect(tableDiff(a, renamed)).not.toBeNull()
  })
})

describe('arrow-js 21 limitation: duplicate field names', () => {
  it('new RecordBatch(schema, data) relabels the first duplicate (so arrowseal rebuilds the schema by index)', () => {
    const batch = table.batches[0]!
    const naive = new RecordBatch(batch.schema, batch.data)
    const dupA = batch.schema.fields.findIndex((f) => f.name === 'dup')
    expect(batch.schema.fields[dupA]!.type.toString()).toBe('Int32')
    // This is arrow-js's behaviour, asserted so that a future fix is noticed.
    expect(naive.schema.fields[dupA]!.type.toString()).toBe('Utf8')
    // tableFromIPC therefore also mislabels; our round trip below does not.
    expect(tableDiff(batch, roundTripWhole(batch))).toMatch(/dup: type/)
  })
})

describe('split → seal units → merge', () => {
  it('round-trips every batch with one group per field (schema metadata in group 0)', () => {
    for (const batch of table.batches) {
      const layouts = planGroups(
        table.schema,
        table.schema.fields.map((_, i) => i),
        nFields,
        0,
      )
      assertTablesEqual(batch, splitMerge(batch, layouts))
    }
  })

  it('round-trips random groupings, including shared dictionaries split across groups', () => {
    const r = prng(42)
    const a = table.schema.fields.findIndex((f) => f.name === 'shared_dict_a')
    for (let trial = 0; trial < 12; trial++) {
      const groups = 1 + (r() % 5)
      const groupOf = table.schema.fields.map(() => r() % groups)
      groupOf[a] = 0
      groupOf[a + 1] = groups > 1 ? 1 : 0
      const layouts = planGroups(table.schema, groupOf, groups, r() % groups)
      for (const batch of table.batches) {
        const merged = splitMerge(batch, layouts)
        assertTablesEqual(batch, merged)
        // The merged batch must be usable as ordinary Arrow: re-serialise it (one dictionary per id).
        const w = new RecordBatchStreamWriter()
        w.write(merged)
        w.finish()
        expect([...RecordBatchReader.from(w.toUint8Array(true))][0]!.numRows).toBe(batch.numRows)
      }
    }
  })

  it('keeps one dictionary Vector per id after merging a shared dictionary', () => {
    const a = table.schema.fields.findIndex((f) => f.name === 'shared_dict_a')
    const groupOf = table.schema.fields.map(() => 0)
    groupOf[a + 1] = 1
    const layouts = planGroups(table.schema, groupOf, 2, 0)
    const merged = splitMerge(table.batches[0]!, layouts)
    expect(merged.getChildAt(a)!.data[0]!.dictionary).toBe(merged.getChildAt(a + 1)!.data[0]!.dictionary)
    expect(() => merged.dictionaries).not.toThrow()
  })

  it('drops fields mapped to null and schema metadata when metadataGroup is null', () => {
    const groupOf = table.schema.fields.map((_, i) => (i % 3 === 0 ? null : i % 2))
    const layouts = planGroups(table.schema, groupOf, 2, null)
    const merged = splitMerge(table.batches[1]!, layouts)
    expect(merged.schema.metadata.size).toBe(0)
    const kept = table.schema.fields.map((_, i) => i).filter((i) => i % 3 !== 0)
    expect(merged.numCols).toBe(kept.length)
    kept.forEach((i, k) => {
      expect(merged.schema.fields[k]!.name).toBe(table.schema.fields[i]!.name)
      expect(JSON.stringify(merged.getChildAt(k)!.toJSON(), (_, v) => (typeof v === 'bigint' ? `${v}` : v))).toBe(
        JSON.stringify(table.batches[1]!.getChildAt(i)!.toJSON(), (_, v) => (typeof v === 'bigint' ? `${v}` : v)),
      )
    })
  })

  it('supports a zero-field group that carries only the schema metadata', () => {
    const layouts = planGroups(
      table.schema,
      table.schema.fields.map(() => 1),
      2,
      0,
    )
    expect(layouts[0]!.positions).toEqual([])
    const batch = table.batches[0]!
    const unit = encodeGroupBatch(batch, layouts[0]!)
    const decoded = decodeGroupBatch(unit, decodeGroupSchema(encodeGroupSchema(layouts[0]!), LIMITS), batch.numRows)
    expect(decoded.numCols).toBe(0)
    expect(decoded.numRows).toBe(batch.numRows)
    expect(mergeSchemas([layouts[0]!]).metadata.get('origin')).toBe('arrowseal fixtures')
    assertTablesEqual(batch, splitMerge(batch, layouts))
  })

  it('turns denied fields into all-null nullable columns of every type (includeDenied)', () => {
    const layouts = planGroups(
      table.schema,
      table.schema.fields.map((_, i) => i % 2),
      2,
      0,
    )
    for (const batch of table.batches) {
      const merged = splitMerge(batch, layouts, [0])
      expect(merged.numCols).toBe(nFields)
      validateData(merged.data)
      table.schema.fields.forEach((f, i) => {
        const col = merged.getChildAt(i)!
        expect(merged.schema.fields[i]!.name).toBe(f.name)
        expect(merged.schema.fields[i]!.type.toString()).toBe(f.type.toString())
        if (i % 2 === 1) {
          expect(merged.schema.fields[i]!.nullable).toBe(true)
          for (let r = 0; r < batch.numRows; r++) expect(col.get(r)).toBeNull()
        } else {
          expect(merged.schema.fields[i]!.nullable).toBe(f.nullable)
        }
      })
      // Stand-in columns are real Arrow: they serialise and read back.
      const w = new RecordBatchStreamWriter()
      w.write(merged)
      w.finish()
      expect([...RecordBatchReader.from(w.toUint8Array(true))][0]!.numRows).toBe(batch.numRows)
      const schema = mergeSchemas([layouts[0]!], [layouts[1]!])
      expect(schemasEqual(schema, merged.schema)).toBe(true)
    }
  })

  it('customersTable splits by column sensitivity and merges back', () => {
    const customers = customersTable(2500, 1000)
    const layouts = planGroups(customers.schema, [0, 1, 2, 2, 0, 1, 0], 3, 0)
    for (const batch of customers.batches) assertTablesEqual(batch, splitMerge(batch, layouts))
  })
})

describe('group schema encoding', () => {
  it('round-trips positions, fields, field metadata and schema metadata', () => {
    const layouts = planGroups(
      table.schema,
      table.schema.fields.map((_, i) => i % 3),
      3,
      2,
    )
    for (const l of layouts) {
      const bytes = encodeGroupSchema(l)
      const view = new DataView(bytes.buffer, bytes.byteOffset)
      expect(view.getUint32(0)).toBe(l.positions.length)
      expect(view.getUint32(4)).toBe(l.positions[0])
      const back = decodeGroupSchema(bytes, LIMITS)
      expect(back.positions).toEqual(l.positions)
      expect(schemasEqual(back.schema, l.schema)).toBe(true)
      // Deterministic: re-encoding the decoded layout gives the same bytes.
      expect(encodeGroupSchema(back)).toEqual(bytes)
    }
    expect(decodeGroupSchema(encodeGroupSchema(layouts[2]!), LIMITS).schema.metadata.get('version')).toBe('1')
    expect(decodeGroupSchema(encodeGroupSchema(layouts[0]!), LIMITS).schema.metadata.size).toBe(0)
  })

  it('enforces maxFields on the count and on every position', () => {
    const [l] = planGroups(
      table.schema,
      table.schema.fields.map(() => 0),
      1,
      0,
    )
    const bytes = encodeGroupSchema(l!)
    expect(() => decodeGroupSchema(bytes, { maxFields: nFields - 1 })).toThrow(
      expect.objectContaining({ code: 'ARROW_INVALID' }),
    )
    expect(decodeGroupSchema(bytes, { maxFields: nFields }).positions.length).toBe(nFields)
    const high = planGroups(
      table.schema,
      table.schema.fields.map((_, i) => (i === nFields - 1 ? 0 : null)),
      1,
      0,
    )[0]!
    expect(() => decodeGroupSchema(encodeGroupSchema(high), { maxFields: nFields - 1 })).toThrow(
      expect.objectContaining({ code: 'ARROW_INVALID' }),
    )
  })

  it('rejects positions that are not strictly ascending', () => {
    const [l] = planGroups(
      table.schema,
      table.schema.fields.map((_, i) => (i < 3 ? 0 : null)),
      1,
      0,
    )
    const bytes = encodeGroupSchema(l!)
    new DataView(bytes.buffer).setUint32(8, 0) // positions [0, 0, 2]
    expect(() => decodeGroupSchema(bytes, LIMITS)).toThrow(expect.objectContaining({ code: 'ARROW_INVALID' }))
  })
})

describe('planGroups argument checks', () => {
  it('rejects a wrong-length groupOf and out-of-range groups with RangeError', () => {
    expect(() => planGroups(table.schema, [0], 1, 0)).toThrow(RangeError)
    expect(() =>
      planGroups(
        table.schema,
        table.schema.fields.map(() => 2),
        2,
        0,
      ),
    ).toThrow(RangeError)
    expect(() =>
      planGroups(
        table.schema,
        table.schema.fields.map(() => 0),
        1,
        1,
      ),
    ).toThrow(RangeError)
    expect(() =>
      planGroups(
        table.schema,
        table.schema.fields.map(() => 0.5),
        1,
        0,
      ),
    ).toThrow(RangeError)
  })
})

describe('dictionaries', () => {
  it('round-trips a dictionary Vector with several chunks (written as one dictionary batch: chunks are joined first)', () => {
    const type = new Dictionary(new Utf8(), new Int32(), 777)
    const schema = new Schema([new Field('d', type), new Field('e', type)])
    const dictionary = vectorFromArray(['a', 'b'], new Utf8()).concat(vectorFromArray(['c', 'd', 'e'], new Utf8()))
    expect(dictionary.data.length).toBe(2)
    const mk = (idx: number[]) => makeData({ type, length: 4, nullCount: 0, data: Int32Array.from(idx), dictionary })
    const batch = structBatch(schema, 4, [mk([0, 4, 2, 1]), mk([3, 3, 0, 4])])
    const layouts = planGroups(schema, [0, 1], 2, null)
    const unit = encodeGroupBatch(batch, layouts[0]!)
    expect(decodeGroupBatch(unit, layouts[0]!, 4).getChildAt(0)!.toArray()).toEqual(['a', 'e', 'c', 'b'])
    assertTablesEqual(batch, splitMerge(batch, layouts))
  })
})

describe('arrow-js 21 type coverage', () => {
  it('has no run-end-encoded or list-view types, so those cannot be sealed (asserted so a new arrow-js is noticed)', () => {
    // Arrow format Type ids 22 (RunEndEncoded), 25 (ListView), 26 (LargeListView): absent from arrow-js 21's enum.
    expect(Type[22 as Type]).toBeUndefined()
    expect(Type[25 as Type]).toBeUndefined()
    expect(Type[26 as Type]).toBeUndefined()
    expect(Type.Utf8View).toBe(24)
    expect(Type.BinaryView).toBe(23)
  })
})

describe('buffer placement', () => {
  it('decodes a unit that sits at an odd byte offset inside a larger buffer (decrypted plaintext views)', () => {
    const batch = table.batches[0]!
    const [l] = planGroups(
      table.schema,
      table.schema.fields.map(() => 0),
      1,
      0,
    )
    const unit = encodeGroupBatch(batch, l!)
    for (const shift of [1, 3, 4]) {
      const big = new Uint8Array(unit.length + 16)
      big.set(unit, shift)
      const decoded = decodeGroupBatch(big.subarray(shift, shift + unit.length), l!, batch.numRows)
      assertTablesEqual(batch, decoded)
    }
  })

  it('encodes a sliced batch (non-zero Data offsets)', () => {
    // Slice the columns directly: RecordBatch.slice goes through `new RecordBatch`, which relabels duplicate names.
    const whole = table.batches[2]!
    const batch = structBatch(table.schema, 8, whole.data.children.map((c) => c.slice(3, 8)) as never)
    const layouts = planGroups(
      table.schema,
      table.schema.fields.map((_, i) => i % 4),
      4,
      1,
    )
    const merged = splitMerge(batch, layouts)
    assertTablesEqual(batch, merged)
  })
})

describe('arrow-js 21 limitation: sliced view arrays', () => {
  const long = (i: number) => `a value longer than twelve bytes #${i}`
  const views = vectorFromArray(
    Array.from({ length: 20 }, (_, i) => (i % 2 ? `s${i}` : long(i))),
    new Utf8View(),
  )

  it('arrow-js alone writes a sliced view column it cannot read back; arrowseal re-bases it', () => {
    const sliced = new Table({ v: views }).slice(3, 11)
    const back = tableFromIPC(tableToIPC(sliced, 'stream'))
    expect(() => back.getChild('v')!.toArray()).toThrow() // arrow-js's own bug, asserted so a fix is noticed
    const schema = new Schema([new Field('v', new Utf8View())])
    const batch = structBatch(schema, 8, [views.data[0]!.slice(3, 8)])
    const [l] = planGroups(schema, [0], 1, null)
    const decoded = decodeGroupBatch(encodeGroupBatch(batch, l!), l!, 8)
    expect(decoded.getChildAt(0)!.toArray()).toEqual(batch.getChildAt(0)!.toArray())
  })

  it('refuses a sliced view array nested in a struct with ARROW_UNSUPPORTED (instead of writing a broken unit)', () => {
    const type = new Struct([new Field('v', new Utf8View())])
    const schema = new Schema([new Field('s', type)])
    const child = views.data[0]!.slice(3, 8)
    const struct = makeData({ type, length: 8, nullCount: 0, children: [child] })
    const [l] = planGroups(schema, [0], 1, null)
    expect(() => encodeGroupBatch(structBatch(schema, 8, [struct]), l!)).toThrow(
      expect.objectContaining({ code: 'ARROW_UNSUPPORTED' }),
    )
  })
})
