/**
 * The per-stream decoders (GroupDecoder, BatchDecoder) remember each group's verified schema message. These tests
 * make sure that memory only ever saves work: a unit whose schema message differs in any byte is checked in full
 * (and refused when it differs from the header), and every other check still runs on units that hit the cache.
 */

import { Buffer } from 'node:buffer'
import { sha256 } from '@noble/hashes/sha2.js'
import {
  Data,
  Field,
  Int32,
  Message,
  MessageHeader,
  MetadataVersion,
  Schema,
  Table,
  tableFromArrays,
  Vector,
} from 'apache-arrow'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { BatchDecoder } from '../../src/arrow/batch-decoder.js'
import {
  decodeGroupBatch,
  encodeGroupBatch,
  type GroupLayout,
  mergeBatches,
  planGroups,
  typesEqual,
} from '../../src/arrow/index.js'
import { GroupDecoder } from '../../src/arrow/ipc.js'
import { BatchMerger } from '../../src/arrow/merge.js'
import { scanStream } from '../../src/arrow/scan.js'
import { ArrowSealError } from '../../src/errors.js'
import { concatBytes } from '../../src/format/bytes.js'
import { LABEL, MAC_BYTES } from '../../src/format/constants.js'
import { frameMac } from '../../src/format/derive.js'
import { parseFrame, writeFrame } from '../../src/format/frame.js'
import { parseHeader } from '../../src/format/header.js'
import { setupBaseR } from '../../src/keys/hpke.js'
import type { Policy } from '../../src/policy/policy.js'
import { openTable, sealTable } from '../../src/table.js'
import { allTypesTable, structBatch, tableDiff } from '../fixtures/tables.js'
import { id } from '../helpers/identities.js'
import { propertyRuns } from '../helpers/property-runs.js'
import { codeOf, join, splitStream } from '../helpers/streams.js'

function arrowInvalid(fn: () => unknown): boolean {
  try {
    fn()
  } catch (err) {
    if (err instanceof ArrowSealError && err.code === 'ARROW_INVALID') return true
    throw err
  }
  return false
}

/** One Int32 column, `id`, of `n` rows; `name` and `metadata` let a test change the schema message only. */
function idUnit(n: number, name = 'id', metadata = new Map<string, string>()): Uint8Array {
  const schema = new Schema([new Field(name, new Int32(), false, metadata)])
  const [layout] = planGroups(schema, [0], 1, null)
  const t = tableFromArrays({ [name]: Int32Array.from({ length: n }, (_, i) => i) })
  return encodeGroupBatch(structBatch(schema, n, [t.batches[0]!.data.children[0]!]), layout!)
}

function sameBytes(x: unknown, y: unknown): boolean {
  if (!ArrayBuffer.isView(x) || !ArrayBuffer.isView(y)) return !ArrayBuffer.isView(x) && !ArrayBuffer.isView(y)
  const a = new Uint8Array(x.buffer, x.byteOffset, x.byteLength)
  const b = new Uint8Array(y.buffer, y.byteOffset, y.byteLength)
  return a.length === b.length && a.every((v, i) => v === b[i])
}

/**
 * Whether two decoded Data trees are the same: types, lengths, every buffer byte, children and dictionaries. (By
 * buffers, not values: a mutated unit may decode to values the table helpers cannot canonicalise, e.g. a map
 * row with two equal keys.)
 */
function sameData(a: Data, b: Data): boolean {
  const va = a.variadicBuffers ?? []
  const vb = b.variadicBuffers ?? []
  const da = a.dictionary?.data ?? []
  const db = b.dictionary?.data ?? []
  const ca = a.children ?? []
  const cb = b.children ?? []
  return (
    typesEqual(a.type, b.type) &&
    a.length === b.length &&
    a.offset === b.offset &&
    a.nullCount === b.nullCount &&
    sameBytes(a.values, b.values) &&
    sameBytes(a.valueOffsets, b.valueOffsets) &&
    sameBytes(a.nullBitmap, b.nullBitmap) &&
    sameBytes(a.typeIds, b.typeIds) &&
    va.length === vb.length &&
    va.every((x, i) => sameBytes(x, vb[i])) &&
    da.length === db.length &&
    da.every((x, i) => sameData(x, db[i]!)) &&
    ca.length === cb.length &&
    ca.every((x, i) => sameData(x, cb[i]!))
  )
}

const idLayout: GroupLayout = planGroups(new Schema([new Field('id', new Int32(), false)]), [0], 1, null)[0]!

