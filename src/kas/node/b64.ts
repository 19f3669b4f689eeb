/**
 * base64url for the Node gateway on Buffer's native codec. The core's portable codec (src/kas/protocol.ts) builds
 * binary strings byte by byte and re-encodes to check canonical form; on the gateway's hot path (the request, the
 * sealed response, the receipt) it cost several percent of a request. Same contract: unpadded base64url out;
 * canonical unpadded base64url in, else null.
 * @module
 */

const B64U_RE = /^[A-Za-z0-9_-]*$/

/** base64url without padding (RFC 4648 §5). */
export function b64u(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url')
}

/** Decodes canonical base64url without padding, or returns null (Buffer alone would accept garbage). */
export function fromB64u(text: string): Uint8Array | null {
  if (!B64U_RE.test(text) || text.length % 4 === 1) return null
  const buf = Buffer.from(text, 'base64url')
  // Non-canonical trailing bits decode to the same bytes as the canonical text: refuse them like the core does.
  if (buf.toString('base64url') !== text) return null
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength)
}
