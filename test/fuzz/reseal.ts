/**
 * Post-authentication fuzzing: the writer's own keys (exported from the internal `Sealer.create` hook) re-seal
 * and re-MAC mutated unit plaintexts, so that the mutation gets past every cryptographic check and reaches the
 * reader's Arrow decoder, inflater and batch checks. This plays a hostile writer or a compromised writing
 * process; every such frame must still end in an ArrowSealError (ARROW_INVALID, LIMIT_EXCEEDED, …), never a crash.
 */
import { gcm } from '@noble/ciphers/aes.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { Field, List, Table, Utf8, vectorFromArray } from 'apache-arrow'
import fc from 'fast-check'
import { deflateSync, inflateSync } from 'fflate'
import { ByteWriter } from '../../src/format/bytes.js'
import { MAC_BYTES, UNIT_FLAG_DEFLATE } from '../../src/format/constants.js'
import { frameMac, unitAad, unitNonce } from '../../src/format/derive.js'
import { parseFrame, writeFrame } from '../../src/format/frame.js'
import { parseHeader } from '../../src/format/header.js'
import type { FrameSealerKeys } from '../../src/seal/frame-sealer.js'
import type { SealOptions } from '../../src/seal/options.js'
import { Sealer } from '../../src/seal/sealer.js'
import { seededRandom } from '../helpers/identities.js'
import { join, splitStream } from '../helpers/streams.js'
import { other, reader, tiny, writer } from './corpus.js'

/** A sealed stream, the plaintext of every unit, and the writer's frame keys. */
export interface ResealableStream {
  readonly bytes: Uint8Array
  readonly keys: FrameSealerKeys
  /** plains[frame][group]: the unit plaintext (Arrow IPC, or u32 size ‖ raw DEFLATE). */
  readonly plains: Uint8Array[][]
}

/** A small stream with a public and a sealed group, optionally deflated, with its keys kept. */
export async function resealable(compression: 'none' | 'deflate'): Promise<ResealableStream> {
  const t = new Table({
    id: tiny().getChild('id')!,
    name: vectorFromArray(['alpha', null], new Utf8()),
    tags: vectorFromArray([['x'], ['y', 'z']], new List(new Field('item', new Utf8(), true))),
  })
  const options: SealOptions = {
    signer: writer,
    recipients: { r: [reader.publicKey], o: [other.publicKey] },
    policy: { fields: { id: 'public', name: ['r'], tags: ['r', 'o'] } },
    compression,
  }
  let keys: FrameSealerKeys | undefined
  const sealer = await Sealer.create(t.schema, options, seededRandom(21), undefined, (k) => {
    keys = k
  })
  const frames = [await sealer.sealBatch(t.batches[0]!), await sealer.finish()]
  const bytes = join(sealer.header, ...frames)
  const h = parseHeader(splitStream(bytes).header)
  const p = parseFrame(frames[0]!.subarray(4), h.groups.length, h.stanzas.length)
  const plains = [
    p.units.map((u, g) => {
      const k = keys!.encKeys[g]
      return k
        ? gcm(k, unitNonce(0), unitAad(keys!.headerDigest, 0, g, p.rows, false, u.flags)).decrypt(u.payload)
        : u.payload.slice()
    }),
  ]
  return { bytes, keys: keys!, plains }
}

/** A mutation of one unit's plaintext (or of the frame's row count), applied before re-sealing. */
export type PlainMutation =
  | { readonly op: 'flip'; readonly group: number; readonly bit: number }
  | { readonly op: 'truncate'; readonly group: number; readonly at: number }
  | { readonly op: 'insert'; readonly group: number; readonly at: number; readonly bytes: readonly number[] }
  | { readonly op: 'overwrite32'; readonly group: number; readonly at: number; readonly value: number }
  | { readonly op: 'rows'; readonly rows: number }
  | { readonly op: 'deflate-size'; readonly group: number; readonly size: number }
  | { readonly op: 'redeflate'; readonly group: number; readonly bit: number }

const u32s = fc.oneof(fc.constantFrom(0, 1, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff, 0xffff_fff8), fc.nat())

