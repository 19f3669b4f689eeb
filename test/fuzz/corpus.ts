/**
 * Seed streams for the fuzzer: small sealed streams made with fixed identities and a deterministic random source,
 * so a failing case replays from its fast-check seed alone. Each covers a different shape of header and frame
 * (public + sealed groups, several recipients, revealed schemas, deflate units, no batches).
 */
import { Int32, Table, Utf8, vectorFromArray } from 'apache-arrow'
import type { OpenOptions, SealOptions } from '../../src/seal/options.js'
import { Sealer } from '../../src/seal/sealer.js'
import { id, seededRandom } from '../helpers/identities.js'
import { join } from '../helpers/streams.js'

export const writer = id('writer')
export const reader = id('reader')
export const other = id('other-reader')

/** The reader the fuzzer opens as. A low `maxFrameBytes` makes the allocation bound tight. */
export const FUZZ_MAX_FRAME_BYTES = 1 << 20
export const openOptions: OpenOptions = {
  identity: reader,
  trustedSigners: [writer.publicKey],
  maxFrameBytes: FUZZ_MAX_FRAME_BYTES,
}

/** A sealed seed stream and a name for reports. */
export interface SeedStream {
  readonly name: string
  readonly bytes: Uint8Array
}

function rows(n: number, base: number): Table {
  return new Table({
    id: vectorFromArray(Int32Array.from({ length: n }, (_, i) => base + i)),
    email: vectorFromArray(
      Array.from({ length: n }, (_, i) => (i % 3 === 2 ? null : `u${base + i}@x.org`)),
      new Utf8(),
    ),
    score: vectorFromArray(Int32Array.from({ length: n }, (_, i) => i * 7)),
  })
}

/** Seals the batches of `t` (or none, for `empty`) with a fixed random seed. */
export async function sealDeterministic(
  t: Table,
  options: SealOptions,
  seed: number,
  empty = false,
): Promise<Uint8Array> {
  const sealer = await Sealer.create(t.schema, options, seededRandom(seed))
  const parts = [sealer.header]
  if (!empty) for (const b of t.batches) parts.push(await sealer.sealBatch(b))
  parts.push(await sealer.finish())
  return join(...parts)
}

/** Builds the seed corpus (about 6 KB to 12 KB per stream: most of each header is keys and signatures). */
export async function seedStreams(): Promise<SeedStream[]> {
  const two = new Table([...rows(2, 0).batches, ...rows(3, 10).batches])
  const base: SealOptions = {
    signer: writer,
    recipients: { r: [reader.publicKey], o: [other.publicKey] },
    policy: { fields: { id: 'public', email: ['r'], score: ['r', 'o'] } },
  }
  return [
    { name: 'two batches, public + 2 sealed groups, 2 recipients', bytes: await sealDeterministic(two, base, 11) },
    {
      name: 'revealed schema, deflate',
      bytes: await sealDeterministic(two, { ...base, revealSchema: true, compression: 'deflate' }, 12),
    },
    {
      name: 'one recipient, all sealed',
      bytes: await sealDeterministic(
        rows(3, 0),
        { signer: writer, recipients: { r: [reader.publicKey] }, policy: { fields: {}, default: ['r'] } },
        13,
      ),
    },
    { name: 'no batches', bytes: await sealDeterministic(rows(1, 0), base, 14, true) },
  ]
}

/** A one-column table, for cases that only need some valid stream. */
export function tiny(): Table {
  return new Table({ id: vectorFromArray([1, 2], new Int32()) })
}
