/**
 * Reassembles the groups a reader could open into one schema / record batch in original field order.
 *
 * @module
 */

import { Data, DataType, Field, type RecordBatch, Schema, type Vector } from 'apache-arrow'
import { ArrowSealError } from '../errors.js'
import { recordBatchOf } from './batch.js'
import { typesEqual } from './equality.js'
import type { GroupLayout } from './layout.js'
import { MAX_NULL_COLUMN_BYTES, nullBytes, nullData } from './nulls.js'

interface Slot {
  position: number
  field: Field
  data?: Data
}

function collect(layouts: readonly GroupLayout[], denied: readonly GroupLayout[]): Slot[] {
  const slots: Slot[] = []
  for (const layout of layouts) {
    layout.positions.forEach((position, k) => {
      slots.push({ position, field: layout.schema.fields[k]! })
    })
  }
  for (const layout of denied) {
    layout.positions.forEach((position, k) => {
      const field = layout.schema.fields[k]!
      // A denied column is all nulls, so it must be declared nullable whatever the writer declared.
      slots.push({ position, field: new Field(field.name, field.type, true, field.metadata) })
    })
  }
  slots.sort((a, b) => a.position - b.position)
  for (let i = 1; i < slots.length; i++) {
    if (slots[i]!.position === slots[i - 1]!.position) {
      throw new ArrowSealError('ARROW_INVALID', `field position ${slots[i]!.position} appears in two groups`)
    }
  }
  return slots
}

function mergedMetadata(layouts: readonly GroupLayout[]): Map<string, string> {
  const out = new Map<string, string>()
  for (const { schema } of layouts) {
    for (const [k, v] of schema.metadata) {
      const prev = out.get(k)
      if (prev !== undefined && prev !== v) throw new ArrowSealError('ARROW_INVALID', 'conflicting schema metadata')
      out.set(k, v)
    }
  }
  return out
}

/**
 * Dictionary id → value type, for the merged schema. A dictionary shared by fields in different groups is decoded
 * once per group, giving distinct (equal) type objects with one id; arrow-js's `new Schema(fields)` rejects that by
 * identity, so we build the map ourselves and require the types to be equal instead.
 */
function dictionaryMap(
  fields: readonly Field[],
  out = new Map<number, DataType>(),
  types = new Map<number, DataType>(),
) {
  for (const { type } of fields) {
    if (DataType.isDictionary(type)) {
      const prev = types.get(type.id)
      if (!prev) {
        types.set(type.id, type)
        out.set(type.id, type.dictionary)
      } else if (!typesEqual(prev, type)) {
        throw new ArrowSealError('ARROW_INVALID', `dictionary ${type.id} has two different types`)
      }
    }
    if (type.children?.length) dictionaryMap(type.children, out, types)
  }
  return out
}

function schemaOf(fields: Field[], metadata: Map<string, string>): Schema {
  return new Schema(fields, metadata, dictionaryMap(fields))
}

/**
 * The schema a reader sees: every readable field in original order, schema metadata merged from `layouts`, and,
 * when `denied` is given (`includeDenied`), the denied fields too, as nullable fields.
 *
 * @throws ArrowSealError `ARROW_INVALID` when two groups claim one position or carry conflicting metadata.
 *
 * @example
 * ```ts
 * const schema = mergeSchemas([pub, pii])   // fields of both groups, in original order
 * const withHoles = mergeSchemas([pub], [pii]) // pii's fields present but nullable
 * ```
 */
export function mergeSchemas(layouts: readonly GroupLayout[], denied: readonly GroupLayout[] = []): Schema {
  const slots = collect(layouts, denied)
  return schemaOf(
    slots.map((s) => s.field),
    mergedMetadata(layouts),
  )
}

/** Dictionary content equality, by logical value; only runs when two groups decoded one shared dictionary. */
function vectorsEqual(a: Vector, b: Vector): boolean {
  if (a === b) return true
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) {
    if (!sameValue(a.get(i), b.get(i))) return false
  }
  return true
}

