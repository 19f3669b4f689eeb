/**
 * Strict standard base64 (RFC 4648 §4) for notes and checkpoints: padding required, no whitespace, and the unused
 * bits of the last character must be zero (§3.5), so each byte string has exactly one accepted text.
 *
 * @module
 * @internal
 */

const B64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/**
 * Encode bytes as padded standard base64.
 *
 * @example
 * ```ts
 * base64Encode(new Uint8Array([1, 2])) // 'AQI='
 * ```
 * @internal
 */
export function base64Encode(bytes: Uint8Array): string {
  let bin = ''
  for (let i = 0; i < bytes.length; i += 0x8000) {
    bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  }
  return btoa(bin)
}

/**
 * Decode canonical padded standard base64, or return `null` for anything else.
 *
 * @example
 * ```ts
 * base64Decode('AQI=') // Uint8Array [1, 2]
 * base64Decode('AQJ=') // null: non-zero padding bits
 * ```
 * @internal
 */
export function base64Decode(text: string): Uint8Array | null {
  if (!B64_RE.test(text)) return null
  const bin = atob(text)
  const out = new Uint8Array(bin.length)
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i)
  // RFC 4648 §3.5: reject texts whose padding bits are not zero (they would decode to the same bytes).
  if (base64Encode(out) !== text) return null
  return out
}
