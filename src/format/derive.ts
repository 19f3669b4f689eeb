/**
 * Key derivation, nonces and associated data (format.md §Keys, §Nonces, §AAD). Every input that decides how a
 * unit must be read (stream, header, batch, group, rows, final flag, unit flags) is bound into its AAD, in the
 * manner of Parquet modular encryption's module AADs, with u64/u32 ordinals so nothing wraps.
 * @module
 */
import { hkdf } from '@noble/hashes/hkdf.js'
import { hmac } from '@noble/hashes/hmac.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { ByteWriter } from './bytes.js'
import { COMMITMENT_BYTES, GROUP_KEY_BYTES, LABEL, MAC_BYTES } from './constants.js'

/** Per-group keys derived from the random group key: an AES-256 key and a 32-byte key commitment. */
export function deriveGroupKeys(
  groupKey: Uint8Array,
  streamId: Uint8Array,
): { encKey: Uint8Array; commitment: Uint8Array } {
  return {
    encKey: hkdf(sha256, groupKey, streamId, LABEL.groupKey, GROUP_KEY_BYTES),
    // Key commitment (AWS Encryption SDK v2 style): the header carries this value, and a reader refuses a group
    // key that does not reproduce it, so one ciphertext can never open under two keys for two readers.
    commitment: hkdf(sha256, groupKey, streamId, LABEL.groupCommit, COMMITMENT_BYTES),
  }
}

/** Nonce of the unit of batch `index`: 0x00, three zero bytes, then the u64 batch index. */
export function unitNonce(index: number): Uint8Array {
  return new ByteWriter(12).u8(0).u8(0).u16(0).u64(index).done()
}

/** Nonce of a sealed group schema: 0x01 then eleven zero bytes. Never collides with a unit nonce. */
export const SCHEMA_NONCE: Uint8Array = Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)

/** AAD of a sealed group schema: label, stream id, group id. (The header signature covers the rest.) */
export function schemaAad(streamId: Uint8Array, groupId: number): Uint8Array {
  return new ByteWriter(LABEL.schemaAad.length + streamId.length + 2)
    .put(LABEL.schemaAad)
    .put(streamId)
    .u16(groupId)
    .done()
}

/** AAD of a batch unit: label, header digest, batch index, group id, row count, final flag, unit flags. */
export function unitAad(
  headerDigest: Uint8Array,
  index: number,
  groupId: number,
  rows: number,
  final: boolean,
  flags: number,
): Uint8Array {
  return new ByteWriter(LABEL.unitAad.length + 32 + 8 + 2 + 4 + 1 + 1)
    .put(LABEL.unitAad)
    .put(headerDigest)
    .u64(index)
    .u16(groupId)
    .u32(rows)
    .u8(final ? 1 : 0)
    .u8(flags)
    .done()
}

/**
 * A recipient's frame MAC: HMAC-SHA256 under the key only the writer and that recipient share (exported from
 * the recipient's HPKE context), over the label, the header digest and the SHA-256 of the frame body,
 * truncated to 16 bytes. The frame digest is a collision-resistant hash of every unit's bytes: GCM tags alone
 * are not enough, because anyone holding a group key can make a second ciphertext with the same tag.
 */
export function frameMac(macKey: Uint8Array, headerDigest: Uint8Array, bodyDigest: Uint8Array): Uint8Array {
  const input = new ByteWriter(LABEL.frameMac.length + 64).put(LABEL.frameMac).put(headerDigest).put(bodyDigest).done()
  return hmac(sha256, macKey, input).subarray(0, MAC_BYTES)
}
