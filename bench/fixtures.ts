/**
 * Deterministic benchmark fixtures.
 *
 * The mixed table has the eight column kinds issue 3 asks for (int64, float64, two utf8, timestamp, dictionary,
 * bool, nullable int32). Values come from a counter-based mixer of the row index, so any batch can be produced
 * on its own, in any order, with no state and no `Math.random`: `bench/memory.ts` relies on that to stream
 * gigabytes without holding them. Buffers are filled directly rather than through Arrow builders because the
 * builders are ~10× slower and generation time would dominate the memory run.
 *
 * @module
 */
import {
  Bool,
  Dictionary,
  Field,
  Float64,
  Int32,
  Int64,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Table,
  TimestampMillisecond,
  Utf8,
  vectorFromArray,
} from 'apache-arrow'

/** Category labels for the dictionary column; one shared dictionary keeps the IPC stream free of replacements. */
const CATEGORIES = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet']
const FIRST = ['Ada', 'Grace', 'Alan', 'Barbara', 'Edsger', 'Frances', 'Ken', 'Radia', 'Donald', 'Margaret']
const LAST = ['Lovelace', 'Hopper', 'Turing', 'Liskov', 'Dijkstra', 'Allen', 'Thompson', 'Perlman', 'Knuth']
const DOMAINS = ['example.com', 'example.org', 'corp.example', 'mail.example.net']
const EPOCH_MS = 1_767_225_600_000 // 2026-01-01T00:00:00Z

const categoryDictionary = vectorFromArray(CATEGORIES, new Utf8())
const categoryType = new Dictionary(new Utf8(), new Int32(), 0, false)

/** Schema of the mixed fixture. */
export const mixedSchema = new Schema([
  new Field('id', new Int64(), false),
  new Field('amount', new Float64(), false),
  new Field('name', new Utf8(), false),
  new Field('email', new Utf8(), false),
  new Field('ts', new TimestampMillisecond(), false),
  new Field('category', categoryType, false),
  new Field('active', new Bool(), false),
  new Field('score', new Int32(), true),
])

/** 32-bit integer mixer (splitmix-style finaliser): cheap, deterministic, well spread. */
function mix(x: number): number {
  let h = (x ^ 0x9e3779b9) >>> 0
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0
  return (h ^ (h >>> 16)) >>> 0
}

const encoder = new TextEncoder()
const FIRST_B = FIRST.map((s) => encoder.encode(s))
const LAST_B = LAST.map((s) => encoder.encode(s))
const DOMAINS_B = DOMAINS.map((s) => encoder.encode(s))
const SPACE = 0x20
const AT = 0x40
const DOT = 0x2e

/** Appends `bytes` to `out` at `at`, returning the new end. */
function put(out: Uint8Array, at: number, bytes: Uint8Array): number {
  for (let k = 0; k < bytes.length; k++) out[at + k] = bytes[k]!
  return at + bytes.length
}

/** Appends the decimal digits of a non-negative integer. */
function putDigits(out: Uint8Array, at: number, n: number): number {
  let len = 1
  for (let v = n; v >= 10; v = Math.floor(v / 10)) len++
  for (let k = len - 1, v = n; k >= 0; k--, v = Math.floor(v / 10)) out[at + k] = 48 + (v % 10)
  return at + len
}

/** Stores a non-negative safe integer as little-endian int64 through an Int32 view (avoids per-row BigInt). */
function putInt64(words: Int32Array, i: number, value: number): void {
  words[2 * i] = (value % 0x1_0000_0000) | 0
  words[2 * i + 1] = Math.floor(value / 0x1_0000_0000)
}

/**
 * One batch of the mixed fixture covering rows `[start, start + rows)`. Pure function of its arguments.
 *
 * @example
 * ```ts
 * const batch = mixedBatch(0, 1024)
 * ```
 */
