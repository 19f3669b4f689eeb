/**
 * The rewrap engine (format.md §Rewrapped streams, writing): verifies the input header chain and the rewrapper's
 * stanza(s), plans the change, writes the new layer, then passes each frame through: checked under the
 * rewrapper's own MAC (and every frame signature), re-emitted with its body byte for byte the same, the MACs of
 * kept recipients copied and those of new recipients derived, the frame signatures copied and, when the layer adds
 * gateways, one more by the layer's frame key. One frame at a time, so memory stays bounded.
 * @module
 */

import { digestParts } from '../aead/parts.js'
import type { CryptoBackend } from '../aead/types.js'
import type { GroupLayout } from '../arrow/layout.js'
import { decodeGroupSchema } from '../arrow/schema-codec.js'
import { AuthError, FormatError } from '../errors.js'
import { ByteReader, ByteWriter, concatBytes, constantTimeEqual } from '../format/bytes.js'
import { encodeRewrapPreamble, encodeRewrapSigned, type HeaderChain, layerOf, parseChain } from '../format/chain.js'
import {
  FRAME_KIND_END,
  FRAME_SIG_BYTES,
  GROUP_FLAG_SCHEMA_REVEALED,
  GROUP_KEY_BYTES,
  GROUP_KIND_SEALED,
  HARD_LIMITS,
  HEADER_FLAG_ANONYMOUS,
  HEADER_FLAG_REVEAL_SCHEMA,
  HEADER_FLAG_REWRAP,
  HEADER_FLAG_SERVICE_ACCESS,
  LABEL,
  MAC_BYTES,
} from '../format/constants.js'
import { frameMac, SCHEMA_NONCE, schemaAad } from '../format/derive.js'
import { readFrameLayout } from '../format/frame.js'
import type { StanzaEntry } from '../format/header.js'
import { leadingParts, PartsReader } from '../format/parts-reader.js'
import type { ServiceSection } from '../format/service.js'
import { Identity } from '../keys/identity.js'
import { WriterSession } from '../keys/session.js'
import type { Ed25519 } from '../keys/sign.js'
import type { LayerFrameKey } from '../seal/frame-opener.js'
import { FrameSigner, frameKeyOf, verifyFrameSig } from '../seal/frame-sig.js'
import { committedKey } from '../seal/header-verify.js'
import { checkOpenOptions } from '../seal/options.js'
import { type RandomSource, webRandom } from '../seal/random.js'
import { backendFor, type Runtime, webRuntime } from '../seal/runtime.js'
import { sealStanza } from '../seal/stanza.js'
import { type ActiveOpened, findActive, layerFrameKeys, verifyChain } from './chain-verify.js'
import type { RewrapOptions } from './rewrap-options.js'
import { planRewrap, type RewrapPlan } from './rewrap-plan.js'

const limits = { maxFields: HARD_LIMITS.maxFieldsPerGroup }

/** How the rewrapper checks input frames: its own MAC (position, key, digest) and the writer's frame key. */
interface FrameCheck {
  readonly myIndex: number
  readonly macKey: Uint8Array
  readonly macDigest: Uint8Array
  readonly rootDigest: Uint8Array
  readonly frameKey: Uint8Array | null
  /** Frame keys of earlier layers that added gateways, with their headers' digests; their signatures are copied. */
  readonly layerKeys: readonly LayerFrameKey[]
}

/**
 * A frame parsed and placed by {@link Rewrapper.begin}, not yet checked: its body must not go anywhere before
 * {@link Rewrapper.finish} accepted it.
 * @internal
 */
export interface BegunFrame {
  readonly frame: ReturnType<typeof readFrameLayout>
  /** The body, as views of the frame's chunks. */
  readonly body: Uint8Array[]
  /** The end frame: nothing may follow it. */
  readonly end: boolean
}

/**
 * Rewraps one stream: construct with its header, then pass each frame (bytes after the length field) in order.
 *
 * @example
 * ```ts
 * const { rewrapper, header } = await Rewrapper.create(headerBytes, options)
 * const pieces = await rewrapper.frame([frameBytes]) // length field, body, new trailer
 * ```
 * @internal
 */
export class Rewrapper {
  readonly #backend: CryptoBackend
  readonly #ed: Ed25519
  readonly #check: FrameCheck
  readonly #groupCount: number
  readonly #inMacs: number
  readonly #kept: readonly number[]
  readonly #newMacKeys: readonly Uint8Array[]
  readonly #outDigest: Uint8Array
  /** This layer's frame key, when it adds gateways: it signs every frame after the earlier signatures. */
  readonly #frameSigner: FrameSigner | null
  #next = 0
  #ended = false
  /** How far {@link Rewrapper.begin} got: it may run ahead of {@link Rewrapper.finish}. */
  #begun = 0
  #beganEnd = false

