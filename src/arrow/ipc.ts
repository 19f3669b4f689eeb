/**
 * One access group's columns of one record batch ↔ a self-contained Arrow IPC stream.
 *
 * A unit is `schema message, dictionary batches…, exactly one record batch, EOS`. Reusing arrow-js's own writer,
 * message decoder and body loader keeps every type's buffer layout correct; we add what a security boundary needs
 * on top: strict framing ({@link scanStream}), metadata bounds ({@link verifyMessageMetadata}), an exact schema
 * match, the row count, and structural validation of the decoded buffers ({@link validateData}).
 *
 * @module
 */

import {
  type Data,
  DataType,
  type Field,
  Message,
  type MetadataVersion,
  type RecordBatch,
  type Schema,
  Vector,
} from 'apache-arrow'
import type { RecordBatch as RecordBatchHeader } from 'apache-arrow/ipc/metadata/message'
// arrow-js's own loader of a message body into Data, the one its RecordBatchReader uses (not re-exported from the
// package root, but a typed module of the package, reached through its "./*" export). Driving it directly lets a
// unit skip the reader's byte-stream machinery and, per group, the re-parse of a schema message already verified
// (see GroupDecoder); for 1,024-row batches that machinery cost more than the data. It is the same module file the
// package root loads, so its Data and Vector are the package's own classes.
import { VectorLoader } from 'apache-arrow/visitor/vectorloader'
import { ArrowSealError, asArrowSealError, FormatError } from '../errors.js'
import { recordBatchOf } from './batch.js'
import { schemasEqual, typesEqual } from './equality.js'
import { encodeGroupParts, joinParts } from './ipc-parts.js'
import type { GroupLayout } from './layout.js'
import { aligned, type KnownMetadata, type ScannedMessage, scanStream } from './scan.js'
import { validateData } from './validate.js'
import { HEADER_DICTIONARY_BATCH, HEADER_RECORD_BATCH, HEADER_SCHEMA } from './verify-metadata.js'

/**
 * Serialises the columns of `batch` selected by `layout` as one contiguous Arrow IPC stream (schema, the
 * dictionaries those columns use, one record batch, EOS): {@link encodeGroupParts}, joined. The sealer uses the
 * parts directly; this form is for tests and tools that want the unit's bytes.
 *
 * @throws ArrowSealError `ARROW_INVALID` when a column at `layout.positions` is missing or its type differs from
 *   `layout.schema` (a batch whose schema drifted from the sealed one), or arrow-js cannot serialise it.
 *
 * @example
 * ```ts
 * const [pub, pii] = planGroups(batch.schema, [0, 1], 2, 0)
 * const unit = encodeGroupBatch(batch, pii!) // Uint8Array, ready for the format layer to encrypt
 * ```
 */
export function encodeGroupBatch(batch: RecordBatch, layout: GroupLayout): Uint8Array {
  return joinParts(encodeGroupParts(batch, layout))
}

/** Field nodes one top-level field occupies in a record batch (depth-first; a dictionary column is one node). */
function nodeCount(type: DataType): number {
  if (DataType.isDictionary(type)) return 1
  let n = 1
  for (const child of type.children ?? []) n += nodeCount(child.type)
  return n
}

/**
 * Checks the message sequence (schema, dictionary batches, one record batch; EOS already checked by the scan),
 * that the record batch and each top-level column declare exactly `rows` rows, and that no array length exceeds
 * what its body can hold — all before arrow-js allocates anything from those lengths.
 */
