/**
 * The writer's `minBatchRows` option: gathers consecutive small batches and hands them on as one, so a stream
 * of many small batches pays the per-batch costs (IPC messages, AEAD calls, frame hash and MACs) per merged
 * batch instead. Row order and values are unchanged; only the batch boundaries readers see are different.
 * @module
 */
import type { Data, RecordBatch, Schema } from 'apache-arrow'
import { canConcatType, concatBatches, dictionariesMatch } from '../arrow/concat.js'
import { HARD_LIMITS } from '../format/constants.js'

/**
 * Stop gathering at this much column data even below `minBatchRows`: past a few MiB per batch the per-batch
 * costs are noise, and a merged batch must stay far below readers' frame limits (256 MiB by default).
 */
const COALESCE_MAX_BYTES = 16 * 1024 * 1024

/**
 * Gathers batches until they reach `minRows` rows (or 16 MiB of column data) and merges them.
 *
 * @example
 * ```ts
 * const c = Coalescer.for(schema, 65_536)
 * const ready = c ? [...c.push(batch), ...c.drain()] : [batch]
 * ```
 * @internal
 */
export class Coalescer {
  readonly #schema: Schema
  readonly #minRows: number
  #pending: RecordBatch[] = []
  #rows = 0
  #bytes = 0

  private constructor(schema: Schema, minRows: number) {
    this.#schema = schema
    this.#minRows = minRows
  }

  /** A coalescer for `schema`, or null when `minRows` asks for none or a column type cannot be merged. */
  static for(schema: Schema, minRows: number | undefined): Coalescer | null {
    if (!minRows || minRows <= 1) return null
    if (!schema.fields.every((f) => canConcatType(f.type))) return null
    return new Coalescer(schema, minRows)
  }

  /** Takes the next batch (of the stream's shape); returns the batches to seal now, in order. */
  push(batch: RecordBatch): RecordBatch[] {
    const rows = batch.numRows
    const bytes = batchBytes(batch)
    // A batch that is big enough on its own goes as it is, after whatever was gathered before it.
    if (rows >= this.#minRows || bytes >= COALESCE_MAX_BYTES) return [...this.drain(), batch]
    // A batch that would overflow the merged batch, or whose dictionaries differ, starts the next one.
    const first = this.#pending[0]
    const out =
      this.#rows + rows > HARD_LIMITS.maxRowsPerBatch ||
      this.#bytes + bytes > COALESCE_MAX_BYTES ||
      (first !== undefined && !dictionariesMatch(first, batch))
        ? this.drain()
        : []
    this.#pending.push(batch)
    this.#rows += rows
    this.#bytes += bytes
    if (this.#rows >= this.#minRows) out.push(...this.drain())
    return out
  }

  /** The gathered batches, merged into one when their columns allow it, else as they came. */
  drain(): RecordBatch[] {
    const pending = this.#pending
    this.#pending = []
    this.#rows = 0
    this.#bytes = 0
    if (pending.length <= 1) return pending
    const merged = concatBatches(this.#schema, pending)
    return merged ? [merged] : pending
  }
}

/** Bytes of a batch's buffers: the measure that caps a merged batch. */
function batchBytes(batch: RecordBatch): number {
  let n = 0
  const add = (d: Data) => {
    n += (d.values?.byteLength ?? 0) + (d.valueOffsets?.byteLength ?? 0) + (d.nullBitmap?.byteLength ?? 0)
    for (const child of d.children) add(child)
  }
  for (const column of batch.data.children) add(column)
  return n
}
