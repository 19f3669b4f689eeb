/**
 * Every hard limit of docs/format.md §Limits, at the limit and one past it (test/core/limits.test.ts covers the
 * frame prefix, the reader's maxFrameBytes and the header prefix; this file covers the rest). At the limit the
 * reader must get past the structural checks (a crafted header then fails at the next check, SIGNER_UNTRUSTED:
 * its signer is nobody); one past it, the structural check refuses, before anything is allocated for the field.
 */
import { gcm } from '@noble/ciphers/aes.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { Field, Int8, Schema, Table, tableFromArrays } from 'apache-arrow'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeGroupSchema } from '../../src/arrow/index.js'
import { ByteWriter } from '../../src/format/bytes.js'
import { HARD_LIMITS, MAC_BYTES } from '../../src/format/constants.js'
import { frameMac, unitAad, unitNonce } from '../../src/format/derive.js'
import { parseFrame, writeFrame } from '../../src/format/frame.js'
import { encodeSignedPart, parseHeader } from '../../src/format/header.js'
import { parsePublicKey } from '../../src/keys/public-key.js'
import { planAccess } from '../../src/policy/resolve.js'
import type { FrameSealerKeys } from '../../src/seal/frame-sealer.js'
import { Sealer } from '../../src/seal/sealer.js'
import { OpenStream } from '../../src/stream/open-stream.js'
import { openTable } from '../../src/table.js'
import {
  installAllocationGuard,
  largestAllocation,
  removeAllocationGuard,
  resetAllocationRecord,
} from '../fuzz/alloc-guard.js'
import { id, seededRandom } from '../helpers/identities.js'
import { codeOf, join, splitStream } from '../helpers/streams.js'
import { bodySize, craftHeader, headerPrefix, sealedGroup, strangerStanza, withU16 } from './craft.js'

const writer = id('writer')
const reader = id('reader')
const opts = { identity: reader, trustedSigners: [writer.publicKey] }
const MiB = 1024 * 1024

beforeAll(installAllocationGuard)
afterAll(removeAllocationGuard)

/** Fake recipient keys for the planner (it only needs fingerprints). */
const fakeKeys = (n: number) => Array.from({ length: n }, (_, i) => ({ fingerprint: seededRandom(i + 1)(32) }))

describe('header body: 16 MiB', () => {
  it('a header whose body is exactly 16 MiB passes structure; 16 MiB + 1 is refused before buffering', async () => {
    const stanzas = [strangerStanza()]
    const groups = [1, 2, 3, 4].map((i) => sealedGroup(i, 4_000_000))
    const rest = HARD_LIMITS.maxHeaderBytes - bodySize([...groups, sealedGroup(5, 0)], stanzas)
    const all = [...groups, sealedGroup(5, rest)].map((g, i) => ({ ...g, id: i }))
    expect(bodySize(all, stanzas)).toBe(HARD_LIMITS.maxHeaderBytes)
    const header = craftHeader(all, stanzas, null)
    expect(parseHeader(header).groups.length).toBe(5)
    expect(await codeOf(openTable(header, opts))).toBe('SIGNER_UNTRUSTED')
    // One byte more: the writer's encoder refuses it ...
    const over = [...all.slice(0, 4), { ...all[4]!, schema: new Uint8Array(rest + 1) }]
    expect(() =>
      encodeSignedPart({ flags: 0, streamId: new Uint8Array(16), signer: new Uint8Array(32), groups: over, stanzas }),
    ).toThrow(expect.objectContaining({ code: 'LIMIT_EXCEEDED' }))
    // ... and a reader refuses the prefix alone, allocating nothing for the body.
    resetAllocationRecord()
    const prefix = headerPrefix(HARD_LIMITS.maxHeaderBytes + 1)
    expect(await codeOf(openTable(prefix, opts))).toBe('LIMIT_EXCEEDED')
    expect(await codeOf(openTable(headerPrefix(0xffff_ffff), opts))).toBe('LIMIT_EXCEEDED')
    expect(largestAllocation()).toBeLessThan(MiB)
  })
})