function sameValue(x: unknown, y: unknown): boolean {
  if (Object.is(x, y) || x === y) return true
  if (x === null || y === null || typeof x !== 'object' || typeof y !== 'object') return false
  if (ArrayBuffer.isView(x) && ArrayBuffer.isView(y)) {
    const a = new Uint8Array(x.buffer, x.byteOffset, x.byteLength)
    const b = new Uint8Array(y.buffer, y.byteOffset, y.byteLength)
    return a.length === b.length && a.every((v, i) => v === b[i])
  }
  const ex = [...(x as Iterable<unknown>)]
  const ey = [...(y as Iterable<unknown>)]
  return ex.length === ey.length && ex.every((v, i) => sameValue(v, ey[i]))
}

/**
 * Makes every dictionary id refer to one Vector across the merged batch. A dictionary shared by two fields in
 * different groups is decoded once per group; arrow-js refuses a batch whose one id maps to two Vectors
 * ("two different dictionaries with the same Id"), e.g. when the reader re-serialises it.
 */
function unifyDictionaries(data: Data, seen: Map<number, Vector>, adopt: boolean): Data {
  let children = data.children ?? []
  let changed = false
  const next = children.map((c) => unifyDictionaries(c, seen, adopt))
  if (next.some((c, i) => c !== children[i])) {
    children = next
    changed = true
  }
  let dictionary = data.dictionary
  if (DataType.isDictionary(data.type) && dictionary) {
    const prev = seen.get(data.type.id)
    if (!prev) seen.set(data.type.id, dictionary)
    else if (prev !== dictionary) {
      // An all-null stand-in column may take any dictionary with its id; a decoded one must match.
      if (!adopt && !vectorsEqual(prev, dictionary)) {
        throw new ArrowSealError('ARROW_INVALID', `dictionary ${data.type.id} differs between groups`)
      }
      dictionary = prev
      changed = true
    }
  }
  if (!changed) return data
  const buffers = [data.valueOffsets, data.values, data.nullBitmap, data.typeIds] as never
  return new Data(data.type, data.offset, data.length, data.nullCount, buffers, children, dictionary)
}

/**
 * Reassembles the decoded groups of one stream, frame after frame. Everything that depends only on the layouts —
 * field order, the position check, the merged schema and its dictionary types — is worked out once, here; per
 * frame only the columns are placed and their dictionaries unified.
 *
 * @throws ArrowSealError `ARROW_INVALID` (constructor) when two groups claim one position or carry conflicting
 *   metadata.
 * @example
 * ```ts
 * const merger = new BatchMerger([pub, pii])
 * const batch = merger.merge([pubBatch, piiBatch], 1024) // batch.schema === merger.schema
 * ```
 */
export class BatchMerger {
  /** The merged schema: every readable field in original order, denied ones (if any) as nullable fields. */
  readonly schema: Schema
  readonly #layouts: readonly GroupLayout[]
  readonly #slots: readonly Slot[]
  /** For each slot, the [part, column] it takes its data from; undefined for a denied field. */
  readonly #sources: readonly (readonly [number, number] | undefined)[]

  constructor(layouts: readonly GroupLayout[], denied: readonly GroupLayout[] = []) {
    this.#layouts = [...layouts]
    this.#slots = collect(layouts, denied)
    const at = new Map<number, [number, number]>()
    layouts.forEach((layout, part) => {
      layout.positions.forEach((p, k) => {
        at.set(p, [part, k])
      })
    })
    this.#sources = this.#slots.map((s) => at.get(s.position))
    this.schema = schemaOf(
      this.#slots.map((s) => s.field),
      mergedMetadata(layouts),
    )
  }

