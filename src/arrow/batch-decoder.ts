/**
 * The decode phase of one stream: each frame's group units → one record batch.
 *
 * @module
 */

import type { Data, RecordBatch, Schema } from 'apache-arrow'
import { DeltaBudget, GroupDecoder } from './ipc.js'
import type { GroupLayout } from './layout.js'
import { BatchMerger } from './merge.js'

/**
 * Decodes and merges the units of a stream's frames, keeping per-stream state between frames: one
 * {@link GroupDecoder} per readable group (each remembers its group's verified schema message) and one
 * {@link BatchMerger} (the merged schema, worked out once). Every unit still gets every check
 * `decodeGroupBatch` makes. Create one per stream; it holds nothing from any other stream.
 *
 * @throws ArrowSealError `ARROW_INVALID` (constructor) when two groups claim one position or carry conflicting
 *   metadata.
 * @example
 * ```ts
 * const decoder = new BatchDecoder(layouts, denied)
 * const batch = decoder.decode(opened.plains, opened.rows) // one plaintext unit per layout, in order
 * ```
 */
export class BatchDecoder {
  readonly #groups: readonly GroupDecoder[]
  readonly #merger: BatchMerger

  /** @param maxDictionaryDeltas - dictionary deltas the whole stream may send, over all groups (default: no limit). */
  constructor(
    layouts: readonly GroupLayout[],
    denied: readonly GroupLayout[] = [],
    maxDictionaryDeltas = Number.POSITIVE_INFINITY,
  ) {
    const deltas = new DeltaBudget(maxDictionaryDeltas)
    this.#groups = layouts.map((layout) => new GroupDecoder(layout, deltas))
    this.#merger = new BatchMerger(layouts, denied)
  }

  /** The schema of every batch {@link BatchDecoder.decode} returns (the very same object each time). */
  get schema(): Schema {
    return this.#merger.schema
  }

  /**
   * Decodes one frame's units (`units[i]` of the constructor's `layouts[i]`) into one batch of `rows` rows.
   *
   * @throws ArrowSealError `ARROW_INVALID` when any unit is malformed or differs from what the header promised.
   * @throws TypeError when a unit is missing or not a Uint8Array (caller misuse, as in `decodeGroupBatch`).
   * @example
   * ```ts
   * const batch = decoder.decode([pubUnit, piiUnit], 1024)
   * ```
   */
  decode(units: readonly Uint8Array[], rows: number): RecordBatch {
    const groups = this.#groups
    // Columns, not a RecordBatch per group: the merged batch is the only one the caller sees.
    const columns: Data[][] = []
    for (let i = 0; i < groups.length; i++) columns.push(groups[i]!.decodeColumns(units[i]!, rows))
    return this.#merger.mergeColumns(columns, rows)
  }
}
