/**
 * Bech32 (BIP-173) text encoding for keys, through `@scure/base`, without BIP-173's 90-character limit.
 *
 * Our public keys are about 5,100 characters, like age's post-quantum recipients, so the 90-character limit of
 * BIP-173 is lifted per call to {@link BECH32_MAX_LENGTH} (scure's `limit` argument). Beyond 89 characters the
 * checksum no longer *guarantees* detection of 4 errors, but still misses a random corruption with probability
 * about 2^-30; keys carry their own version byte and exact length, which parsing checks too. Only the original
 * Bech32 constant (1) is used, not Bech32m: this is the encoding age uses for its keys.
 *
 * The checksum and the 5-bit regrouping are scure's. What stays here is what scure does not promise: error
 * messages that say what is wrong and where but never echo the text (scure's checksum error quotes the input,
 * which may be a secret key, so its errors are never passed on, not even as a `cause`), the hard length cap,
 * and argument checks with the TypeError/RangeError split the key API documents.
 *
 * @module
 */
import { bech32 as scure } from '@scure/base'
import { KeyError } from '../errors.js'
import { assertBytes, assertString } from './assert.js'

/** Hard cap on the length of any Bech32 text we encode or decode (bounded work on hostile input). */
export const BECH32_MAX_LENGTH = 16 * 1024

const CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l'
const CHECKSUM_LENGTH = 6

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
  const words = scure.toWords(bytes)
  const out = scure.encode(lowerHrp, words, BECH32_MAX_LENGTH)
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
  // The shape checks come first so that each failure gets its own message with a position (scure's would
  // quote the text); what passes them can only fail scure on the checksum.
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
  for (let i = sep + 1; i < lower.length; i++) {
    if (!CHARSET.includes(lower[i]!))
      throw new KeyError(`${what}: character at position ${i} is not in the Bech32 alphabet`)
  }
  let words: number[]
  try {
    words = scure.decode(lower as `${string}1${string}`, BECH32_MAX_LENGTH).words
  } catch {
    throw new KeyError(`${what}: checksum is wrong (mistyped or corrupted)`)
  }
  try {
    // BIP-173: at most 4 bits of padding, all zero, so each byte string has exactly one encoding. scure checks
    // both; which one failed follows from the word count alone.
    return scure.fromWords(words)
  } catch {
    const bits = (words.length * 5) % 8
    if (bits >= 5) throw new KeyError(`${what}: data part has an incomplete group (${bits} bits of padding)`)
    throw new KeyError(`${what}: data part has non-zero padding bits`)
  } finally {
    words.fill(0)
  }
}