describe('recipients: 1 … 1,024', () => {
  const groups = [sealedGroup(0)]
  const countAt = 15 + bodySize(groups, []) - 2

  it('reads 1 and 1,024 stanzas; refuses 0, 1,025 and 65,535', async () => {
    for (const n of [1, HARD_LIMITS.maxRecipients]) {
      const header = craftHeader(
        groups,
        Array.from({ length: n }, () => strangerStanza()),
        writer,
      )
      expect(parseHeader(header).stanzas.length).toBe(n)
      expect(await codeOf(openTable(header, opts))).toBe('NOT_A_RECIPIENT')
    }
    const unsigned = craftHeader(
      groups,
      Array.from({ length: 2 }, () => strangerStanza()),
      null,
    )
    for (const [n, code] of [
      [0, 'FORMAT_INVALID'],
      [HARD_LIMITS.maxRecipients + 1, 'LIMIT_EXCEEDED'],
      [0xffff, 'LIMIT_EXCEEDED'],
    ] as const) {
      expect(await codeOf(openTable(withU16(unsigned, countAt, n), opts)), `count ${n}`).toBe(code)
    }
  })

  it('the writer plans 1,024 distinct recipient keys and refuses 1,025', () => {
    const policy = { fields: { x: ['r'] } }
    expect(planAccess(['x'], false, policy, { r: fakeKeys(1024) }).recipients.length).toBe(1024)
    expect(() => planAccess(['x'], false, policy, { r: fakeKeys(1025) })).toThrow(
      expect.objectContaining({ code: 'POLICY_INVALID' }),
    )
  })
})

describe('groups: 1,024', () => {
  it('reads 1,024 groups; refuses 1,025 and 65,535 before reading them', async () => {
    const groups = Array.from({ length: HARD_LIMITS.maxGroups }, (_, i) => sealedGroup(i, 1))
    const header = craftHeader(groups, [strangerStanza()], null)
    expect(parseHeader(header).groups.length).toBe(1024)
    expect(await codeOf(openTable(header, opts))).toBe('SIGNER_UNTRUSTED')
    for (const n of [HARD_LIMITS.maxGroups + 1, 0xffff])
      expect(await codeOf(openTable(withU16(header, 65, n), opts)), `count ${n}`).toBe('LIMIT_EXCEEDED')
  })

  it('the writer plans 1,024 groups and refuses 1,025', () => {
    // Eleven roles give 2,047 distinct non-empty role sets; field i gets the set of bits of i + 1.
    const roles = Array.from({ length: 11 }, (_, b) => `r${b}`)
    const recipients = Object.fromEntries(roles.map((r, b) => [r, fakeKeys(b + 1).slice(b)]))
    const plan = (n: number) => {
      const names = Array.from({ length: n }, (_, i) => `f${i}`)
      const fields = Object.fromEntries(names.map((f, i) => [f, roles.filter((_, b) => ((i + 1) >> b) & 1)]))
      return planAccess(names, false, { fields }, recipients)
    }
    expect(plan(HARD_LIMITS.maxGroups).groups.length).toBe(1024)
    expect(() => plan(HARD_LIMITS.maxGroups + 1)).toThrow(expect.objectContaining({ code: 'POLICY_INVALID' }))
  })
})

describe('fields: 65,536 per group and per stream', () => {
  const max = HARD_LIMITS.maxFieldsPerGroup

  it('a group schema with 65,536 fields round-trips; a count of 65,537 is refused before its positions are read', async () => {
    const fields = Array.from({ length: max }, (_, i) => new Field(`c${i}`, new Int8(), true))
    const t = new Table(new Schema(fields))
    const sealer = await Sealer.create(t.schema, {
      signer: writer,
      recipients: { r: [reader.publicKey] },
      policy: { fields: {}, default: ['r'] },
    })
    const sealed = join(sealer.header, await sealer.finish())
    const opened = await openTable(sealed, opts)
    expect(opened.schema.fields.length).toBe(max)
    expect(opened.schema.fields[max - 1]!.name).toBe(`c${max - 1}`)

    const count = (n: number, extra = 0) => new ByteWriter(4 + extra).u32(n).put(new Uint8Array(extra)).done()
    // At the limit the count is accepted and the (missing) positions are what fails; past it, the count itself.
    expect(() => decodeGroupSchema(count(max), { maxFields: max })).toThrow(/truncated positions/)
    expect(() => decodeGroupSchema(count(max + 1), { maxFields: max })).toThrow(/more fields than allowed/)
    expect(() => decodeGroupSchema(count(0xffff_ffff), { maxFields: max })).toThrow(/more fields than allowed/)
    // Positions are below 65,536: the last one may be 65,535, not 65,536.
    const pos = (p: number) => new ByteWriter(8).u32(1).u32(p).done()
    expect(() => decodeGroupSchema(pos(max - 1), { maxFields: max })).toThrow(/IPC stream/)
    expect(() => decodeGroupSchema(pos(max), { maxFields: max })).toThrow(/positions not ascending or too large/)
  }, 120_000)

  it('the writer accepts 65,536 top-level fields and refuses 65,537', () => {
    const names = (n: number) => Array.from({ length: n }, (_, i) => `c${i}`)
    const policy = { fields: {}, default: ['r'] as string[] }
    expect(planAccess(names(max), false, policy, { r: fakeKeys(1) }).groups.length).toBe(1)
    expect(() => planAccess(names(max + 1), false, policy, { r: fakeKeys(1) })).toThrow(
      expect.objectContaining({ code: 'POLICY_INVALID' }),
    )
  })
})

