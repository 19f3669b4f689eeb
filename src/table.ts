/**
 * Whole-table sealing and opening: the simplest way to use arrowseal when the data fits in memory.
 * @module
 */

import type { Table } from 'apache-arrow'
import type { OpenOptions, SealOptions } from './seal/options.js'
import { type OpenedTable, openWhole, openWholeWithInfo, sealWhole } from './seal/whole.js'
import { type SealedInput, type TableInput, toBytes, toTable } from './table-input.js'

export type { OpenedTable }

/**
 * Seals a table for the recipients its policy names. Each record batch becomes one authenticated frame; an
 * empty table gives a valid stream with no batches. `table` may also be record batches from an iterable or
 * async iterable (`sealTable(table.batches, options)`), at least one, all of one schema.
 *
 * @throws PolicyError when a field is not covered, a rule names an unknown field or role; KeyError for a bad
 *   recipient key.
 * @example
 * ```ts
 * import { tableFromArrays } from 'apache-arrow'
 * import { generateIdentity, sealTable } from 'arrowseal'
 * const writer = await generateIdentity()
 * const alice = await generateIdentity()
 * const table = tableFromArrays({ id: Int32Array.from([1, 2]), amount: Float64Array.from([9.5, 3]) })
 * const sealed = await sealTable(table, {
 *   signer: writer,
 *   recipients: { analysts: [alice.publicKey] },
 *   policy: { fields: { id: 'public', amount: ['analysts'] } },
 * })
 * ```
 */
export async function sealTable(table: TableInput, options: SealOptions): Promise<Uint8Array<ArrayBuffer>> {
  return sealWhole(await toTable(table), options)
}

/**
 * Verifies and opens a sealed stream held in memory: a `Uint8Array`, or a `Response`, `ReadableStream<Uint8Array>`
 * or `AsyncIterable<Uint8Array>` read to its end first (`await openTable(await fetch(url), options)`). Returns exactly the fields this identity may read (public
 * ones and those of its roles), in the original schema order, with their metadata. Nothing is returned unless
 * the whole stream verifies, including its end.
 *
 * @throws AuthError (`SIGNER_UNTRUSTED`, `SIGNATURE_INVALID`, `NOT_A_RECIPIENT`, `AUTH_FAILED`), FormatError
 *   (`TRUNCATED`, `TRAILING_DATA`, `FRAME_OUT_OF_ORDER`, `FORMAT_INVALID`, `LIMIT_EXCEEDED`, …).
 * @example
 * ```ts
 * import { tableFromArrays } from 'apache-arrow'
 * import { generateIdentity, sealTable, openTable } from 'arrowseal'
 * const writer = await generateIdentity()
 * const alice = await generateIdentity()
 * const table = tableFromArrays({ id: Int32Array.from([1, 2]), email: ['a@x.org', 'b@y.org'] })
 * const sealed = await sealTable(table, {
 *   signer: writer,
 *   recipients: { support: [alice.publicKey] },
 *   policy: { fields: { id: 'public', email: ['support'] } },
 * })
 * const visible = await openTable(sealed, { identity: alice, trustedSigners: [writer.publicKey] })
 * console.log(visible.schema.fields.map((f) => f.name)) // ['id', 'email']
 * ```
 */
export async function openTable(bytes: SealedInput, options: OpenOptions): Promise<Table> {
  return openWhole(await toBytes(bytes), options)
}

/**
 * {@link openTable}, also returning what the reader verified about the stream's origin: which trusted signer
 * signed it, the writer session it used (if any) and the stream id. A reader that trusts several writers uses
 * it to tell them apart; `OpenStream` reports the same through its `signer`, `session` and `streamId` promises.
 * The table is exactly what `openTable` returns, under the same checks.
 *
 * @example
 * ```ts
 * import { tableFromArrays } from 'apache-arrow'
 * import { generateIdentity, sealTable, openTableWithInfo } from 'arrowseal'
 * const writer = await generateIdentity()
 * const alice = await generateIdentity()
 * const sealed = await sealTable(tableFromArrays({ id: Int32Array.from([1, 2]) }), {
 *   signer: writer, recipients: { r: [alice.publicKey] }, policy: { fields: { id: ['r'] } },
 * })
 * const { table, signer, session } = await openTableWithInfo(sealed, { identity: alice, trustedSigners: [writer.publicKey] })
 * console.log(table.numRows, signer.keyId === writer.publicKeyObject.keyId, session) // 2 true null
 * ```
 */
export async function openTableWithInfo(bytes: SealedInput, options: OpenOptions): Promise<OpenedTable> {
  return openWholeWithInfo(await toBytes(bytes), options)
}
