/**
 * What `revealSchema` may publish: the names and types of sealed fields, never metadata the policy restricts.
 *
 * A revealed group's schema blob is plaintext in the header, and Arrow carries field metadata (of top-level and
 * nested fields) and the schema-level metadata inside that blob. Publishing it would hand anyone holding the bytes
 * what the policy confined to some roles (issue 19). v1 has no place to seal metadata apart from names and types,
 * so the writer refuses the combination rather than publish it; docs/format.md, "Decisions the brief left open".
 *
 * @module
 */

import type { Field, Schema } from 'apache-arrow'
import { PolicyError } from '../errors.js'

function carriesMetadata(field: Field): boolean {
  return field.metadata.size > 0 || (field.type.children ?? []).some(carriesMetadata)
}

/**
 * Throws unless a sealed group's schema can be published as plaintext: no schema-level metadata, and no field
 * metadata on any of its fields or their nested children. Errors name positions only, never metadata.
 *
 * @param schema - the sealed group's schema (its layout's), as it would be revealed.
 * @param group - the group id, for the message.
 * @param tokenColumns - per field, whether it is a token column the writer made (its metadata is the writer's own).
 * @throws PolicyError `POLICY_INVALID` when the schema carries metadata.
 *
 * @example
 * ```ts
 * if (options.revealSchema) for (const [g, layout] of sealedLayouts) checkRevealable(layout.schema, g)
 * ```
 */
export function checkRevealable(schema: Schema, group: number, tokenColumns?: readonly boolean[]): void {
  if (schema.metadata.size > 0) {
    throw new PolicyError(
      'POLICY_INVALID',
      'revealSchema would publish schema metadata that the policy restricts to some roles: make it public ' +
        '(schemaMetadata: "public"), drop it, or seal without revealSchema',
    )
  }
  const at = schema.fields.findIndex((f, i) => tokenColumns?.[i] !== true && carriesMetadata(f))
  if (at >= 0) {
    throw new PolicyError(
      'POLICY_INVALID',
      `revealSchema would publish the field metadata of field ${at} of sealed group ${group}: make the field ` +
        'public, remove its metadata, or seal without revealSchema',
    )
  }
}