describe('group schema blob: 4 MiB', () => {
  it('reads a 4 MiB blob; refuses 4 MiB + 1 and 2^32 − 1 from the length field alone', async () => {
    const header = craftHeader([sealedGroup(0, HARD_LIMITS.maxSchemaBytes)], [strangerStanza()], null)
    expect(parseHeader(header).groups[0]!.schema.length).toBe(HARD_LIMITS.maxSchemaBytes)
    expect(await codeOf(openTable(header, opts))).toBe('SIGNER_UNTRUSTED')
    // schema_length of group 0 sits after id, kind, flags and commitment: 15 + 52 + 2 + 1 + 1 + 32.
    const at = 15 + 52 + 36
    for (const n of [HARD_LIMITS.maxSchemaBytes + 1, 0xffff_ffff]) {
      const m = header.slice()
      new DataView(m.buffer).setUint32(at, n)
      expect(() => parseHeader(m)).toThrow(expect.objectContaining({ code: 'LIMIT_EXCEEDED' }))
      expect(await codeOf(openTable(m, opts))).toBe('LIMIT_EXCEEDED')
    }
  })
})

describe('frames: the reader limit, default 256 MiB, hard 1 GiB', () => {
  it('a stream declaring a multi-gigabyte frame fails at once, after its 4 prefix bytes, allocating nothing', async () => {
    const t = new Table(tableFromArrays({ x: Int32Array.of(1) }).batches)
    const s = await sealTable1(t)
    const { header } = splitStream(s)
    for (const declared of [HARD_LIMITS.maxFrameBytes + 1, 3 * 1024 * MiB, 0xffff_ffff]) {
      let pulled = 0
      const prefix = new ByteWriter(4).u32(declared).done()
      // An endless source: if the reader waited for the frame's bytes, this test would hang, not pass.
      const input = new ReadableStream<Uint8Array>({
        pull(c) {
          pulled++
          c.enqueue(pulled === 1 ? join(header, prefix) : new Uint8Array(64 * 1024))
        },
      })
      resetAllocationRecord()
      const out = input.pipeThrough(new OpenStream({ ...opts, maxFrameBytes: HARD_LIMITS.maxFrameBytes }))
      expect(await codeOf(out.getReader().read())).toBe('LIMIT_EXCEEDED')
      expect(pulled).toBeLessThanOrEqual(3)
      expect(largestAllocation()).toBeLessThan(MiB)
    }
  })

  it('a frame of exactly maxFrameBytes is buffered; one byte more is refused', async () => {
    const t = new Table(tableFromArrays({ x: Int32Array.of(1) }).batches)
    const s = await sealTable1(t)
    const { frames } = splitStream(s)
    const len = frames[0]!.length - 4
    expect(await codeOf(openTable(s, { ...opts, maxFrameBytes: len }))).toBe('RESOLVED')
    expect(await codeOf(openTable(s, { ...opts, maxFrameBytes: len - 1 }))).toBe('LIMIT_EXCEEDED')
  })
})

describe('rows per batch (2^31 − 1) and batches per stream (2^32 − 1)', () => {
  const frame = (index: number, rows: number) => writeFrame(1, index, rows, [], 1).frame.subarray(4)

  it('frame parsing accepts rows = 2^31 − 1 and refuses 2^31 and 2^32 − 1', () => {
    expect(parseFrame(frame(0, HARD_LIMITS.maxRowsPerBatch), 0, 1).rows).toBe(0x7fff_ffff)
    for (const rows of [HARD_LIMITS.maxRowsPerBatch + 1, 0xffff_ffff])
      expect(() => parseFrame(frame(0, rows), 0, 1)).toThrow(expect.objectContaining({ code: 'LIMIT_EXCEEDED' }))
  })

  it('frame parsing accepts index = 2^32 − 1 and refuses 2^32 and 2^53 − 1', () => {
    expect(parseFrame(frame(HARD_LIMITS.maxBatches, 1), 0, 1).index).toBe(0xffff_ffff)
    for (const index of [HARD_LIMITS.maxBatches + 1, Number.MAX_SAFE_INTEGER])
      expect(() => parseFrame(frame(index, 1), 0, 1)).toThrow(expect.objectContaining({ code: 'LIMIT_EXCEEDED' }))
    // A u64 above 2^53 cannot even be represented: refused as too large, not misread.
    const big = frame(0, 1).slice()
    big.fill(0xff, 1, 9)
    expect(() => parseFrame(big, 0, 1)).toThrow(expect.objectContaining({ code: 'LIMIT_EXCEEDED' }))
  })

  it('the writer refuses a batch of 2^31 rows', async () => {
    const t = tableFromArrays({ x: Int32Array.of(1) })
    const sealer = await Sealer.create(t.schema, {
      signer: writer,
      recipients: { r: [reader.publicKey] },
      policy: { fields: { x: ['r'] } },
    })
    const batch = t.batches[0]!
    // A real batch of 2^31 rows needs gigabytes; the writer reads only numRows before refusing.
    const huge = Object.create(batch, { numRows: { value: HARD_LIMITS.maxRowsPerBatch + 1 } })
    await expect(sealer.sealBatch(huge)).rejects.toMatchObject({ code: 'LIMIT_EXCEEDED' })
  })
})

