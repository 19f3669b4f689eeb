/**
 * Rewrap: change who may read a sealed stream without touching its payload units (format.md §Rewrapped streams).
 * API only for now; the implementation follows.
 * @module
 */
import { FormatError } from '../errors.js'
import type { RewrapOptions } from './rewrap-options.js'

/**
 * Rewraps a whole sealed stream in memory: verifies the input (trusted signers, the rewrapper's stanza, every
 * frame's authenticators), then writes a new header signed by `options.signer` and every frame with its payload
 * units byte for byte unchanged and new authenticators.
 *
 * @throws ArrowSealError `SIGNER_UNTRUSTED`, `SIGNATURE_INVALID`, `NOT_A_RECIPIENT`, `RECIPIENT_UNKNOWN`,
 *   `POLICY_UNKNOWN_ROLE`, `POLICY_INVALID`, `REWRAP_NOT_ENTITLED`, `AUTH_FAILED`, `TRUNCATED` and the format codes.
 * @example
 * ```ts
 * import { rewrap, openTable } from 'arrowseal'
 * const moved = await rewrap(sealed, {
 *   identity: steward, signer: steward, trustedSigners: [writer.publicKey],
 *   policy, add: { analysts: [carol.publicKey] }, remove: [alice.publicKey],
 * })
 * await openTable(moved, { identity: carol, trustedSigners: [writer.publicKey, steward.publicKey] })
 * ```
 */
export async function rewrap(sealed: Uint8Array, options: RewrapOptions): Promise<Uint8Array> {
  void sealed
  void options
  throw new FormatError('FORMAT_UNSUPPORTED', 'rewrap is not implemented yet')
}

/**
 * Rewraps a sealed byte stream in one pass and bounded memory (one header and one frame at a time). Every
 * header-level failure rejects the first read, before any byte is produced.
 *
 * @example
 * ```ts
 * import { rewrapStream } from 'arrowseal'
 * const out = rewrapStream(file.stream(), { identity: steward, signer: steward, trustedSigners, remove: [aliceKeyId] })
 * await out.pipeTo(sink)
 * ```
 */
export function rewrapStream(source: ReadableStream<Uint8Array>, options: RewrapOptions): ReadableStream<Uint8Array> {
  void source
  void options
  return new ReadableStream<Uint8Array>({
    start() {
      throw new FormatError('FORMAT_UNSUPPORTED', 'rewrap is not implemented yet')
    },
  })
}