  private constructor(init: {
    backend: CryptoBackend
    ed: Ed25519
    check: FrameCheck
    groupCount: number
    inMacs: number
    kept: readonly number[]
    newMacKeys: readonly Uint8Array[]
    outDigest: Uint8Array
    frameSigner: FrameSigner | null
  }) {
    this.#backend = init.backend
    this.#ed = init.ed
    this.#check = init.check
    this.#groupCount = init.groupCount
    this.#inMacs = init.inMacs
    this.#kept = init.kept
    this.#newMacKeys = init.newMacKeys
    this.#outDigest = init.outDigest
    this.#frameSigner = init.frameSigner
  }

  /** True once the end frame went through. */
  get ended(): boolean {
    return this.#ended
  }

  /**
   * Verifies the input header and writes the new one. Every refusal happens here, before any output.
   * @param random - test-only injection point for deterministic golden files; never reachable from the API.
   */
  static async create(
    headerBytes: Uint8Array,
    options: RewrapOptions,
    random: RandomSource = webRandom,
    runtime: Runtime = webRuntime,
    now: number = Date.now(),
  ): Promise<{ rewrapper: Rewrapper; header: Uint8Array }> {
    const identities = checkRewrapOptions(options)
    const { signers, sessions } = checkOpenOptions({ ...options, identity: identities[0]! })
    const backend = backendFor(options, runtime)
    const chain = parseChain(headerBytes)
    // The original writer's signature first, then every earlier rewrapper's: nothing else is used before.
    verifyChain(chain, signers, sessions, runtime)
    const opened: ActiveOpened[] = []
    for (const identity of identities) {
      const mine = await findActive(identity, chain, (b) => backend.sha256(b), runtime)
      if (mine) opened.push(mine)
    }
    if (opened.length === 0)
      throw new AuthError('NOT_A_RECIPIENT', 'no rewrapping identity is a recipient of the stream')
    const groupKeys = new Map<number, Uint8Array>()
    let frameSigner: FrameSigner | null = null
    try {
      const visible = await heldGroups(chain, opened, groupKeys, backend)
      const plan = planRewrap(chain, options, visible, new Set(groupKeys.keys()))
      const { header, newMacKeys, frameSeed } = await writeLayer(chain, plan, groupKeys, options, random, runtime, now)
      frameSigner = frameSeed ? new FrameSigner(frameSeed, runtime.ed25519) : null
      frameSeed?.fill(0)
      const first = opened[0]!
      const rootDigest = await backend.sha256(chain.root.bytes)
      const check: FrameCheck = {
        myIndex: first.index,
        macKey: first.macKey,
        macDigest: first.layer === 0 ? rootDigest : await backend.sha256(layerOf(chain, first.layer).bytes),
        rootDigest,
        frameKey: chain.root.service?.frameKey ?? null,
        layerKeys: await layerFrameKeys(chain, (b) => backend.sha256(b)),
      }
      for (const o of opened.slice(1)) o.macKey.fill(0)
      const rewrapper = new Rewrapper({
        backend,
        ed: runtime.ed25519,
        check,
        groupCount: chain.root.groups.length,
        inMacs: chain.active.length,
        kept: plan.kept,
        newMacKeys,
        outDigest: await backend.sha256(header),
        frameSigner,
      })
      return { rewrapper, header }
    } catch (err) {
      frameSigner?.wipe()
      throw err
    } finally {
      for (const o of opened) for (const k of o.groupKeys.values()) k.fill(0)
      for (const k of groupKeys.values()) k.fill(0)
    }
  }

  /**
   * Checks one input frame (its position, the rewrapper's MAC, the writer's frame signature) and returns it with
   * new authenticators, as pieces to write in order: the length field, the body and the new trailer (MACs, and the
   * writer's frame signature). The frame comes as the chunks it arrived in (bytes after its length field, one
   * view or several); the body goes out as views of them, so the units are never copied here, let alone changed.
   * Nothing of the frame is returned before all of it is checked.
   */
  async frame(parts: readonly Uint8Array[]): Promise<Uint8Array[]> {
    const begun = this.begin(parts)
    return this.finish(begun, await this.digest(begun.body))
  }

