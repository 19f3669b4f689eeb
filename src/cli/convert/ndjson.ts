/**
 * Arrow → NDJSON (one JSON object per line). Reading NDJSON is `ndjson-read.ts`.
 *
 * @module
 */
import type { Schema, Vector } from 'apache-arrow'
import { jsonValue } from './values.js'

/**
 * Formats rows as NDJSON lines, values rendered by {@link jsonValue}.
 *
 * @example
 * ```ts
 * for (const line of ndjsonLines(batch.schema, batch)) process.stdout.write(line)
 * ```
 */
export function* ndjsonLines(
  schema: Schema,
  source: { numRows: number; getChildAt(i: number): Vector | null },
): Generator<string> {
  const cols = schema.fields.map((_, i) => source.getChildAt(i))
  for (let r = 0; r < source.numRows; r++) {
    const obj: Record<string, unknown> = {}
    for (const [i, f] of schema.fields.entries()) obj[f.name] = jsonValue(cols[i]?.get(r), f.type)
    yield `${JSON.stringify(obj)}\n`
  }
}