describe('GroupDecoder: the schema cache never lets a different schema through', () => {
  it('refuses, after a good unit, a unit whose schema message differs in one byte (same length)', () => {
    const decoder = new GroupDecoder(idLayout)
    expect(decoder.decode(idUnit(3), 3).numRows).toBe(3)
    // 'ie' has the length of 'id': the two schema messages differ in exactly one byte.
    const renamed = idUnit(3, 'ie')
    const [a] = scanStream(idUnit(3))
    const [b] = scanStream(renamed)
    expect(b!.metadataLength).toBe(a!.metadataLength)
    expect(arrowInvalid(() => decoder.decode(renamed, 3))).toBe(true)
    // Field metadata of the same length, too.
    const tagged = new Map([['k', 'a']])
    const decoder2 = new GroupDecoder({
      positions: [0],
      schema: new Schema([idLayout.schema.fields[0]!.clone({ metadata: tagged })]),
    })
    expect(decoder2.decode(idUnit(2, 'id', tagged), 2).numRows).toBe(2)
    expect(arrowInvalid(() => decoder2.decode(idUnit(2, 'id', new Map([['k', 'b']])), 2))).toBe(true)
    // A refused unit does not disturb the cache: the good schema still decodes.
    expect(decoder.decode(idUnit(5), 5).numRows).toBe(5)
    expect(decoder2.decode(idUnit(4, 'id', tagged), 4).numRows).toBe(4)
  })

  it('does not cache a schema from a unit that failed a later check', () => {
    const decoder = new GroupDecoder(idLayout)
    // Wrong row count: the schema message is fine but the unit is refused, so nothing is remembered...
    expect(arrowInvalid(() => decoder.decode(idUnit(3), 4))).toBe(true)
    // ... and a unit whose schema differs from the header is still compared in full.
    expect(arrowInvalid(() => decoder.decode(idUnit(3, 'ie'), 3))).toBe(true)
    expect(decoder.decode(idUnit(3), 3).numRows).toBe(3)
  })

  it('runs every other check on units that hit the cache', () => {
    const decoder = new GroupDecoder(idLayout)
    decoder.decode(idUnit(3), 3)
    const good = idUnit(3)
    expect(arrowInvalid(() => decoder.decode(good, 4))).toBe(true) // row count
    expect(arrowInvalid(() => decoder.decode(good.subarray(0, good.length - 8), 3))).toBe(true) // no EOS
    expect(arrowInvalid(() => decoder.decode(concatBytes(good, new Uint8Array(8)), 3))).toBe(true) // trailing
    const [schemaMsg, batchMsg] = scanStream(good)
    const schemaOnly = concatBytes(good.subarray(0, batchMsg!.metadataStart - 8), good.subarray(good.length - 8))
    expect(schemaMsg!.bodyLength).toBe(0)
    expect(arrowInvalid(() => decoder.decode(schemaOnly, 3))).toBe(true) // no record batch
    const twice = concatBytes(good.subarray(0, good.length - 8), good.subarray(batchMsg!.metadataStart - 8))
    expect(arrowInvalid(() => decoder.decode(twice, 3))).toBe(true) // two record batches
  })

  it('refuses a schema message with a body (which arrow-js would have read as the next message)', () => {
    const good = idUnit(1)
    const [, batchMsg] = scanStream(good)
    // The same schema message, re-encoded by arrow-js declaring an 8-byte body, followed by that body.
    const meta = Message.encode(new Message(8, MetadataVersion.V5, MessageHeader.Schema, idLayout.schema))
    const padded = new Uint8Array(Math.ceil(meta.length / 8) * 8)
    padded.set(meta)
    const prefix = new Uint8Array(8)
    new DataView(prefix.buffer).setUint32(0, 0xffffffff, true)
    new DataView(prefix.buffer).setInt32(4, padded.length, true)
    const withBody = concatBytes(prefix, padded, new Uint8Array(8), good.subarray(batchMsg!.metadataStart - 8))
    expect(scanStream(withBody)[0]!.bodyLength).toBe(8)
    expect(arrowInvalid(() => decodeGroupBatch(withBody, idLayout, 1))).toBe(true)
    // Control: declaring no body, the same construction decodes.
    const meta0 = Message.encode(new Message(0, MetadataVersion.V5, MessageHeader.Schema, idLayout.schema))
    const padded0 = new Uint8Array(Math.ceil(meta0.length / 8) * 8)
    padded0.set(meta0)
    new DataView(prefix.buffer).setInt32(4, padded0.length, true)
    const noBody = concatBytes(prefix, padded0, good.subarray(batchMsg!.metadataStart - 8))
    expect(decodeGroupBatch(noBody, idLayout, 1).numRows).toBe(1)
  })
})