  /**
   * The first half of {@link Rewrapper.frame}: parses the frame and checks its position, without hashing it. The
   * streaming rewrap begins a few frames ahead (to hash them on another thread) and finishes them in order.
   */
  begin(parts: readonly Uint8Array[]): BegunFrame {
    if (this.#beganEnd) throw new FormatError('TRAILING_DATA', 'a frame follows the end of the stream')
    const sigsIn = this.#sigsIn()
    const r = parts.length === 1 ? new ByteReader(parts[0]!, 'frame') : new PartsReader(parts, 'frame')
    const frame = readFrameLayout(r, this.#groupCount, this.#inMacs, sigsIn)
    if (frame.index !== this.#begun)
      throw new FormatError('FRAME_OUT_OF_ORDER', `expected batch ${this.#begun}, found index ${frame.index}`)
    this.#begun++
    if (frame.kind === FRAME_KIND_END) this.#beganEnd = true
    return { frame, body: leadingParts(parts, frame.bodyLength), end: frame.kind === FRAME_KIND_END }
  }

  /** The one pass over the payload bytes: the digest both our own MAC check and the new MACs need. */
  digest(body: readonly Uint8Array[]): Promise<Uint8Array> {
    return digestParts(this.#backend, body)
  }

  /**
   * The second half of {@link Rewrapper.frame}, for frames begun in order and finished in the same order: checks
   * the frame's authenticators against `digest` (its body's SHA-256) and returns the pieces to write.
   */
  finish(begun: BegunFrame, digest: Uint8Array): Uint8Array[] {
    const { frame, body } = begun
    if (this.#ended || frame.index !== this.#next)
      throw new FormatError('FRAME_OUT_OF_ORDER', `expected batch ${this.#next}, found index ${frame.index}`)
    const c = this.#check
    const sigsIn = this.#sigsIn()
    // Nothing unverified is passed on: a frame gets new MACs only once the writer's own MAC for us verified.
    if (!constantTimeEqual(frameMac(c.macKey, c.macDigest, digest), frame.macs[c.myIndex]!))
      throw new AuthError('AUTH_FAILED')
    if (c.frameKey !== null && !verifyFrameSig(this.#ed, c.frameKey, c.rootDigest, digest, frame.signature!))
      throw new AuthError('AUTH_FAILED')
    const first = c.frameKey !== null ? 1 : 0
    for (const [i, k] of c.layerKeys.entries())
      if (!verifyFrameSig(this.#ed, k.frameKey, k.headerDigest, digest, frame.signatures[first + i]!))
        throw new AuthError('AUTH_FAILED')
    const macCount = this.#kept.length + this.#newMacKeys.length
    const sigsOut = sigsIn + (this.#frameSigner ? 1 : 0)
    const trailerLen = 2 + macCount * MAC_BYTES + sigsOut * FRAME_SIG_BYTES
    const frameLen = frame.bodyLength + trailerLen
    if (frameLen > HARD_LIMITS.maxFrameBytes)
      throw new FormatError('LIMIT_EXCEEDED', `a rewrapped frame of ${frameLen} bytes exceeds the hard limit`)
    const w = new ByteWriter(trailerLen).u16(macCount)
    for (const k of this.#kept) w.put(frame.macs[k]!)
    for (const key of this.#newMacKeys) w.put(frameMac(key, this.#outDigest, digest))
    for (const sig of frame.signatures) w.put(sig)
    // The layer's own signature, over its header's digest: what gateway readers of its services rely on.
    if (this.#frameSigner) w.put(this.#frameSigner.sign(this.#outDigest, digest))
    this.#next++
    if (frame.kind === FRAME_KIND_END) {
      this.#ended = true
      this.wipe()
    }
    return [new ByteWriter(4).u32(frameLen).done(), ...body, w.done()]
  }

  #sigsIn(): number {
    return (this.#check.frameKey !== null ? 1 : 0) + this.#check.layerKeys.length
  }

  /** Forgets the MAC keys (after the end frame, or when the stream fails). */
  wipe(): void {
    this.#check.macKey.fill(0)
    for (const k of this.#newMacKeys) k.fill(0)
    this.#frameSigner?.wipe()
  }
}

/** Validates the rewrap options that `checkOpenOptions` does not cover; returns the identities. */
function checkRewrapOptions(options: RewrapOptions): readonly Identity[] {
  if (typeof options !== 'object' || options === null) throw new TypeError('rewrap options must be an object')
  const ids = Array.isArray(options.identity) ? options.identity : [options.identity]
  if (ids.length === 0 || !ids.every((i) => i instanceof Identity))
    throw new TypeError('options.identity must be an Identity or a non-empty array of them')
  if (!(options.signer instanceof Identity) && !(options.signer instanceof WriterSession))
    throw new TypeError('options.signer must be an Identity or a WriterSession')
  if (options.add !== undefined && (typeof options.add !== 'object' || options.add === null))
    throw new TypeError('options.add must be an object mapping roles to recipients')
  return ids
}

/**
 * Gathers the group keys the rewrapper's stanzas hold (each checked against its commitment) into `into`, and
 * returns the layout of every sealed group whose schema it can see.
 */
async function heldGroups(
  chain: HeaderChain,
  opened: readonly ActiveOpened[],
  into: Map<number, Uint8Array>,
  backend: CryptoBackend,
): Promise<Map<number, GroupLayout>> {
  const root = chain.root
  for (const o of opened) for (const [id, key] of o.groupKeys) if (!into.has(id)) into.set(id, key.slice())
  const visible = new Map<number, GroupLayout>()
  for (const g of root.groups) {
    if (g.kind !== GROUP_KIND_SEALED) continue
    const key = into.get(g.id)
    const encKey = key ? committedKey(key, root.streamId, g.commitment!) : null
    if ((g.flags & GROUP_FLAG_SCHEMA_REVEALED) !== 0) visible.set(g.id, decodeGroupSchema(g.schema, limits))
    else if (encKey) {
      const aead = await backend.importKey(encKey)
      const blob = await backend.open(aead, SCHEMA_NONCE, schemaAad(root.streamId, g.id), g.schema)
      visible.set(g.id, decodeGroupSchema(blob, limits))
    }
    encKey?.fill(0)
  }
  return visible
}

/** Writes the new layer: the previous header whole, the kept list, the new stanzas, the rewrapper's signature. */
async function writeLayer(
  chain: HeaderChain,
  plan: RewrapPlan,
  groupKeys: ReadonlyMap<number, Uint8Array>,
  options: RewrapOptions,
  random: RandomSource,
  runtime: Runtime,
  now: number,
): Promise<{ header: Uint8Array; newMacKeys: Uint8Array[]; frameSeed: Uint8Array | null }> {
  const backend = backendFor(options, runtime)
  const root = chain.root
  const outer = chain.layers.at(-1)?.flags ?? root.flags
  const gateways = plan.added.some((a) => a.service)
  const flags =
    HEADER_FLAG_REWRAP |
    (outer & (HEADER_FLAG_REVEAL_SCHEMA | HEADER_FLAG_ANONYMOUS)) |
    (gateways ? HEADER_FLAG_SERVICE_ACCESS : 0)
  const anonymous = (flags & HEADER_FLAG_ANONYMOUS) !== 0
  const by = options.signer
  const session = by instanceof WriterSession ? by.credential : null
  const head = {
    flags,
    streamId: root.streamId,
    signer: by.publicKeyObject.fingerprint,
    session,
    previous: chain.bytes,
    kept: plan.kept,
  }
  const preambleDigest = await backend.sha256(encodeRewrapPreamble(head))
  // Stanza padding (format.md §Writing the header): new stanzas are as long as the longest active one, so their
  // size tells no more than the earlier ones' about how many groups a recipient reads.
  const longest = Math.max(0, ...chain.active.map((a) => Math.floor((a.stanza.payload.length - 18) / 34)))
  const slots = Math.max(longest, ...plan.added.map((a) => a.groups.length))
  const stanzaBytes = 2 + slots * (2 + GROUP_KEY_BYTES)
  const info = concatBytes(LABEL.stanzaInfo, root.streamId)
  const stanzas: StanzaEntry[] = []
  const newMacKeys: Uint8Array[] = []
  const stanzaContext = { info, stanzaBytes, preambleDigest, anonymous, random, runtime }
  for (const a of plan.added) {
    const { stanza, macKey } = sealStanza(a.key, a.groups, (g) => groupKeys.get(g)!, stanzaContext)
    stanzas.push(stanza)
    newMacKeys.push(macKey)
  }
  // Gateways added: a frame key fresh for this layer, as a writer's is per stream (format.md §Rewrapped streams).
  const frameSeed = gateways ? random(32) : null
  const service: ServiceSection | null = frameSeed
    ? {
        frameKey: frameKeyOf(frameSeed),
        services: plan.added.flatMap((a, stanzaIndex) =>
          a.service ? [{ stanzaIndex, url: a.service.url, dataset: plan.dataset, roles: a.service.roles }] : [],
        ),
      }
    : null
  try {
    const signed = encodeRewrapSigned({ ...head, stanzas, service })
    const signature =
      by instanceof WriterSession
        ? by.signHeader(signed, runtime.ed25519, now)
        : by.sign(LABEL.headerSignature, signed, random === webRandom ? undefined : random, runtime.ed25519)
    return { header: concatBytes(signed, signature), newMacKeys, frameSeed }
  } catch (err) {
    frameSeed?.fill(0)
    for (const k of newMacKeys) k.fill(0)
    throw err
  }
}
