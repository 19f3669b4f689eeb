/**
 * Whole-table sealing and opening behind `sealTable` / `openTable`, with the runtime threaded through so the
 * core and Node entries share one implementation.
 * @module
 */

import { bytesToHex } from '@noble/hashes/utils.js'
import { type RecordBatch, Table } from 'apache-arrow'
import { trueSchema } from '../arrow/batch.js'
import { FormatError } from '../errors.js'
import { concatAll } from '../format/bytes.js'
import { FrameSplitter } from '../format/reader.js'
import type { SessionCredential } from '../format/session.js'
import type { PublicKey } from '../keys/public-key.js'
import type { KeyAccessInfo } from './key-access.js'
import { Opener } from './opener.js'
import { checkOpenOptions, DEFAULT_MAX_INFLATED_TABLE_BYTES, type OpenOptions, type SealOptions } from './options.js'
import { type RandomSource, webRandom } from './random.js'
import { type Runtime, webRuntime } from './runtime.js'
import { Sealer } from './sealer.js'

/**
 * Seals a whole table into one buffer. All batches are encoded first, so every frame's size is known and each
 * sealed unit is written once, straight into its place in the result (no per-frame buffers, no final concat).
 * `random` is the test-only injection point of {@link Sealer.create}.
 *
 * @example
 * ```ts
 * const sealed = await sealWhole(table, options, webRuntime)
 * ```
 * @internal
 */
export async function sealWhole(
  table: Table,
  options: SealOptions,
  runtime: Runtime = webRuntime,
  random: RandomSource = webRandom,
): Promise<Uint8Array<ArrayBuffer>> {
  if (!(table instanceof Table)) throw new TypeError('sealTable: the first argument must be an apache-arrow Table')
  const sealer = await Sealer.create(trueSchema(table.schema, table.batches[0]), options, random, runtime)
  // The whole table is at hand, so only the dictionary entries its rows use are written (format.md §Frames).
  sealer.trimDictionaries(table.batches)
  if (sealer.gathers) return sealMerged(table, sealer)
  const encoded = table.batches.map((b) => sealer.encodeBatch(b))
  const sizes = encoded.map((e) => sealer.frames.size(e))
  let total = sealer.header.length + sealer.frames.endSize()
  for (const n of sizes) total += n
  const out = new Uint8Array(total)
  out.set(sealer.header)
  let off = sealer.header.length
  for (const [i, e] of encoded.entries()) {
    const size = sizes[i]!
    await sealer.guard(sealer.frames.seal(e, out.subarray(off, off + size)))
    off += size
  }
  await sealer.finish(out.subarray(off))
  return out
}

/**
 * With `minBatchRows`: merges and seals one batch at a time, as `SealStream` does, then joins the frames. Merging
 * writes new column buffers; made one batch at a time they are recycled by the allocator, where merging the
 * whole table first would fault in a second copy of it (which on the benchmark VM cost more than merging saved).
 */
async function sealMerged(table: Table, sealer: Sealer): Promise<Uint8Array<ArrayBuffer>> {
  const parts = [sealer.header]
  for (const batch of table.batches) for (const ready of sealer.gather(batch)) parts.push(await sealer.sealBatch(ready))
  for (const ready of sealer.drain()) parts.push(await sealer.sealBatch(ready))
  parts.push(await sealer.finish())
  return concatAll(parts)
}

/**
 * Verifies and opens a sealed stream held in memory; nothing is returned unless all of it verifies.
 *
 * @example
 * ```ts
 * const table = await openWhole(sealed, options, webRuntime)
 * ```
 * @internal
 */
export async function openWhole(
  bytes: Uint8Array,
  options: OpenOptions,
  runtime: Runtime = webRuntime,
): Promise<Table> {
  return (await openWholeWithInfo(bytes, options, runtime)).table
}

/**
 * A verified table and what the reader verified about its origin (see `openTableWithInfo`).
 *
 * @example
 * ```ts
 * const { table, signer, session, streamId } = await openTableWithInfo(sealed, options)
 * console.log(signer.keyId, session?.notAfter, streamId)
 * ```
 */
export interface OpenedTable {
  /** The fields this identity may read, as `openTable` returns them. */
  readonly table: Table
  /** Which of `trustedSigners` signed the stream: for a rewrapped stream, the original writer. */
  readonly signer: PublicKey
  /** Who rewrapped the stream (`rewrap`), in order, each one of `trustedSigners`; empty if it never was. */
  readonly rewrappers: readonly PublicKey[]
  /** The writer session that signed the header on the signer's behalf (suite 2), or null (a hybrid signature). */
  readonly session: SessionCredential | null
  /** The stream's id, 32 lower-case hex digits, as `inspect` shows it and `expectedStreamId` accepts it. */
  readonly streamId: string
  /** How the keys came from a key-access gateway (`keyAccess` option), or null for a direct recipient. */
  readonly keyAccess: KeyAccessInfo | null
}

/**
 * {@link openWhole}, also returning who signed.
 *
 * @example
 * ```ts
 * const { table, signer } = await openWholeWithInfo(sealed, options, webRuntime)
 * ```
 * @internal
 */
export async function openWholeWithInfo(
  bytes: Uint8Array,
  options: OpenOptions,
  runtime: Runtime = webRuntime,
): Promise<OpenedTable> {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('openTable: the first argument must be a Uint8Array')
  // The table holds every batch at once, so by default the stream's inflated total is bounded too.
  const { maxFrameBytes } = checkOpenOptions(options, DEFAULT_MAX_INFLATED_TABLE_BYTES)
  const splitter = new FrameSplitter(maxFrameBytes)
  let opener: Opener | undefined
  const batches: RecordBatch[] = []
  for (const piece of splitter.push(bytes)) {
    if (piece.type === 'header') {
      opener = await Opener.create(piece.bytes, options, runtime, undefined, DEFAULT_MAX_INFLATED_TABLE_BYTES)
      continue
    }
    if (!opener) throw new FormatError('FORMAT_INVALID', 'frame before header')
    const result = await opener.openFrame(piece.bytes)
    if (result.type === 'end') splitter.markEnded()
    else batches.push(result.batch)
  }
  splitter.close()
  const { schema, signer, rewrappers, session, header, keyAccess } = opener!
  const streamId = bytesToHex(header.streamId)
  return { table: new Table(schema, batches), signer, rewrappers, session, streamId, keyAccess }
}