function checkShape(messages: readonly ScannedMessage[], layout: GroupLayout, rows: number): void {
  const last = messages.length - 1
  if (last < 1 || messages[0]!.tag !== HEADER_SCHEMA || messages[last]!.tag !== HEADER_RECORD_BATCH) {
    throw new ArrowSealError('ARROW_INVALID', 'group unit must hold a schema and exactly one record batch')
  }
  // A schema message has no body (spec); a reader that skipped one would disagree with one that did not.
  if (messages[0]!.bodyLength !== 0) throw new ArrowSealError('ARROW_INVALID', 'schema message with a body')
  for (let m = 1; m <= last; m++) {
    const msg = messages[m]!
    if (m < last && msg.tag !== HEADER_DICTIONARY_BATCH) {
      throw new ArrowSealError('ARROW_INVALID', 'group unit must hold exactly one record batch')
    }
    // Every value of every non-null type takes at least one bit of body, so no honest length exceeds 8 × body
    // bytes (top-level columns may, for the Null type: they are bound to `rows` below). Without this bound a
    // flipped bit in a dictionary length makes arrow-js memoise a 2^31-slot array.
    const bound = Math.max(m === last ? rows : 0, msg.bodyLength * 8)
    if (msg.length > bound || msg.nodes.some((v, i) => i % 2 === 0 && v > bound)) {
      throw new ArrowSealError('ARROW_INVALID', 'array length exceeds what the message body can hold')
    }
  }
  const { length, nodes } = messages[last]!
  if (length !== rows) throw new ArrowSealError('ARROW_INVALID', 'group row count differs from the frame')
  let k = 0
  for (const field of layout.schema.fields) {
    if (nodes[2 * k] !== rows) throw new ArrowSealError('ARROW_INVALID', 'column length differs from the row count')
    k += nodeCount(field.type)
  }
  if (2 * k !== nodes.length) throw new ArrowSealError('ARROW_INVALID', 'field node count differs from the schema')
  for (let i = 0; i < nodes.length; i += 2) {
    if (nodes[i + 1]! > nodes[i]!) throw new ArrowSealError('ARROW_INVALID', 'null count exceeds length')
  }
}

/** A group's schema message once fully checked: its metadata (and verification result) and its decoding. */
interface VerifiedSchema {
  readonly known: KnownMetadata
  readonly schema: Schema
  /** `schema`'s top-level field types, each proven equal to `layout.schema`'s by {@link schemasEqual}. */
  readonly types: readonly DataType[]
}

function metadataOf(bytes: Uint8Array, msg: ScannedMessage): Uint8Array {
  return bytes.subarray(msg.metadataStart, msg.metadataStart + msg.metadataLength)
}

function bodyOf(bytes: Uint8Array, msg: ScannedMessage): Uint8Array {
  return bytes.subarray(msg.bodyStart, msg.bodyStart + msg.bodyLength)
}

/** Decodes a schema message and requires it to equal the header's schema for this group exactly. */
function decodeSchemaMessage(meta: Uint8Array, layout: GroupLayout): Schema {
  const message = Message.decode(meta)
  if (!message.isSchema()) throw new ArrowSealError('ARROW_INVALID', 'group unit must start with a schema')
  const schema = message.header()
  if (!schemasEqual(schema, layout.schema)) {
    throw new ArrowSealError('ARROW_INVALID', 'group schema differs from the sealed header')
  }
  return schema
}

/**
 * Decodes the group units of one access group, one after another, for one stream.
 *
 * Each unit is checked in full — framing and metadata bounds ({@link scanStream}), shape against `rows` and the
 * layout, an exact schema match, exactly one record batch, the decoded columns' types, and
 * {@link validateData} — with one saving: after a unit has passed every check, its schema message metadata is
 * kept, and a later unit whose schema message metadata is byte-identical reuses that verification and decoding
 * instead of walking, parsing and comparing the same bytes again. arrow-js derives everything it needs from a
 * schema message (fields, dictionary types, metadata version) from those bytes alone, so identical bytes cannot
 * decode differently. A unit with any other schema message takes the full path, and must equal the header's schema.
 *
 * Keep one decoder per group per stream (an `Opener` does); the cache is never shared beyond it.
 *
 * @example
 * ```ts
 * const decoder = new GroupDecoder(layout)
 * for (const { unit, rows } of units) use(decoder.decode(unit, rows)) // same checks as decodeGroupBatch
 * ```
 */
export class GroupDecoder {
  /** The group this decoder accepts units of. */
  readonly layout: GroupLayout
  readonly #deltas: DeltaBudget | undefined
  #verified: VerifiedSchema | undefined

  /** @param deltas - the stream's budget of dictionary deltas, shared by its groups' decoders (default: none). */
  constructor(layout: GroupLayout, deltas?: DeltaBudget) {
    this.layout = layout
    this.#deltas = deltas
  }

  /**
   * Decodes one unit exactly as {@link decodeGroupBatch} does.
   *
   * @param rows - the row count bound into the unit's AAD; the decoded batch must have exactly this many rows.
   * @throws ArrowSealError `ARROW_INVALID` on any malformed or mismatching unit (see {@link decodeGroupBatch}).
   * @example
   * ```ts
   * const batch = new GroupDecoder(layout).decode(unit, 1024)
   * ```
   */
  decode(bytes: Uint8Array, rows: number): RecordBatch {
    const columns = this.decodeColumns(bytes, rows)
    return recordBatchOf(this.layout.schema, columns, rows)
  }

