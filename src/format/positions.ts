/**
 * Field positions across access groups: each top-level field of the writer's schema belongs to exactly one
 * group, so no two groups may claim one position. Otherwise a writer could equivocate, showing readers of
 * different groups different values for "the same" field, and only a reader of both would notice.
 * @module
 */
import { FormatError } from '../errors.js'

/**
 * The positions listed at the start of a plaintext group schema blob (`u32 count ‖ u32 positions[count]`,
 * format.md §Header), or null when the blob is too short to hold them: decoding the blob reports that later,
 * with the schema's own error.
 */
export function blobPositions(blob: Uint8Array): Uint32Array | null {
  if (blob.length < 4) return null
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength)
  const count = view.getUint32(0)
  // Bounded by the blob itself (≤ 4 MiB), so a hostile count cannot make this allocate more than the header holds.
  if (count > (blob.length - 4) / 4) return null
  const out = new Uint32Array(count)
  for (let k = 0; k < count; k++) out[k] = view.getUint32(4 + 4 * k)
  return out
}

/**
 * Refuses two groups that claim one field position (`FORMAT_INVALID`). `lists` holds each group's positions,
 * by group id; groups whose positions this party cannot see are simply absent.
 *
 * @example
 * ```ts
 * assertDisjointPositions([[0, 2], [1]]) // fine
 * assertDisjointPositions([[0, 2], [2]]) // throws FormatError FORMAT_INVALID
 * ```
 */
export function assertDisjointPositions(
  lists: Iterable<{ readonly id: number; readonly positions: ArrayLike<number> }>,
): void {
  const owner = new Map<number, number>()
  for (const { id, positions } of lists) {
    for (let k = 0; k < positions.length; k++) {
      const p = positions[k]!
      const prev = owner.get(p)
      if (prev !== undefined && prev !== id)
        throw new FormatError('FORMAT_INVALID', `groups ${prev} and ${id} both claim field position ${p}`)
      owner.set(p, id)
    }
  }
}