describe('GroupDecoder agrees with a fresh decode on every mutation', () => {
  const table = allTypesTable({ batches: 3 })
  const names = table.schema.fields.map((f) => f.name)
  const wanted = ['i64', 'utf8', 'dict', 'list_struct_dict', 'dense_union', 'map', 'utf8_view', 'dec128']
  const [layout] = planGroups(
    table.schema,
    names.map((n) => (wanted.includes(n) ? 0 : null)),
    1,
    0,
  )
  const batch = table.batches[1]!
  const unit = encodeGroupBatch(batch, layout!)
  const rows = batch.numRows
  const warm = new GroupDecoder(layout!)
  warm.decode(encodeGroupBatch(table.batches[0]!, layout!), table.batches[0]!.numRows)
  const schemaEnd = scanStream(unit)[0]!.bodyStart

  /** The outcome of a decode: 'invalid', or the decoded columns. */
  function outcome(decode: () => ReturnType<typeof decodeGroupBatch>): readonly Data[] | 'invalid' {
    try {
      return decode().data.children
    } catch (err) {
      if (err instanceof ArrowSealError && err.code === 'ARROW_INVALID') return 'invalid'
      throw err
    }
  }

  function agree(bytes: Uint8Array): void {
    const fresh = outcome(() => decodeGroupBatch(bytes, layout!, rows))
    const cached = outcome(() => warm.decode(bytes, rows))
    if (fresh === 'invalid' || cached === 'invalid') expect(cached).toBe(fresh)
    else expect(fresh.every((d, k) => sameData(d, cached[k]!))).toBe(true)
  }

  it('the valid unit', () => {
    agree(unit)
  })

  it('bit flips anywhere in the unit', () => {
    fc.assert(
      fc.property(fc.nat(unit.length - 1), fc.integer({ min: 0, max: 7 }), (i, bit) => {
        const bad = unit.slice()
        bad[i]! ^= 1 << bit
        agree(bad)
      }),
      { numRuns: propertyRuns(1500) },
    )
  })

  it('every single-bit flip of the schema message (the part the cache compares)', () => {
    for (let i = 0; i < schemaEnd; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const bad = unit.slice()
        bad[i]! ^= 1 << bit
        agree(bad)
      }
    }
  })
})

describe('BatchDecoder and BatchMerger', () => {
  it('decode frames exactly as decodeGroupBatch + mergeBatches do, with one schema object', () => {
    const table = allTypesTable({ batches: 4 })
    const groupOf = table.schema.fields.map((_, i) => (i % 5 === 4 ? null : i % 3))
    const layouts = planGroups(table.schema, groupOf, 3, 1)
    // The fields no group carries come back as all-null columns, as for includeDenied.
    const denied = planGroups(
      table.schema,
      groupOf.map((g) => (g === null ? 0 : null)),
      1,
      null,
    )
    const decoder = new BatchDecoder(layouts, denied)
    for (const batch of table.batches) {
      const units = layouts.map((l) => encodeGroupBatch(batch, l))
      const got = decoder.decode(units, batch.numRows)
      const want = mergeBatches(
        layouts.map((l, g) => ({ layout: l, batch: decodeGroupBatch(units[g]!, l, batch.numRows) })),
        batch.numRows,
        denied,
      )
      expect(got.schema).toBe(decoder.schema)
      expect(tableDiff(new Table([got]), new Table([want]))).toBeNull()
    }
  })

  it("load columns as the package's own Data and Vector classes (one arrow-js instance)", () => {
    const table = allTypesTable({ batches: 2 })
    const [layout] = planGroups(
      table.schema,
      table.schema.fields.map(() => 0),
      1,
      0,
    )
    const batch = table.batches[1]!
    const columns = new GroupDecoder(layout!).decodeColumns(encodeGroupBatch(batch, layout!), batch.numRows)
    for (const c of columns) {
      expect(c).toBeInstanceOf(Data)
      if (c.dictionary) expect(c.dictionary).toBeInstanceOf(Vector)
    }
  })

  it('decode units held in Node Buffers at any offset (Buffer#slice is a view, not a copy)', () => {
    const table = allTypesTable({ batches: 3 })
    const [layout] = planGroups(
      table.schema,
      table.schema.fields.map(() => 0),
      1,
      0,
    )
    const decoder = new GroupDecoder(layout!)
    for (const batch of table.batches) {
      const unit = encodeGroupBatch(batch, layout!)
      for (const offset of [0, 1, 3, 4, 7]) {
        const held = Buffer.alloc(unit.length + 8)
        held.set(unit, offset)
        const view = held.subarray(offset, offset + unit.length)
        const want = decodeGroupBatch(unit, layout!, batch.numRows).data.children
        expect(
          decodeGroupBatch(view, layout!, batch.numRows).data.children.every((d, k) => sameData(d, want[k]!)),
        ).toBe(true)
        expect(decoder.decodeColumns(view, batch.numRows).every((d, k) => sameData(d, want[k]!))).toBe(true)
      }
    }
  })

  it('merger checks each part against its layout and the frame', () => {
    const merger = new BatchMerger([idLayout])
    const good = decodeGroupBatch(idUnit(3), idLayout, 3)
    expect(merger.merge([good], 3).numRows).toBe(3)
    expect(arrowInvalid(() => merger.merge([good], 4))).toBe(true)
    expect(arrowInvalid(() => merger.merge([], 3))).toBe(true)
    expect(arrowInvalid(() => merger.mergeColumns([[]], 3))).toBe(true)
    expect(arrowInvalid(() => merger.mergeColumns([good.data.children], 4))).toBe(true)
  })
})

