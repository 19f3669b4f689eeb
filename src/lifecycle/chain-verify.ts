/**
 * Checks of a rewrapped header shared by readers (`Opener`) and rewrappers: every signature of the chain under a
 * trusted key, the original writer's first, and finding one identity's stanza among the active recipients.
 * @module
 */
import type { HeaderChain } from '../format/chain.js'
import { layerOf } from '../format/chain.js'
import type { ParsedHeader } from '../format/header.js'
import type { Identity } from '../keys/identity.js'
import type { PublicKey } from '../keys/public-key.js'
import type { LayerFrameKey } from '../seal/frame-opener.js'
import { findStanza, verifyOrigin } from '../seal/header-verify.js'
import type { SessionPolicy } from '../seal/options.js'
import type { Runtime } from '../seal/runtime.js'

/**
 * Verifies the original writer's signature over its own header, then each rewrap layer's over its bytes, every
 * signer in `signers` (format.md §Rewrapped streams, reading). Returns the writer and the rewrappers, in order.
 *
 * @throws AuthError `SIGNER_UNTRUSTED`, `SIGNATURE_INVALID`, `SESSION_REJECTED`, `SESSION_EXPIRED`.
 * @example
 * ```ts
 * const { signer, rewrappers } = verifyChain(parseChain(bytes), signers, 'accept', webRuntime)
 * ```
 */
export function verifyChain(
  chain: HeaderChain,
  signers: readonly PublicKey[],
  sessions: SessionPolicy,
  runtime: Runtime,
): { signer: PublicKey; rewrappers: PublicKey[] } {
  const signer = verifyOrigin(chain.root, signers, sessions, runtime)
  const rewrappers = chain.layers.map((layer) => verifyOrigin(layer, signers, sessions, runtime))
  return { signer, rewrappers }
}

/** One identity's active stanza, opened: its MAC position, the layer that wrapped it, its keys. */
export interface ActiveOpened {
  /** Position among the outermost header's active recipients, and so among each frame's MACs. */
  readonly index: number
  /** 0: the original writer wrapped it; k: rewrap layer k. Its MACs are bound to that header's digest. */
  readonly layer: number
  readonly groupKeys: Map<number, Uint8Array>
  readonly macKey: Uint8Array
}

/**
 * Finds and opens `identity`'s stanza among the active recipients of `chain`, each with the preamble of the layer
 * that wrapped it (by fingerprint, or by trial when recipients are anonymous). Null when it has none.
 *
 * @example
 * ```ts
 * const mine = await findActive(identity, chain, (b) => backend.sha256(b), webRuntime)
 * ```
 */
export async function findActive(
  identity: Identity,
  chain: HeaderChain,
  sha256: (bytes: Uint8Array) => Promise<Uint8Array>,
  runtime: Runtime,
): Promise<ActiveOpened | null> {
  const flags = chain.layers.at(-1)?.flags ?? chain.root.flags
  // A header whose stanzas are the active ones, for the stanza code that reads positions and group ids from it.
  const view: ParsedHeader = { ...chain.root, flags, stanzas: chain.active.map((a) => a.stanza) }
  for (let layer = 0; layer <= chain.layers.length; layer++) {
    const candidates = chain.active.flatMap((a, i) => (a.layer === layer ? [i] : []))
    if (candidates.length === 0) continue
    const found = await findStanza(identity, view, candidates, () => sha256(layerOf(chain, layer).preamble), runtime)
    if (found) return { ...found, layer }
  }
  return null
}

/**
 * The frame keys of the rewrap layers that added gateways (layer flag bit 2), oldest first, each with the digest of
 * its layer's header: every frame carries a signature by each, after the writer's (format.md §Rewrapped streams).
 *
 * @example
 * ```ts
 * const keys = await layerFrameKeys(chain, (b) => backend.sha256(b)) // [] for a stream no rewrap gave a gateway
 * ```
 */
export async function layerFrameKeys(
  chain: HeaderChain,
  sha256: (bytes: Uint8Array) => Promise<Uint8Array>,
): Promise<LayerFrameKey[]> {
  const out: LayerFrameKey[] = []
  for (const layer of chain.layers)
    if (layer.service) out.push({ frameKey: layer.service.frameKey, headerDigest: await sha256(layer.bytes) })
  return out
}
