/**
 * Shared test helpers for the key layer: hex, vector loading, and TYPE_TEST, a list of wrongly typed values
 * (in the style of noble's test/utils.ts) fed to every public entry point.
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export function hex(h: string): Uint8Array {
  if (h.length % 2 !== 0) throw new Error('odd hex')
  const out = new Uint8Array(h.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(h.slice(2 * i, 2 * i + 2), 16)
  return out
}

export function toHex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')
}

/** Read a JSON file from test/vectors (see its README for sources). */
export function vectors<T>(name: string): T {
  return JSON.parse(readFileSync(fileURLToPath(new URL(`../vectors/${name}`, import.meta.url)), 'utf8')) as T
}

/** One of the X-Wing draft's test vectors (draft-connolly-cfrg-xwing-kem), fields in hex. */
export interface XWingVector {
  seed: string
  eseed: string
  ss: string
  sk: string
  pk: string
  ct: string
}

/** The X-Wing draft's three test vectors. */
export function xwingVectors(): XWingVector[] {
  return vectors<XWingVector[]>('xwing-draft-connolly-cfrg-xwing-kem.json')
}

/** A Wycheproof vector file: test groups of type G, and the count of all their tests. */
export interface Wycheproof<G> {
  numberOfTests: number
  testGroups: G[]
}

/** Values of every wrong shape a JavaScript caller might pass. */
export const TYPE_TEST: readonly unknown[] = [
  undefined,
  null,
  0,
  1,
  -1,
  1.5,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  10n,
  true,
  false,
  '',
  'aseal1',
  '00ff',
  Symbol('x'),
  {},
  { length: 32 },
  [],
  [1, 2, 3],
  new Array(32).fill(0),
  new Uint16Array(32),
  new Int8Array(32),
  new Uint8ClampedArray(32),
  new Float32Array(8),
  new ArrayBuffer(32),
  new DataView(new ArrayBuffer(32)),
  () => new Uint8Array(32),
  new Map(),
  new Set(),
  Promise.resolve(new Uint8Array(32)),
  new Date(0),
  /re/,
  Object.create(null),
]

const isU8 = (v: unknown) => v instanceof Uint8Array
export const NOT_STRING = TYPE_TEST.filter((v) => typeof v !== 'string')
export const NOT_BYTES = TYPE_TEST.filter((v) => !isU8(v))
export const NOT_OPTIONAL_BYTES = NOT_BYTES.filter((v) => v !== undefined)

/** A readable label for a TYPE_TEST value in test names. */
export function label(v: unknown): string {
  if (typeof v === 'symbol') return 'symbol'
  if (typeof v === 'bigint') return `${v}n`
  if (typeof v === 'function') return 'function'
  if (v === null || typeof v !== 'object') return `${typeof v}:${String(v)}`
  return Object.prototype.toString.call(v)
}

/** Deterministic byte source for golden tests. */
export function counterRng(start = 0): (n: number) => Uint8Array {
  let c = start
  return (n) => {
    const out = new Uint8Array(n)
    for (let i = 0; i < n; i++) out[i] = c++ & 0xff
    return out
  }
}
