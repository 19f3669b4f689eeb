/**
 * Pseudonymised views: the writer adds, right after each tokenised field, a column of keyed tokens of its values,
 * `HMAC-SHA-256(token_key, tag ‖ value)`, which the policy's token roles read instead of the value. The token key
 * derives from the dataset's token key and the dataset name, never from the stream, so one value gives one token
 * in every stream of a dataset (joins, group-by and count-distinct work across streams) and another token in
 * another dataset. The token key is never written into a stream: holding it would let a token role hash guesses
 * of low-entropy values offline. docs/concepts/policies.md § Pseudonymised views has the user-facing rules.
 * @module
 */
import { hkdf } from '@noble/hashes/hkdf.js'
import { hmac } from '@noble/hashes/hmac.js'
import { sha256 } from '@noble/hashes/sha2.js'
import {
  Data,
  DataType,
  Field,
  FixedSizeBinary,
  type RecordBatch,
  Schema,
  type TypeMap,
  type Vector,
} from 'apache-arrow'
import { recordBatchOf } from '../arrow/batch.js'
import { ArrowSealError, PolicyError } from '../errors.js'
import type { Policy } from '../policy/policy.js'

/**
 * Field metadata key that marks a token column; its value is the dataset name.
 *
 * @example
 * ```ts
 * import { TOKEN_METADATA_KEY } from 'arrowseal'
 * declare const table: import('apache-arrow').Table
 * const tokenColumns = table.schema.fields.filter((f) => f.metadata.has(TOKEN_METADATA_KEY))
 * ```
 */
export const TOKEN_METADATA_KEY = 'arrowseal:token'
/** Bytes of a token (HMAC-SHA-256, untruncated: a truncated token would make distinct values collide sooner). */
export const TOKEN_BYTES = 32
/** Bytes of a dataset token key. */
export const TOKEN_KEY_BYTES = 32
const MAX_DATASET_BYTES = 256

const enc = new TextEncoder()
const TAG_STRING = 0x01
const TAG_BYTES = 0x02
const TAG_INTEGER = 0x03

/**
 * The writer's token configuration: the dataset's name and its 32-byte token key, the same for every stream
 * (and every writer) of the dataset.
 *
 * @example
 * ```ts
 * import type { TokenOptions } from 'arrowseal'
 * const tokens: TokenOptions = { dataset: 'payments', key: crypto.getRandomValues(new Uint8Array(32)) }
 * ```
 */
export interface TokenOptions {
  /** The dataset's name (1–256 bytes of UTF-8). Tokens of one value differ between datasets. */
  readonly dataset: string
  /** The dataset token key: 32 secret random bytes, kept like a signing key. */
  readonly key: Uint8Array
}

/** How the writer's schema maps onto the written one: per written position, its source field and whether a token. */
export interface TokenLayout {
  /** The written schema: the writer's fields with each tokenised field's token column right after it. */
  readonly schema: Schema
  /** Per written position: the writer's field index it comes from. */
  readonly source: readonly number[]
  /** Per written position: the tokenised field's name for a token column, else null (planAccess's `tokenOf`). */
  readonly tokenOf: readonly (string | null)[]
}

/** Checks the caller's token options (misuse is a TypeError/RangeError, as for every option). */
export function checkTokenOptions(tokens: TokenOptions | undefined): void {
  if (tokens === undefined) return
  if (typeof tokens !== 'object' || tokens === null) throw new TypeError('options.tokens must be an object')
  if (typeof tokens.dataset !== 'string') throw new TypeError('options.tokens.dataset must be a string')
  const n = enc.encode(tokens.dataset).length
  if (n < 1 || n > MAX_DATASET_BYTES)
    throw new RangeError(`options.tokens.dataset must be 1 to ${MAX_DATASET_BYTES} bytes of UTF-8`)
  if (!(tokens.key instanceof Uint8Array) || tokens.key.length !== TOKEN_KEY_BYTES)
    throw new TypeError(`options.tokens.key must be a Uint8Array of ${TOKEN_KEY_BYTES} bytes`)
}

const tokenisable = (t: DataType): boolean =>
  DataType.isUtf8(t) ||
  DataType.isLargeUtf8(t) ||
  DataType.isBinary(t) ||
  DataType.isLargeBinary(t) ||
  DataType.isFixedSizeBinary(t) ||
  DataType.isInt(t)

/** Every dictionary id a type uses, nested ones included. */
function dictionaryIds(t: DataType, out: Set<number> = new Set()): Set<number> {
  if (DataType.isDictionary(t)) {
    out.add(t.id)
    dictionaryIds(t.dictionary, out)
  }
  for (const child of t.children ?? []) dictionaryIds(child.type, out)
  return out
}