describe('Opener: a later frame whose unit schema differs is refused (end to end)', () => {
  const writer = id('writer')
  const reader = id('decoder-reader')
  const recipients = { r: [reader.publicKey] }
  const policy: Policy = { fields: { id: 'public', y: ['r'] } }
  const options = { identity: reader, trustedSigners: [writer.publicKey] }

  /** Re-writes frame `at`'s public unit (group 0) as `payload`, with a valid MAC for `reader`. */
  function withPublicUnit(sealed: Uint8Array, at: number, payload: Uint8Array): Uint8Array {
    const { header: hb, frames } = splitStream(sealed)
    const header = parseHeader(hb)
    const hd = sha256(hb)
    const me = header.stanzas.findIndex((s) => s.fingerprint.every((x, k) => x === reader.fingerprint[k]))
    const stanza = header.stanzas[me]!
    const macKey = setupBaseR(reader, stanza.enc, concatBytes(LABEL.stanzaInfo, header.streamId)).export(
      LABEL.macExport,
      32,
    )
    const frame = parseFrame(frames[at]!.subarray(4), header.groups.length, header.stanzas.length)
    const units = frame.units.map((u) => (u.groupId === 0 ? { ...u, payload } : u))
    const w = writeFrame(1, at, frame.rows, units, header.stanzas.length)
    w.macs.set(frameMac(macKey, hd, sha256(w.body)), me * MAC_BYTES)
    return join(hb, ...frames.slice(0, at), w.frame, ...frames.slice(at + 1))
  }

  it('refuses frame 1 whose public unit names its column "ie" instead of "id"', async () => {
    const t = new Table([
      tableFromArrays({ id: Int32Array.of(1, 2), y: Int32Array.of(7, 8) }).batches[0]!,
      tableFromArrays({ id: Int32Array.of(3, 4), y: Int32Array.of(9, 10) }).batches[0]!,
    ])
    const sealed = await sealTable(t, { signer: writer, recipients, policy })
    const { header: hb, frames } = splitStream(sealed)
    const header = parseHeader(hb)
    const original = parseFrame(frames[1]!.subarray(4), header.groups.length, header.stanzas.length).units[0]!.payload
    // The field name is a flatbuffer string (u32 length 2, 'id', NUL) inside the schema message: rename it in place.
    const at = original.findIndex((_, i) => [2, 0, 0, 0, 0x69, 0x64, 0].every((b, k) => original[i + k] === b))
    expect(at).toBeGreaterThan(0)
    expect(at).toBeLessThan(scanStream(original)[0]!.bodyStart)
    const renamed = original.slice()
    renamed[at + 5] = 0x65 // 'd' → 'e'
    // Control: the same re-writing with the original unit is accepted, so only the schema makes the difference.
    const control = await openTable(withPublicUnit(sealed, 1, original.slice()), options)
    expect(control.getChild('id')!.toArray()).toEqual(Int32Array.of(1, 2, 3, 4))
    expect(await codeOf(openTable(withPublicUnit(sealed, 1, renamed), options))).toBe('ARROW_INVALID')
  })
})