export function plainMutationArb(groups: number): fc.Arbitrary<PlainMutation> {
  const group = fc.nat(groups - 1)
  const at = fc.nat(1 << 16)
  return fc.oneof(
    { weight: 4, arbitrary: fc.record({ op: fc.constant('flip' as const), group, bit: fc.nat(1 << 19) }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('truncate' as const), group, at }) },
    {
      weight: 1,
      arbitrary: fc.record({
        op: fc.constant('insert' as const),
        group,
        at,
        bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 12 }),
      }),
    },
    { weight: 3, arbitrary: fc.record({ op: fc.constant('overwrite32' as const), group, at, value: u32s }) },
    {
      weight: 1,
      arbitrary: fc.record({ op: fc.constant('rows' as const), rows: fc.constantFrom(0, 1, 3, 0x7fff_ffff) }),
    },
    // Sizes the reader refuses, or allocates only a little for: an authenticated size up to 1 GiB is allocated
    // before inflating (format.md §Limits), which a CI run should not do at random.
    {
      weight: 1,
      arbitrary: fc.record({
        op: fc.constant('deflate-size' as const),
        group,
        size: fc.constantFrom(0, 1, 17, 4096, 2 ** 30 + 1, 0xffff_ffff),
      }),
    },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('redeflate' as const), group, bit: fc.nat(1 << 19) }) },
  )
}

/** The stream with frame 0's units replaced by mutated plaintexts, re-sealed and re-MACed for every recipient. */
export function reseal(s: ResealableStream, mutations: readonly PlainMutation[], deflated: boolean): Uint8Array {
  const { header, frames } = splitStream(s.bytes)
  const h = parseHeader(header)
  const p = parseFrame(frames[0]!.subarray(4), h.groups.length, h.stanzas.length)
  const plains: Uint8Array[] = s.plains[0]!.map((x) => x.slice())
  let rows = p.rows
  for (const m of mutations) {
    if (m.op === 'rows') {
      rows = m.rows
      continue
    }
    const g = m.group % plains.length
    let x: Uint8Array = plains[g]!
    // A deflated unit's u32 size prefix is changed only by the deflate-size mutation (see plainMutationArb):
    // the other mutations work on the bytes after it.
    const lo = deflated ? 4 : 0
    if (x.length <= lo) continue
    switch (m.op) {
      case 'flip':
        x[lo + ((m.bit >> 3) % (x.length - lo))]! ^= 1 << (m.bit & 7)
        break
      case 'truncate':
        x = x.slice(0, m.at % x.length)
        break
      case 'insert': {
        const at = lo + (m.at % (x.length + 1 - lo))
        x = join(x.subarray(0, at), Uint8Array.from(m.bytes), x.subarray(at))
        break
      }
      case 'overwrite32': {
        const at = lo + (m.at % (x.length - lo))
        if (at + 4 <= x.length) new DataView(x.buffer, x.byteOffset).setUint32(at, m.value)
        break
      }
      case 'deflate-size':
        if (deflated && x.length >= 4) new DataView(x.buffer, x.byteOffset).setUint32(0, m.size)
        break
      case 'redeflate': {
        // Mutate the IPC inside a deflated unit and compress it again, so the corruption survives inflation.
        if (!deflated || x.length < 4) break
        let ipc: Uint8Array
        try {
          ipc = inflateSync(x.subarray(4))
        } catch {
          break // an earlier mutation already broke the deflate data: nothing to re-compress
        }
        if (ipc.length === 0) break
        ipc[(m.bit >> 3) % ipc.length]! ^= 1 << (m.bit & 7)
        x = join(new ByteWriter(4).u32(ipc.length).done(), deflateSync(ipc))
        break
      }
    }
    plains[g] = x
  }
  const units = p.units.map((u, g) => {
    const k = s.keys.encKeys[g]
    const plain = plains[g]!
    const payload = k
      ? gcm(k, unitNonce(0), unitAad(s.keys.headerDigest, 0, g, rows, false, u.flags)).encrypt(plain)
      : plain
    return { groupId: g, flags: deflated ? UNIT_FLAG_DEFLATE : 0, payload }
  })
  const w = writeFrame(1, 0, rows, units, h.stanzas.length)
  const digest = sha256(w.body)
  s.keys.macKeys.forEach((mk, i) => {
    w.macs.set(frameMac(mk, s.keys.headerDigest, digest), i * MAC_BYTES)
  })
  return join(header, w.frame, frames[1]!)
}