/** A one-batch deflate stream whose unit's declared inflated size is rewritten and re-authenticated. */
async function withDeclaredSize(size: (actual: number) => number): Promise<Uint8Array> {
  const t = new Table(tableFromArrays({ x: Int32Array.of(1, 2, 3) }).batches)
  let keys: FrameSealerKeys | undefined
  const sealer = await Sealer.create(
    t.schema,
    {
      signer: writer,
      recipients: { r: [reader.publicKey] },
      policy: { fields: { x: ['r'] } },
      compression: 'deflate',
    },
    undefined,
    undefined,
    (k) => {
      keys = k
    },
  )
  const f0 = await sealer.sealBatch(t.batches[0]!)
  const end = await sealer.finish()
  const p = parseFrame(f0.subarray(4), 1, 1)
  const unit = p.units[0]!
  const key = keys!.encKeys[0]!
  const aad = unitAad(keys!.headerDigest, 0, 0, p.rows, false, unit.flags)
  const plain = gcm(key, unitNonce(0), aad).decrypt(unit.payload)
  const view = new DataView(plain.buffer, plain.byteOffset)
  view.setUint32(0, size(view.getUint32(0)))
  const payload = gcm(key, unitNonce(0), aad).encrypt(plain)
  const w = writeFrame(1, 0, p.rows, [{ ...unit, payload }], 1)
  w.macs.set(frameMac(keys!.macKeys[0]!, keys!.headerDigest, sha256(w.body)), 0 * MAC_BYTES)
  return join(sealer.header, w.frame, end)
}

describe('inflated unit: its authenticated u32 prefix, at most 1 GiB', () => {
  it('the exact size opens; a wrong size is ARROW_INVALID; 1 GiB + 1 and 2^32 − 1 are refused before inflating', async () => {
    expect(await codeOf(openTable(await withDeclaredSize((n) => n), opts))).toBe('RESOLVED')
    expect(await codeOf(openTable(await withDeclaredSize((n) => n + 1), opts))).toBe('ARROW_INVALID')
    expect(await codeOf(openTable(await withDeclaredSize((n) => n - 1), opts))).toBe('ARROW_INVALID')
    for (const declared of [HARD_LIMITS.maxFrameBytes + 1, 0xffff_ffff]) {
      const s = await withDeclaredSize(() => declared)
      resetAllocationRecord()
      expect(await codeOf(openTable(s, opts))).toBe('LIMIT_EXCEEDED')
      expect(largestAllocation()).toBeLessThan(MiB)
    }
  })
})

describe('inflated unit vs the reader limit', () => {
  // An authenticated deflate unit's u32 size prefix is allocated before inflating. The reader's own
  // maxFrameBytes bounds it (not just the hard 1 GiB limit), so a reader that chose 1 MiB never allocates 64 MiB.
  it('a deflate unit declaring 64 MiB is refused by a reader whose maxFrameBytes is 1 MiB', async () => {
    const s = await withDeclaredSize(() => 64 * MiB)
    resetAllocationRecord()
    const code = await codeOf(openTable(s, { ...opts, maxFrameBytes: MiB }))
    expect(code).toBe('LIMIT_EXCEEDED')
    expect(largestAllocation()).toBeLessThanOrEqual(MiB)
  })
})

describe('stanza payload (u16) and key texts (16 KiB)', () => {
  it('reads a stanza payload of 65,535 bytes', () => {
    const header = craftHeader([sealedGroup(0)], [strangerStanza(0xffff)], null)
    expect(parseHeader(header).stanzas[0]!.payload.length).toBe(0xffff)
  })

  it('refuses a key text longer than 16 KiB before decoding it', () => {
    const text = `aseal1${'q'.repeat(16 * 1024)}`
    expect(() => parsePublicKey(text)).toThrow(expect.objectContaining({ code: 'KEY_INVALID' }))
    expect(() => parsePublicKey(text)).toThrow(/long|length|16/)
  })
})

async function sealTable1(t: Table): Promise<Uint8Array> {
  const sealer = await Sealer.create(t.schema, {
    signer: writer,
    recipients: { r: [reader.publicKey] },
    policy: { fields: { x: ['r'] } },
  })
  const parts = [sealer.header]
  for (const b of t.batches) parts.push(await sealer.sealBatch(b))
  parts.push(await sealer.finish())
  return join(...parts)
}
