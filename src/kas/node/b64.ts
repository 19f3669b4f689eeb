/**
 * base64url for the Node gateway on Buffer's native codec. The core's portable codec (src/kas/protocol.ts) builds
 * binary strings byte by byte and re-encodes to check canonical form; on the gateway's hot path (the request, the
 * sealed response, the receipt) it cost several percent of a request. Same contract: unpadded base64url out;
 * canonical unpadded base64url in, else null.
 * @module
 */

/** base64url without padding (RFC 4648 §5). */
export function b64u(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url')
}

/** Decodes canonical base64url without padding, or returns null (Buffer alone would accept garbage). */
export function fromB64u(text: string): Uint8Array | null {
  const buf = Buffer.from(text, 'base64url')
  // The re-encoding is canonical unpadded base64url, so comparing with it refuses every other text at once: another
  // alphabet, padding, whitespace, a dangling character, and non-canonical trailing bits (which decode to the same
  // bytes as the canonical text). No separate alphabet regex: on a ~14 KB request it cost more than the decode.
  if (buf.toString('base64url') !== text) return null
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength)
}
