/**
 * Bech32 (BIP-173) text encoding for keys, without BIP-173's 90-character limit.
 *
 * Our public keys are about 5,100 characters, like age's post-quantum recipients, so the length limit of
 * BIP-173 is replaced by {@link BECH32_MAX_LENGTH}. Beyond 89 characters the checksum no longer *guarantees*
 * detection of 4 errors, but still misses a random corruption with probability about 2^-30; keys carry their
 * own version byte and exact length, which parsing checks too. Only the original Bech32 constant (1) is
 * used, not Bech32m: this is the encoding age uses for its keys.
 *
 * Errors on bad text are {@link KeyError}s that say what is wrong and where, never what the text was: the
 * text may be a secret key.
 *
 * @module
 */
import { KeyError } from '../errors.js'
import { assertBytes, assertString } from './assert.js'

/** Hard cap on the length of any Bech32 text we encode or decode (bounded work on hostile input). */
export const BECH32_MAX_LENGTH = 16 * 1024

const CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l'
const GENERATOR = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3] as const
const CHECKSUM_LENGTH = 6
// Reverse lookup: ASCII code -> 5-bit value, or -1. A null-free array avoids prototype lookups on input.
const CHARSET_REV: Int8Array = (() => {
  const rev = new Int8Array(128).fill(-1)
  for (let i = 0; i < CHARSET.length; i++) rev[CHARSET.charCodeAt(i)] = i
  return rev
})()

function polymod(values: ArrayLike<number>, chk: number): number {
  for (let i = 0; i < values.length; i++) {
    const top = chk >>> 25
    chk = ((chk & 0x1ffffff) << 5) ^ (values[i] as number)
    for (let j = 0; j < 5; j++) if ((top >>> j) & 1) chk ^= GENERATOR[j] as number
  }
  return chk
}

// BIP-173 hrp expansion: high bits of each char, a zero, then low bits. `hrp` is lowercase here.
function hrpChecksumState(hrp: string): number {
  const values: number[] = []
  for (let i = 0; i < hrp.length; i++) values.push(hrp.charCodeAt(i) >>> 5)
  values.push(0)
  for (let i = 0; i < hrp.length; i++) values.push(hrp.charCodeAt(i) & 31)
  return polymod(values, 1)
}

function checkHrp(hrp: string): string {
  if (hrp.length < 1 || hrp.length > 83) throw new RangeError('"hrp" must be 1 to 83 characters')
  for (let i = 0; i < hrp.length; i++) {
    const c = hrp.charCodeAt(i)
    if (c < 33 || c > 126) throw new RangeError('"hrp" must be printable US-ASCII')
  }
  const lower = hrp.toLowerCase()
  if (hrp !== lower && hrp !== hrp.toUpperCase()) throw new RangeError('"hrp" must not mix upper and lower case')
  return lower
}

/**
 * Encode `bytes` as Bech32 text with the human-readable prefix `hrp`.
 *
 * @param hrp - human-readable prefix, e.g. `'aseal'`; the checksum is computed over its lowercase form.
 * @param bytes - payload bytes.
 * @param upper - return the text in upper case (used for secret keys, as age does).
 * @throws TypeError / RangeError on a wrong argument, or when the text would exceed {@link BECH32_MAX_LENGTH}.
 * @example
 * ```ts
 * bech32Encode('aseal', new Uint8Array([1, 2, 3])) // 'aseal1qypqxk8jrjk'
 * ```
 */
export function bech32Encode(hrp: string, bytes: Uint8Array, upper = false): string {
  assertString(hrp, 'hrp')
  assertBytes(bytes, 'bytes')
  if (typeof upper !== 'boolean') throw new TypeError('"upper" must be a boolean')
  const lowerHrp = checkHrp(hrp)
  const dataLength = Math.ceil((bytes.length * 8) / 5)
  if (lowerHrp.length + 1 + dataLength + CHECKSUM_LENGTH > BECH32_MAX_LENGTH) {
    throw new RangeError(`Bech32 text would exceed ${BECH32_MAX_LENGTH} characters`)
  }
  const words = toWords(bytes)
  let chk = polymod(words, hrpChecksumState(lowerHrp))
  chk = polymod([0, 0, 0, 0, 0, 0], chk) ^ 1
  let out = `${lowerHrp}1`
  for (const w of words) out += CHARSET[w]
  for (let i = 0; i < CHECKSUM_LENGTH; i++) out += CHARSET[(chk >>> (5 * (5 - i))) & 31]
  words.fill(0)
  return upper ? out.toUpperCase() : out
}