/**
 * Plans the token columns of `schema` under `policy`, or returns null when the policy tokenises nothing. Fails
 * closed (`POLICY_INVALID`) on anything that would show a token role the values: a public field, a role that
 * reads both, a type with no token encoding, or a dictionary the field shares with a field a token role reads.
 */
export function planTokens(schema: Schema, policy: Policy, tokens: TokenOptions | undefined): TokenLayout | null {
  const rules = policy.tokens
  if (rules === undefined || Object.keys(rules).length === 0) return null
  if (tokens === undefined)
    throw new PolicyError(
      'POLICY_INVALID',
      'the policy tokenises fields (policy.tokens) but no dataset token key was given (options.tokens)',
    )
  const fields: Field[] = []
  const source: number[] = []
  const tokenOf: (string | null)[] = []
  const ruleOf = (name: string) => (Object.hasOwn(policy.fields, name) ? policy.fields[name] : policy.default)
  for (const [i, field] of schema.fields.entries()) {
    fields.push(field)
    source.push(i)
    tokenOf.push(null)
    if (!Object.hasOwn(rules, field.name)) continue
    const where = `policy.tokens[${JSON.stringify(field.name)}]`
    const roles = rules[field.name]!
    const clear = ruleOf(field.name)
    if (clear === 'public')
      throw new PolicyError('POLICY_INVALID', `${where}: the field is public, so everyone reads it in clear`)
    const both = Array.isArray(clear) ? roles.filter((r) => clear.includes(r)) : []
    if (both.length > 0)
      throw new PolicyError(
        'POLICY_INVALID',
        `${where}: role ${JSON.stringify(both[0])} reads the field in clear and as tokens; name it in one rule`,
      )
    const valueType = DataType.isDictionary(field.type) ? field.type.dictionary : field.type
    if (!tokenisable(valueType))
      throw new PolicyError(
        'POLICY_INVALID',
        `${where}: fields of type ${String(field.type)} cannot be tokenised (strings, binaries and integers can)`,
      )
    checkSharedDictionaries(schema, i, roles, ruleOf, where)
    fields.push(
      new Field(
        field.name,
        new FixedSizeBinary(TOKEN_BYTES),
        field.nullable,
        new Map([[TOKEN_METADATA_KEY, tokens.dataset]]),
      ),
    )
    source.push(i)
    tokenOf.push(field.name)
  }
  return { schema: new Schema(fields, schema.metadata), source, tokenOf }
}

/** A dictionary is data of every field that references it: a token role must read no other field sharing it. */
function checkSharedDictionaries(
  schema: Schema,
  at: number,
  tokenRoles: readonly string[],
  ruleOf: (name: string) => Policy['default'],
  where: string,
): void {
  const ids = dictionaryIds(schema.fields[at]!.type)
  if (ids.size === 0) return
  for (const [j, other] of schema.fields.entries()) {
    if (j === at || ![...dictionaryIds(other.type)].some((id) => ids.has(id))) continue
    const rule = ruleOf(other.name)
    if (rule === 'public' || (Array.isArray(rule) && rule.some((r) => tokenRoles.includes(r))))
      throw new PolicyError(
        'POLICY_INVALID',
        `${where}: field ${j} shares the field's dictionary and a token role reads it, which would show the values`,
      )
  }
}

/**
 * Computes token columns for batches of the writer's schema. Holds the derived HMAC key (not the dataset key).
 * @internal
 */
export class Tokeniser {
  readonly #layout: TokenLayout
  readonly #mac: ReturnType<typeof hmac.create>
  /** Tokens of each dictionary's entries, computed once per dictionary object. */
  readonly #dictionaryTokens = new WeakMap<Vector, (Uint8Array | null)[]>()

  constructor(layout: TokenLayout, tokens: TokenOptions) {
    this.#layout = layout
    const key = deriveTokenKey(tokens)
    this.#mac = hmac.create(sha256, key)
    key.fill(0)
  }

  /** The written batch: `batch` (of the writer's schema) with its token columns added. */
  apply(batch: RecordBatch): RecordBatch {
    const columns = batch.data.children
    const rows = batch.numRows
    const out = this.#layout.tokenOf.map((name, p) => {
      const column = columns[this.#layout.source[p]!]!
      return name === null ? column : this.#tokenColumn(column)
    })
    return recordBatchOf(this.#layout.schema, out, rows)
  }

