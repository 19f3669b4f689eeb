/**
 * What a key-access gateway learns from a header wrapped to it (`unwrapForService`, the seam of
 * src/kas/types.ts). Core code on Web APIs, so the gateway's decision and a reader's share one implementation of
 * every header check (src/seal/header-verify.ts): a gateway never hands out keys of a header a reader would
 * refuse.
 * @module
 */
import { AuthError, FormatError } from '../errors.js'
import { activeServices, parseChain } from '../format/chain.js'
import { HEADER_PREFIX_BYTES } from '../format/constants.js'
import { headerLength } from '../format/header.js'
import { Identity } from '../keys/identity.js'
import { PublicKey } from '../keys/public-key.js'
import { findActive, verifyChain } from '../lifecycle/chain-verify.js'
import { committedKey } from '../seal/header-verify.js'
import type { SessionPolicy } from '../seal/options.js'
import { backendFor, type Runtime, webRuntime } from '../seal/runtime.js'
import type { UnwrappedService } from './types.js'

/**
 * Options of {@link unwrapForService} beyond the seam's three arguments.
 *
 * @example
 * ```ts
 * const options: UnwrapOptions = { sessions: 'current' }
 * ```
 */
export interface UnwrapOptions {
  /** Writer sessions (suite 2), as for a reader (`OpenOptions.sessions`); default `'accept'`. */
  readonly sessions?: SessionPolicy
  /**
   * Internal: the crypto runtime (the Node entry passes its node:crypto one, several times faster).
   * @internal
   */
  readonly runtime?: Runtime
}

/**
 * Verifies a header and opens the stanza wrapped to `gateway`, for a key-access gateway deciding a request:
 * exactly the whole header (no byte more or less), signed by one of `trustedWriters` (hybrid, or a session they
 * certified), with a service entry for the gateway's stanza, whose group keys all match their commitments and
 * whose roles read exactly the stanza's groups. A rewrapped header (format.md §Rewrapped streams) is verified as a
 * reader does: the writer and every rewrapper must be in `trustedWriters`, and the gateway's stanza must be an
 * active one (a gateway a later rewrap removed is refused), named by a service entry of the header that wrapped it.
 *
 * The returned `groupKeys` are secret: give out only those of the roles granted, and zero them after use.
 *
 * @throws AuthError `SIGNER_UNTRUSTED`, `SIGNATURE_INVALID`, `SESSION_REJECTED`, `SESSION_EXPIRED`,
 *   `NOT_A_RECIPIENT` (no stanza for this key, or the key is a direct reader, not a service), `AUTH_FAILED`;
 *   FormatError `FORMAT_INVALID`, `FORMAT_UNSUPPORTED`, `LIMIT_EXCEEDED`, `TRUNCATED`.
 * @example
 * ```ts
 * import { generateIdentity, inspect, sealTable, unwrapForService } from 'arrowseal'
 * import { tableFromArrays } from 'apache-arrow'
 * const writer = await generateIdentity()
 * const gateway = await generateIdentity()
 * const sealed = await sealTable(tableFromArrays({ id: Int32Array.from([1]), amount: Float64Array.from([2]) }), {
 *   signer: writer,
 *   recipients: { analysts: [{ service: 'https://kas.example', key: gateway.publicKey }] },
 *   policy: { fields: { id: 'public', amount: ['analysts'] } },
 *   dataset: 'sales',
 * })
 * const header = sealed.subarray(0, inspect(sealed).headerBytes)
 * const view = await unwrapForService(header, gateway, [writer.publicKeyObject])
 * console.log(view.dataset, [...view.roles.keys()]) // 'sales' [ 'analysts' ]
 * for (const key of view.groupKeys.values()) key.fill(0)
 * ```
 */
export async function unwrapForService(
  header: Uint8Array,
  gateway: Identity,
  trustedWriters: readonly PublicKey[],
  options: UnwrapOptions = {},
): Promise<UnwrappedService> {
  if (!(header instanceof Uint8Array)) throw new TypeError('unwrapForService: header must be a Uint8Array')
  if (!(gateway instanceof Identity)) throw new TypeError('unwrapForService: gateway must be an Identity')
  if (!Array.isArray(trustedWriters) || !trustedWriters.every((k) => k instanceof PublicKey))
    throw new TypeError('unwrapForService: trustedWriters must be an array of PublicKey')
  const runtime = options.runtime ?? webRuntime
  const sessions = options.sessions ?? 'accept'
  if (header.length < HEADER_PREFIX_BYTES)
    throw new FormatError('TRUNCATED', `a header is at least ${HEADER_PREFIX_BYTES} bytes`)
  // A request carries the header alone: bytes after it would be unverified and are refused, not ignored.
  const total = headerLength(header.subarray(0, HEADER_PREFIX_BYTES))
  if (header.length > total) throw new FormatError('FORMAT_INVALID', `${header.length - total} bytes follow the header`)
  const chain = parseChain(header)
  // The writer's signature first, then every rewrapper's: nothing else is used before they all verified.
  const { signer } = verifyChain(chain, trustedWriters, sessions, runtime)
  const services = activeServices(chain)
  if (services.length === 0) throw new AuthError('NOT_A_RECIPIENT', 'the stream names no key-access service')
  const parsed = chain.root
  const backend = backendFor({}, runtime)
  // Among the active recipients, each with its layer's preamble; by fingerprint, or by trial decryption of every
  // stanza when the recipients are anonymous (format.md).
  const found = await findActive(gateway, chain, (b) => backend.sha256(b), runtime)
  if (!found) throw new AuthError('NOT_A_RECIPIENT', 'the stream wraps no keys to this gateway')
  const { index, groupKeys, macKey } = found
  const entry = services.find((s) => s.active === index)?.entry
  if (!entry) {
    macKey.fill(0)
    for (const k of groupKeys.values()) k.fill(0)
    throw new AuthError('NOT_A_RECIPIENT', "this gateway's key is a direct recipient of the stream, not a service")
  }
  // The gateway never authenticates frames: its MAC key has no use here.
  macKey.fill(0)
  try {
    for (const [id, key] of groupKeys) committedKey(key, parsed.streamId, parsed.groups[id]!.commitment!).fill(0)
    // The signed entry must describe the stanza exactly: the union of its roles' groups is the stanza's groups, so
    // the gateway can never give out, for a role, a key the writer did not assign to that role.
    const described = new Set(entry.roles.flatMap((r) => r.groups))
    if (described.size !== groupKeys.size || ![...described].every((g) => groupKeys.has(g)))
      throw new FormatError('FORMAT_INVALID', "the service entry's roles do not read exactly the stanza's groups")
  } catch (err) {
    for (const k of groupKeys.values()) k.fill(0)
    throw err
  }
  return {
    streamId: parsed.streamId.slice(),
    headerDigest: await backend.sha256(chain.bytes),
    signer: signer.fingerprint.slice(),
    url: entry.url,
    dataset: entry.dataset,
    roles: new Map(entry.roles.map((r) => [r.name, r.groups])),
    groupKeys,
  }
}
