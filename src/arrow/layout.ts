/**
 * Access-group layouts: which top-level fields of a schema travel in which sealed group.
 *
 * Everything works by field *index*, never by name, because Arrow allows duplicate field names and a policy
 * must not be able to confuse two fields called `id`. A struct field is one top-level field and is sealed whole.
 *
 * @module
 */

import { Schema } from 'apache-arrow'

/**
 * The fields carried by one access group.
 *
 * @example
 * ```ts
 * const layout: GroupLayout = { positions: [0, 3], schema: new Schema([schema.fields[0]!, schema.fields[3]!]) }
 * ```
 */
export interface GroupLayout {
  /** Original top-level field index of each field in this group, strictly ascending. */
  readonly positions: readonly number[]
  /** Those fields (with their field metadata), plus the schema-level metadata iff this group carries it. */
  readonly schema: Schema
}

function checkGroupIndex(value: number | null, groupCount: number, what: string): void {
  if (value === null) return
  if (!Number.isInteger(value) || value < 0 || value >= groupCount) {
    throw new RangeError(`${what} must be null or an integer in [0, ${groupCount}), got ${String(value)}`)
  }
}

/**
 * Splits a schema into `groupCount` group layouts.
 *
 * @param schema - the full schema being sealed.
 * @param groupOf - `groupOf[i]` is the group of top-level field `i`, or `null` to drop the field.
 * @param groupCount - number of groups; a group may end up with zero fields (it may carry only schema metadata).
 * @param metadataGroup - the group that carries `schema.metadata`, or `null` to drop schema metadata.
 * @throws RangeError when `groupOf` does not have one entry per field or an index is out of range.
 *
 * @example
 * ```ts
 * import { Schema, Field, Int64, Utf8 } from 'apache-arrow'
 * const schema = new Schema([new Field('id', new Int64()), new Field('email', new Utf8())])
 * const [pub, pii] = planGroups(schema, [0, 1], 2, 0)
 * console.log(pub!.positions, pii!.positions) // [0] [1]
 * ```
 */
export function planGroups(
  schema: Schema,
  groupOf: readonly (number | null)[],
  groupCount: number,
  metadataGroup: number | null,
): GroupLayout[] {
  if (!Number.isInteger(groupCount) || groupCount < 0) throw new RangeError('groupCount must be a non-negative integer')
  if (groupOf.length !== schema.fields.length) {
    throw new RangeError(`groupOf has ${groupOf.length} entries but the schema has ${schema.fields.length} fields`)
  }
  checkGroupIndex(metadataGroup, groupCount, 'metadataGroup')
  const positions: number[][] = Array.from({ length: groupCount }, () => [])
  groupOf.forEach((g, i) => {
    checkGroupIndex(g, groupCount, `groupOf[${i}]`)
    if (g !== null) positions[g]!.push(i)
  })
  return positions.map((pos, g) => ({
    positions: pos,
    schema: new Schema(
      pos.map((i) => schema.fields[i]!),
      g === metadataGroup ? new Map(schema.metadata) : new Map(),
    ),
  }))
}