  #tokenColumn(data: Data): Data {
    // A column whose buffers do not match its type is malformed input: refuse it, do not crash on it.
    if (!(data.values instanceof Object) || (!DataType.isDictionary(data.type) && !matchesLayout(data)))
      throw new ArrowSealError('ARROW_INVALID', 'a tokenised column has no value buffers for its type')
    const rows = data.length
    const values = new Uint8Array(rows * TOKEN_BYTES)
    let nulls = 0
    const validity = new Uint8Array((rows + 7) >> 3)
    const dictionary = DataType.isDictionary(data.type) && data.dictionary ? this.#tokensOf(data.dictionary) : null
    for (let r = 0; r < rows; r++) {
      let token: Uint8Array | null
      if (!isValid(data, r)) token = null
      else if (dictionary) {
        const i = Number((data.values as ArrayLike<number | bigint>)[r]!)
        if (!(i >= 0 && i < dictionary.length))
          throw new ArrowSealError('ARROW_INVALID', `dictionary index ${i} is outside its dictionary`)
        token = dictionary[i]!
      } else token = this.#token(valueBytes(data, r))
      // A null value stays null: hashing it would give every null one shared token, which says no more.
      if (token === null) {
        nulls++
        continue
      }
      validity[r >> 3]! |= 1 << (r & 7)
      values.set(token, r * TOKEN_BYTES)
    }
    const type = new FixedSizeBinary(TOKEN_BYTES)
    return new Data(type, 0, rows, nulls, { [1]: values, [2]: validity } as never)
  }

  #tokensOf(dictionary: Vector): (Uint8Array | null)[] {
    let tokens = this.#dictionaryTokens.get(dictionary)
    if (tokens) return tokens
    tokens = []
    for (const chunk of dictionary.data)
      for (let r = 0; r < chunk.length; r++) tokens.push(isValid(chunk, r) ? this.#token(valueBytes(chunk, r)) : null)
    this.#dictionaryTokens.set(dictionary, tokens)
    return tokens
  }

  #token(message: Uint8Array): Uint8Array {
    return this.#mac.clone().update(message).digest()
  }
}

/**
 * `token_key = HKDF(dataset_key, salt = "arrowseal/v1 token", info = dataset, 32)`: one dataset key may serve
 * several datasets, and their tokens still differ (docs/format.md § Token columns).
 */
export function deriveTokenKey(tokens: TokenOptions): Uint8Array {
  return hkdf(sha256, tokens.key, enc.encode('arrowseal/v1 token'), enc.encode(tokens.dataset), 32)
}

function isValid(data: Data, r: number): boolean {
  const bitmap = data.nullBitmap
  if (!bitmap || bitmap.length === 0 || data.nullCount === 0) return true
  const bit = data.offset + r
  return ((bitmap[bit >> 3]! >> (bit & 7)) & 1) === 1
}

/**
 * The HMAC input of row `r`: a type-class tag, then the value. Strings are their UTF-8 bytes as stored (never
 * decoded, so no two byte strings meet in one replacement character), binaries their bytes, integers their
 * signed decimal digits, so an id joins whether one stream stores it as Int32 and another as Int64.
 */
function valueBytes(data: Data, r: number): Uint8Array {
  const t = data.type as TypeMap[keyof TypeMap]
  if (DataType.isInt(t)) {
    const v = (data.values as ArrayLike<number | bigint>)[r]!
    return withTag(TAG_INTEGER, enc.encode(String(v)))
  }
  if (DataType.isFixedSizeBinary(t)) {
    const w = t.byteWidth
    return withTag(TAG_BYTES, (data.values as Uint8Array).subarray(r * w, (r + 1) * w))
  }
  const offsets = data.valueOffsets as ArrayLike<number | bigint>
  const start = Number(offsets[r]!)
  const end = Number(offsets[r + 1]!)
  const values = data.values as Uint8Array
  if (!(start >= 0 && start <= end && end <= values.length))
    throw new ArrowSealError('ARROW_INVALID', 'a value offset lies outside its column')
  const tag = DataType.isUtf8(t) || DataType.isLargeUtf8(t) ? TAG_STRING : TAG_BYTES
  return withTag(tag, values.subarray(start, end))
}

function matchesLayout(data: Data): boolean {
  const t = data.type
  if (DataType.isInt(t) || DataType.isFixedSizeBinary(t)) return true
  return data.valueOffsets instanceof Object && data.valueOffsets.length >= data.length + 1
}

function withTag(tag: number, bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + bytes.length)
  out[0] = tag
  out.set(bytes, 1)
  return out
}
