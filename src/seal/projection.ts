/**
 * Column projection on open (`OpenOptions.columns`): which access groups a reader must decrypt and decode to
 * return the columns it asked for, and how to cut the merged batch down to them. Groups with none of the asked
 * columns are left out of the frame opener, so their units are never decrypted, inflated or decoded (each
 * frame's MAC still covers every byte, so skipping them weakens no check).
 * @module
 */
import { makeData, RecordBatch, Schema, Struct } from 'apache-arrow'
import type { GroupLayout } from '../arrow/layout.js'
import { ArrowSealError } from '../errors.js'

/** Largest `columns` list: a stream has at most 65,536 top-level fields (docs/format.md § Limits). */
const MAX_COLUMNS = 65_536

/** Checks `options.columns`: caller misuse is a TypeError, as for the other open options. */
export function checkColumns(columns: unknown): readonly string[] | null {
  if (columns === undefined) return null
  if (!Array.isArray(columns) || columns.length === 0 || columns.length > MAX_COLUMNS)
    throw new TypeError(`options.columns must be a non-empty array of at most ${MAX_COLUMNS} field names`)
  for (const c of columns)
    if (typeof c !== 'string' || c === '') throw new TypeError('options.columns must hold non-empty strings')
  if (new Set(columns).size !== columns.length) throw new TypeError('options.columns names a column twice')
  return columns as readonly string[]
}

/** What the opener keeps: the groups to read, and the cut from their merged batch to the asked columns. */
export interface Projection {
  /** Ids of the groups (readable or denied stand-ins) that hold at least one asked column. */
  readonly groupIds: ReadonlySet<number>
  /** The reader's schema: the kept groups' merged schema cut to the asked columns, in the asked order. */
  selectSchema(merged: Schema): Schema
  /** Cuts a batch merged from the kept groups down to the asked columns, in the asked order. */
  select(batch: RecordBatch): RecordBatch
}

/**
 * Plans a projection over what this reader can see. A name matches the first field of that name in the
 * writer's order (names may repeat; see docs/format.md § Decisions). A name the reader cannot see is refused
 * without saying whether the field exists: under a hidden schema the reader cannot know, and must not guess.
 */
export function planProjection(
  columns: readonly string[],
  groups: readonly { readonly id: number; readonly layout: GroupLayout }[],
): Projection {
  // Every visible field by original position, with the group that holds it.
  const byName = new Map<string, { position: number; group: number }>()
  for (const g of groups) {
    g.layout.schema.fields.forEach((f, index) => {
      const position = g.layout.positions[index]!
      const seen = byName.get(f.name)
      if (!seen || position < seen.position) byName.set(f.name, { position, group: g.id })
    })
  }
  const picked = columns.map((name) => {
    const hit = byName.get(name)
    if (!hit)
      throw new ArrowSealError(
        'COLUMN_NOT_READABLE',
        `column "${name}" is not among the columns this identity can read`,
      )
    return hit
  })
  const groupIds = new Set(picked.map((p) => p.group))
  // The merged batch of the kept groups holds their fields in original position order.
  const keptPositions = groups
    .filter((g) => groupIds.has(g.id))
    .flatMap((g) => g.layout.positions)
    .sort((a, b) => a - b)
  const at = picked.map((p) => keptPositions.indexOf(p.position))
  const selectSchema = (merged: Schema) =>
    new Schema(
      at.map((i) => merged.fields[i]!),
      merged.metadata,
    )
  // One schema object for every batch, as the decoder gives: tables built from the batches compare schemas.
  let cached: { merged: Schema; out: Schema } | undefined
  return {
    groupIds,
    selectSchema,
    select(batch) {
      if (cached?.merged !== batch.schema) cached = { merged: batch.schema, out: selectSchema(batch.schema) }
      const out = cached.out
      const children = at.map((i) => batch.data.children[i]!)
      const data = makeData({ type: new Struct(out.fields), length: batch.numRows, nullCount: 0, children })
      return new RecordBatch(out, data)
    },
  }
}
