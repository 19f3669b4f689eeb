/**
 * Deterministic, realistic-looking sample data for the demo and tests: customer transactions with an id, a name,
 * an email, a national id, a dictionary-encoded country, an amount and a UTC timestamp. All values are synthetic;
 * the same seed always gives the same table.
 * @module
 */
import {
  Dictionary,
  Int8,
  makeData,
  makeVector,
  type RecordBatch,
  Table,
  TimestampMillisecond,
  Utf8,
  type Vector,
  vectorFromArray,
} from 'apache-arrow'

const FIRST = [
  'Ada',
  'Alan',
  'Grace',
  'Edsger',
  'Barbara',
  'Donald',
  'Frances',
  'Ken',
  'Margaret',
  'Dennis',
  'Radia',
  'Tim',
  'Shafi',
  'Whitfield',
  'Hedy',
  'Claude',
  'Joan',
  'Niklaus',
  'Sophie',
  'John',
  'Adi',
  'Ron',
  'Leslie',
  'Ivan',
]
const LAST = [
  'Lovelace',
  'Turing',
  'Hopper',
  'Dijkstra',
  'Liskov',
  'Knuth',
  'Allen',
  'Thompson',
  'Hamilton',
  'Ritchie',
  'Perlman',
  'Berners-Lee',
  'Goldwasser',
  'Diffie',
  'Lamarr',
  'Shannon',
  'Clarke',
  'Wirth',
  'Wilson',
  'Backus',
  'Shamir',
  'Rivest',
  'Lamport',
  'Sutherland',
]
const DOMAINS = ['example.com', 'example.org', 'example.net', 'mail.example']
const COUNTRIES = ['SE', 'DE', 'FR', 'NL', 'GB', 'US', 'CA', 'JP', 'BR', 'IN', 'AU', 'ES']
// Skewed so the dictionary column looks like real traffic: a few countries dominate.
const COUNTRY_WEIGHTS = [18, 16, 12, 9, 11, 14, 4, 5, 3, 4, 2, 2]

// Builds a Utf8 vector in one pass: vectorFromArray's builder costs ~6 µs a string, which at 200,000 rows × 3
// columns would dominate the demo. Byte offsets equal string lengths only for ASCII, which is checked.
function utf8Vector(values: readonly string[]): Vector {
  const offsets = new Int32Array(values.length + 1)
  let total = 0
  for (let i = 0; i < values.length; i++) {
    total += values[i]!.length
    offsets[i + 1] = total
  }
  const joined = values.join('')
  const data = new TextEncoder().encode(joined)
  if (data.length !== total) return vectorFromArray(values as string[], new Utf8())
  return makeVector(makeData({ type: new Utf8(), length: values.length, nullCount: 0, valueOffsets: offsets, data }))
}

/** mulberry32: a tiny, fast, deterministic 32-bit PRNG. Not for cryptography. */
function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * Options of {@link sampleTransactions}.
 *
 * @example
 * ```ts
 * const options: SampleOptions = { rows: 1000, batchRows: 250, seed: 7 }
 * ```
 */
export interface SampleOptions {
  /** Number of rows (default 200,000). */
  readonly rows?: number
  /** Rows per record batch (default 50,000). */
  readonly batchRows?: number
  /** PRNG seed (default 1). */
  readonly seed?: number
}

/**
 * Column names of the sample table, in schema order.
 *
 * @example
 * ```ts
 * sampleTransactions({ rows: 1 }).schema.fields.map((f) => f.name) // equals SAMPLE_COLUMNS
 * ```
 */
export const SAMPLE_COLUMNS = ['id', 'name', 'email', 'national_id', 'country', 'amount', 'timestamp'] as const

/**
 * Builds the sample transactions table.
 *
 * @example
 * ```ts
 * const table = sampleTransactions({ rows: 1000 })
 * table.numRows // 1000
 * ```
 */
export function sampleTransactions(options: SampleOptions = {}): Table {
  const rows = options.rows ?? 200_000
  const batchRows = Math.max(1, options.batchRows ?? 50_000)
  const random = prng(options.seed ?? 1)
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!
  const cumulative = COUNTRY_WEIGHTS.map(
    (
      (sum) => (w: number) =>
        (sum += w)
    )(0),
  )
  const totalWeight = cumulative[cumulative.length - 1]!
  // One dictionary type and one dictionary for every batch, so all batches share one schema and dictionary id.
  const countryType = new Dictionary(new Utf8(), new Int8())
  const countryDictionary = vectorFromArray(COUNTRIES, new Utf8())
  const timestampType = new TimestampMillisecond('UTC')
  const start = Date.UTC(2025, 0, 1)
  const span = 365 * 24 * 3600 * 1000

  const batches: RecordBatch[] = []
  for (let offset = 0; offset < rows; offset += batchRows) {
    const n = Math.min(batchRows, rows - offset)
    const ids = new BigInt64Array(n)
    const names: string[] = new Array(n)
    const emails: string[] = new Array(n)
    const nationalIds: string[] = new Array(n)
    const countries = new Int8Array(n)
    const amounts = new Float64Array(n)
    const times = new BigInt64Array(n)
    for (let i = 0; i < n; i++) {
      const id = offset + i + 1
      const first = pick(FIRST)
      const last = pick(LAST)
      ids[i] = BigInt(id)
      names[i] = `${first} ${last}`
      emails[i] = `${first}.${last}${id % 997}@${pick(DOMAINS)}`.toLowerCase()
      // YYMMDD-NNNN, the shape of several national id schemes; day ≤ 28 keeps every date valid.
      const yy = String(Math.floor(random() * 100)).padStart(2, '0')
      const mm = String(1 + Math.floor(random() * 12)).padStart(2, '0')
      const dd = String(1 + Math.floor(random() * 28)).padStart(2, '0')
      const serial = String(Math.floor(random() * 10_000)).padStart(4, '0')
      nationalIds[i] = `${yy}${mm}${dd}-${serial}`
      const r = random() * totalWeight
      countries[i] = cumulative.findIndex((c) => r < c)
      // Log-normal-ish amounts in cents: many small purchases, a long tail of large ones.
      amounts[i] = Math.round(Math.exp(2 + random() * 3 + random() * 3) * 100) / 100
      times[i] = BigInt(start + Math.floor(random() * span))
    }
    const table = new Table({
      id: makeVector(ids),
      name: utf8Vector(names),
      email: utf8Vector(emails),
      national_id: utf8Vector(nationalIds),
      country: makeVector(
        makeData({ type: countryType, length: n, nullCount: 0, data: countries, dictionary: countryDictionary }),
      ),
      amount: makeVector(amounts),
      timestamp: makeVector(makeData({ type: timestampType, length: n, nullCount: 0, data: times })),
    })
    batches.push(...table.batches)
  }
  return new Table(batches)
}