export function mixedBatch(start: number, rows: number): RecordBatch {
  const id = new BigInt64Array(rows)
  const idWords = new Int32Array(id.buffer)
  const amount = new Float64Array(rows)
  const ts = new BigInt64Array(rows)
  const tsWords = new Int32Array(ts.buffer)
  const cat = new Int32Array(rows)
  const active = new Uint8Array((rows + 7) >>> 3)
  const score = new Int32Array(rows)
  const scoreValid = new Uint8Array((rows + 7) >>> 3)
  const nameOffsets = new Int32Array(rows + 1)
  const emailOffsets = new Int32Array(rows + 1)
  // Upper bounds: longest first + last + separators + 16 digits + longest domain.
  const nameBytes = new Uint8Array(rows * 20)
  const emailBytes = new Uint8Array(rows * 48)
  let nameAt = 0
  let emailAt = 0
  let nulls = 0
  for (let i = 0; i < rows; i++) {
    const r = start + i
    const x = mix(r)
    putInt64(idWords, i, r)
    amount[i] = (x % 1_000_000) / 100
    putInt64(tsWords, i, EPOCH_MS + r * 1000 + (x & 0x3ff))
    cat[i] = x % CATEGORIES.length
    if ((x >>> 7) & 1) active[i >>> 3]! |= 1 << (i & 7)
    if ((x >>> 9) % 10 === 0) nulls++
    else {
      scoreValid[i >>> 3]! |= 1 << (i & 7)
      score[i] = ((x >>> 11) % 2001) - 1000
    }
    const first = FIRST_B[x % FIRST.length]!
    const last = LAST_B[(x >>> 8) % LAST.length]!
    nameAt = put(nameBytes, nameAt, first)
    nameBytes[nameAt++] = SPACE
    nameAt = put(nameBytes, nameAt, last)
    nameOffsets[i + 1] = nameAt
    emailAt = put(emailBytes, emailAt, first)
    emailBytes[emailAt++] = DOT
    emailAt = put(emailBytes, emailAt, last)
    emailAt = putDigits(emailBytes, emailAt, r)
    emailBytes[emailAt++] = AT
    emailAt = put(emailBytes, emailAt, DOMAINS_B[(x >>> 12) % DOMAINS.length]!)
    emailOffsets[i + 1] = emailAt
  }
  const children = [
    makeData({ type: new Int64(), length: rows, data: id }),
    makeData({ type: new Float64(), length: rows, data: amount }),
    makeData({ type: new Utf8(), length: rows, valueOffsets: nameOffsets, data: nameBytes.slice(0, nameAt) }),
    makeData({ type: new Utf8(), length: rows, valueOffsets: emailOffsets, data: emailBytes.slice(0, emailAt) }),
    makeData({ type: new TimestampMillisecond(), length: rows, data: ts }),
    makeData({ type: categoryType, length: rows, data: cat, dictionary: categoryDictionary }),
    makeData({ type: new Bool(), length: rows, data: active }),
    makeData({ type: new Int32(), length: rows, data: score, nullBitmap: scoreValid, nullCount: nulls }),
  ]
  const struct = makeData({ type: new Struct(mixedSchema.fields), length: rows, nullCount: 0, children })
  return new RecordBatch(mixedSchema, struct)
}

/**
 * Iterates the batches of an `rows`-row mixed table cut into `batchRows`-row batches, generated lazily.
 *
 * @example
 * ```ts
 * for (const batch of mixedBatches(100_000, 65_536)) console.log(batch.numRows)
 * ```
 */
export function* mixedBatches(rows: number, batchRows: number): Generator<RecordBatch> {
  for (let start = 0; start < rows; start += batchRows) yield mixedBatch(start, Math.min(batchRows, rows - start))
}

/**
 * The whole mixed table in memory.
 *
 * @example
 * ```ts
 * const table = mixedTable(1_000_000, 65_536)
 * ```
 */
export function mixedTable(rows: number, batchRows: number): Table {
  return new Table([...mixedBatches(rows, batchRows)])
}

/** Roles of the benchmark policy; the auditor reads every non-public field, so opening as auditor decrypts all. */
export const ROLES = ['analysts', 'auditors', 'ops'] as const

/**
 * Four access groups: public {id, ts, category}, everyone {amount, active}, analysts+auditors {score},
 * auditors {name, email}.
 */
export const POLICY = {
  fields: {
    id: 'public',
    ts: 'public',
    category: 'public',
    amount: ['analysts', 'auditors', 'ops'],
    active: ['analysts', 'auditors', 'ops'],
    score: ['analysts', 'auditors'],
    name: ['auditors'],
    email: ['auditors'],
  },
} as const

/**
 * A one-row table of the same schema, for the fresh-stream case.
 *
 * @example
 * ```ts
 * const one = oneRowTable()
 * ```
 */
export function oneRowTable(): Table {
  return new Table([mixedBatch(42, 1)])
}