  /**
   * Like {@link GroupDecoder.decode}, with every check, but returns the columns (one per `layout` field, each of
   * exactly `rows` rows and validated) instead of wrapping them in a batch, for a caller that merges them anyway.
   *
   * @example
   * ```ts
   * const [id, email] = new GroupDecoder(layout).decodeColumns(unit, 1024)
   * ```
   * @internal
   */
  decodeColumns(bytes: Uint8Array, rows: number): Data[] {
    if (!(bytes instanceof Uint8Array)) throw new TypeError('bytes must be a Uint8Array')
    if (!Number.isSafeInteger(rows) || rows < 0) throw new RangeError('rows must be a non-negative safe integer')
    // Units sit at arbitrary offsets inside frames; arrow-js's typed-array views need 8-byte alignment.
    bytes = aligned(bytes)
    const { layout } = this
    try {
      const cached = this.#verified
      const messages = scanStream(bytes, cached?.known)
      checkShape(messages, layout, rows)
      const schemaMeta = metadataOf(bytes, messages[0]!)
      // Byte-identical to the schema message of a unit that passed every check below (compared by scanStream).
      const reuse = cached !== undefined && messages[0]!.known
      const schema = reuse ? cached.schema : decodeSchemaMessage(schemaMeta, layout)
      const columns = loadUnit(bytes, messages, schema, layout, rows, reuse ? cached.types : undefined, this.#deltas)
      if (!reuse) {
        // Only now, with the whole unit checked, does this schema message become the one to compare against.
        // A copy: the unit's bytes are the caller's buffer and may be reused for the next frame.
        const { tag, length, nodes } = messages[0]!
        this.#verified = {
          known: { bytes: schemaMeta.slice(), message: { tag, length, nodes } },
          schema,
          types: schema.fields.map((f) => f.type),
        }
      }
      return columns
    } catch (err) {
      throw asArrowSealError(err, 'ARROW_INVALID', 'group unit is not a valid Arrow IPC stream')
    }
  }
}

/**
 * The dictionary batches a stream may still send that extend or replace a dictionary already in their unit
 * (the reader's `maxDictionaryDeltas`), shared by the decoders of one stream's groups.
 *
 * @example
 * ```ts
 * const budget = new DeltaBudget(10_000)
 * const decoders = layouts.map((l) => new GroupDecoder(l, budget))
 * ```
 */