  /**
   * One record batch from the groups' batches of one frame, given in the order of the constructor's `layouts`.
   * Columns are reused, not copied; denied fields become all-null columns of their type.
   *
   * @param rows - the frame's row count; every part must have exactly this many rows.
   * @throws ArrowSealError `ARROW_INVALID` when a part's row or column count differs from its layout or the frame,
   *   or one shared dictionary decoded differently in two groups.
   * @example
   * ```ts
   * const batch = merger.merge([pubBatch, piiBatch], 1024)
   * ```
   */
  merge(batches: readonly RecordBatch[], rows: number): RecordBatch {
    const layouts = this.#layouts
    if (batches.length !== layouts.length) {
      throw new ArrowSealError('ARROW_INVALID', 'group batch count differs from the layouts')
    }
    for (let part = 0; part < batches.length; part++) {
      const batch = batches[part]!
      if (batch.numRows !== rows || batch.numCols !== layouts[part]!.positions.length) {
        throw new ArrowSealError('ARROW_INVALID', 'group batch does not match its layout or the frame row count')
      }
    }
    return this.mergeColumns(
      batches.map((b) => b.data.children),
      rows,
    )
  }

  /**
   * Like {@link BatchMerger.merge}, from each group's columns (`columns[i]` for `layouts[i]`, in its field order).
   *
   * @throws ArrowSealError `ARROW_INVALID` when a group's column count differs from its layout, a column's length
   *   differs from `rows`, or one shared dictionary decoded differently in two groups.
   * @example
   * ```ts
   * const batch = merger.mergeColumns([[idData], [emailData]], 1024)
   * ```
   * @internal
   */
  mergeColumns(columns: readonly (readonly Data[])[], rows: number): RecordBatch {
    const layouts = this.#layouts
    if (columns.length !== layouts.length || columns.some((c, i) => c.length !== layouts[i]!.positions.length)) {
      throw new ArrowSealError('ARROW_INVALID', 'group columns do not match their layouts')
    }
    const seen = new Map<number, Vector>()
    const slots = this.#slots
    const children: (Data | undefined)[] = this.#sources.map((source) =>
      source ? unifyDictionaries(columns[source[0]]![source[1]]!, seen, false) : undefined,
    )
    // The all-null stand-ins are sized by `rows` alone: bound them before allocating (nulls.ts).
    let bytes = 0
    for (let i = 0; i < slots.length; i++) if (!children[i]) bytes += nullBytes(slots[i]!.field.type, rows)
    if (bytes > MAX_NULL_COLUMN_BYTES) {
      throw new ArrowSealError(
        'LIMIT_EXCEEDED',
        `includeDenied: null columns of ${rows} rows would take ${bytes} bytes, over ${MAX_NULL_COLUMN_BYTES}`,
      )
    }
    // Denied columns last, so they adopt a readable field's dictionary when they share its id.
    for (let i = 0; i < slots.length; i++) {
      if (!children[i]) children[i] = unifyDictionaries(nullData(slots[i]!.field.type, rows), seen, true)
    }
    // recordBatchOf checks that every column has exactly `rows` rows.
    return recordBatchOf(this.schema, children as Data[], rows)
  }
}

/**
 * Reassembles decoded groups into one record batch in original field order. Columns are reused, not copied;
 * `denied` fields (for `includeDenied`) become all-null columns of their type. A stream's frames are better merged
 * with one {@link BatchMerger}, which works out the schema once.
 *
 * @param rows - the frame's row count; every part must have exactly this many rows.
 * @throws ArrowSealError `ARROW_INVALID` when a part's row count differs, two groups claim one position, or one
 *   shared dictionary decoded differently in two groups.
 *
 * @example
 * ```ts
 * const batch = mergeBatches([{ layout: pub, batch: pubBatch }, { layout: pii, batch: piiBatch }], 1024)
 * ```
 */
export function mergeBatches(
  parts: readonly { layout: GroupLayout; batch: RecordBatch }[],
  rows: number,
  denied: readonly GroupLayout[] = [],
): RecordBatch {
  return new BatchMerger(
    parts.map((p) => p.layout),
    denied,
  ).merge(
    parts.map((p) => p.batch),
    rows,
  )
}