/**
 * Decode Bech32 `text` whose prefix must be `expectedHrp` (compared case-insensitively), returning the payload.
 *
 * Text must be all lower case or all upper case (BIP-173). Messages name the problem and, for a bad character,
 * its position, but never echo the text.
 *
 * @param text - Bech32 text.
 * @param expectedHrp - required human-readable prefix, e.g. `'aseal'`.
 * @param what - what the text is, for error messages (default `'key'`).
 * @throws TypeError if an argument is not a string; {@link KeyError} (`KEY_INVALID`) if the text is not valid.
 * @example
 * ```ts
 * const bytes = bech32Decode('aseal1qypqxk8jrjk', 'aseal') // Uint8Array [1, 2, 3]
 * ```
 */
export function bech32Decode(text: string, expectedHrp: string, what = 'key'): Uint8Array {
  assertString(text, 'text')
  assertString(expectedHrp, 'expectedHrp')
  assertString(what, 'what')
  const hrp = checkHrp(expectedHrp)
  if (text.length > BECH32_MAX_LENGTH) {
    throw new KeyError(`${what}: text is ${text.length} characters, more than the limit of ${BECH32_MAX_LENGTH}`)
  }
  let hasLower = false
  let hasUpper = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 33 || c > 126) throw new KeyError(`${what}: character at position ${i} is not printable US-ASCII`)
    if (c >= 97 && c <= 122) hasLower = true
    else if (c >= 65 && c <= 90) hasUpper = true
  }
  if (hasLower && hasUpper) throw new KeyError(`${what}: text mixes upper and lower case`)
  const lower = text.toLowerCase()
  const sep = lower.lastIndexOf('1')
  if (sep < 1) throw new KeyError(`${what}: missing prefix; expected it to start with "${hrp}1"`)
  if (lower.slice(0, sep) !== hrp) throw new KeyError(`${what}: wrong prefix; expected it to start with "${hrp}1"`)
  const dataLength = lower.length - sep - 1
  if (dataLength < CHECKSUM_LENGTH) throw new KeyError(`${what}: text is too short to hold a checksum`)
  const values = new Uint8Array(dataLength)
  for (let i = 0; i < dataLength; i++) {
    const v = CHARSET_REV[lower.charCodeAt(sep + 1 + i)] ?? -1
    if (v < 0) throw new KeyError(`${what}: character at position ${sep + 1 + i} is not in the Bech32 alphabet`)
    values[i] = v
  }
  if (polymod(values, hrpChecksumState(hrp)) !== 1)
    throw new KeyError(`${what}: checksum is wrong (mistyped or corrupted)`)
  try {
    return fromWords(values.subarray(0, dataLength - CHECKSUM_LENGTH), what)
  } finally {
    values.fill(0)
  }
}

// 8-bit bytes -> 5-bit groups, zero-padding the last group (BIP-173 convertbits with pad).
function toWords(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.ceil((bytes.length * 8) / 5))
  let acc = 0
  let bits = 0
  let j = 0
  for (let i = 0; i < bytes.length; i++) {
    acc = ((acc << 8) | (bytes[i] as number)) & 0xfff
    bits += 8
    while (bits >= 5) {
      bits -= 5
      out[j++] = (acc >>> bits) & 31
    }
  }
  if (bits > 0) out[j++] = (acc << (5 - bits)) & 31
  acc = 0
  return out
}

// 5-bit groups -> bytes. BIP-173: at most 4 bits of padding, and they must be zero, so each byte string has
// exactly one encoding.
function fromWords(words: Uint8Array, what: string): Uint8Array {
  const out = new Uint8Array(Math.floor((words.length * 5) / 8))
  let acc = 0
  let bits = 0
  let j = 0
  for (let i = 0; i < words.length; i++) {
    acc = ((acc << 5) | (words[i] as number)) & 0xfff
    bits += 5
    if (bits >= 8) {
      bits -= 8
      out[j++] = (acc >>> bits) & 0xff
    }
  }
  if (bits >= 5) throw new KeyError(`${what}: data part has an incomplete group (${bits} bits of padding)`)
  if (acc & ((1 << bits) - 1)) {
    out.fill(0)
    throw new KeyError(`${what}: data part has non-zero padding bits`)
  }
  return out
}