export class DeltaBudget {
  #left: number
  constructor(limit: number) {
    this.#left = limit
  }
  /** Takes one delta, or throws `LIMIT_EXCEEDED` when none is left. */
  charge(): void {
    if (this.#left <= 0)
      throw new FormatError(
        'LIMIT_EXCEEDED',
        "the stream sends more dictionary deltas than this reader's maxDictionaryDeltas",
      )
    this.#left--
  }
}

/** Whether values of `type` hold a dictionary themselves (loading them needs the dictionaries so far). */
function hasDictionary(type: DataType): boolean {
  if (DataType.isDictionary(type)) return true
  return (type.children ?? []).some((c: Field) => DataType.isDictionary(c.type) || hasDictionary(c.type))
}

/** The columns of `types` from one message body, as arrow-js's reader loads them (uncompressed bodies only). */
function loadBody(
  body: Uint8Array,
  header: RecordBatchHeader,
  dictionaries: Map<number, Vector>,
  version: MetadataVersion,
  types: (Field | DataType)[],
): Data[] {
  const { nodes, buffers, variadicBufferCounts, compression } = header
  // verifyMessage refuses compressed bodies already; this loader would read one as raw buffers, so say it twice.
  if (compression) throw new ArrowSealError('ARROW_INVALID', 'compressed record batch bodies are not accepted')
  return new VectorLoader(body, nodes, buffers, dictionaries, version, variadicBufferCounts).visitMany(types)
}

/**
 * Loads the dictionaries and the record batch of a unit already checked by {@link checkShape}, the way arrow-js's
 * `RecordBatchReader` does (same loader, same dictionary and delta semantics), then checks the columns' types and
 * validates the decoded buffers. `verifiedTypes`, when given, are `schema`'s field types already proven equal to
 * the layout's, so a column carrying one of those very objects needs no deep comparison.
 */
function loadUnit(
  bytes: Uint8Array,
  messages: readonly ScannedMessage[],
  schema: Schema,
  layout: GroupLayout,
  rows: number,
  verifiedTypes: readonly DataType[] | undefined,
  deltas: DeltaBudget | undefined,
): Data[] {
  // Per unit, never shared: a unit must carry every dictionary it uses (a dictionary from an earlier unit of the
  // stream would otherwise fill in for a missing or delta one).
  const dictionaries = new Map<number, Vector>()
  // Each dictionary's chunks, made into one Vector only when something reads it: concatenating at every delta,
  // as arrow-js's reader does, costs the square of the number of deltas (issue 19's 11 KB, 13 s unit).
  const chunks = new Map<number, Data[]>()
  const materialise = () => {
    for (const [id, list] of chunks) dictionaries.set(id, new Vector(list).memoize())
    chunks.clear()
  }
  const version = schema.metadataVersion
  const last = messages.length - 1
  for (let m = 1; m < last; m++) {
    const msg = messages[m]!
    const message = Message.decode(metadataOf(bytes, msg))
    if (!message.isDictionaryBatch()) throw new ArrowSealError('ARROW_INVALID', 'expected a dictionary batch')
    const header = message.header()
    const type = schema.dictionaries.get(header.id)
    if (!type) throw new ArrowSealError('ARROW_INVALID', `dictionary batch for undeclared dictionary ${header.id}`)
    const seen = chunks.get(header.id) ?? (dictionaries.has(header.id) ? [] : undefined)
    // A second batch for one dictionary (delta or replacement) is charged before it is loaded.
    if (seen) deltas?.charge()
    if (hasDictionary(type)) materialise()
    const data = loadBody(bodyOf(bytes, msg), header.data, dictionaries, version, [type])
    if (header.isDelta && seen) {
      const list = chunks.get(header.id) ?? [...dictionaries.get(header.id)!.data]
      list.push(...data)
      chunks.set(header.id, list)
    } else {
      dictionaries.delete(header.id)
      chunks.set(header.id, data)
    }
  }
  materialise()
  const msg = messages[last]!
  const message = Message.decode(metadataOf(bytes, msg))
  if (!message.isRecordBatch()) throw new ArrowSealError('ARROW_INVALID', 'expected a record batch')
  const header = message.header()
  if (header.length !== rows) throw new ArrowSealError('ARROW_INVALID', 'group row count differs from the frame')
  const columns = loadBody(bodyOf(bytes, msg), header, dictionaries, version, schema.fields)
  const fields = layout.schema.fields
  if (columns.length !== fields.length) {
    throw new ArrowSealError('ARROW_INVALID', 'group columns differ from the sealed header')
  }
  for (let k = 0; k < columns.length; k++) {
    const column = columns[k]!
    if (column.type !== verifiedTypes?.[k] && !typesEqual(column.type, fields[k]!.type)) {
      throw new ArrowSealError('ARROW_INVALID', 'group columns differ from the sealed header')
    }
    if (column.length !== rows) throw new ArrowSealError('ARROW_INVALID', 'column length differs from the row count')
    // Depth 1: what validating the batch's struct (depth 0) would pass to each of its columns.
    validateData(column, 1)
  }
  return columns
}

/**
 * Decodes one group unit produced by {@link encodeGroupBatch} and checks it against what the header promised.
 * The result's schema is `layout.schema` itself. A stream's units are better decoded with one
 * {@link GroupDecoder} per group, which runs the same checks and skips re-parsing a repeated schema message.
 *
 * @param rows - the row count bound into the unit's AAD; the decoded batch must have exactly this many rows.
 * @throws ArrowSealError `ARROW_INVALID` on any malformed input, a schema differing from `layout.schema` in names,
 *   types (dictionary id, index and value types included), nullability or field/schema metadata, a row-count
 *   mismatch, or anything but exactly one record batch. Never another exception type.
 *
 * @example
 * ```ts
 * const batch = decodeGroupBatch(unit, layout, 1024)
 * console.log(batch.numRows) // 1024
 * ```
 */
export function decodeGroupBatch(bytes: Uint8Array, layout: GroupLayout, rows: number): RecordBatch {
  return new GroupDecoder(layout).decode(bytes, rows)
}
