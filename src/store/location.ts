/**
 * Store locations from text, as the CLI takes them: `postgres://…` or `postgresql://…` URLs (with an optional
 * `?schema=` that is removed before connecting), anything else a SQLite file path.
 * @module
 */
import type { StoreLocation } from './log.js'

/**
 * Parses a store location given as text.
 *
 * @example
 * ```ts
 * parseStoreLocation('audit.db') // { sqlite: 'audit.db' }
 * parseStoreLocation('postgres://db/audit?schema=audit') // { postgres: 'postgres://db/audit', schema: 'audit' }
 * ```
 */
export function parseStoreLocation(text: string): StoreLocation {
  if (typeof text !== 'string' || text === '') throw new TypeError('"text" must be a non-empty string')
  if (!/^postgres(ql)?:\/\//i.test(text)) return { sqlite: text }
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new RangeError('the PostgreSQL URL cannot be parsed')
  }
  const schema = url.searchParams.get('schema')
  url.searchParams.delete('schema')
  return schema ? { postgres: url.toString(), schema } : { postgres: url.toString() }
}
