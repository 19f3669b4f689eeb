/**
 * Header facts without keys, for security teams and tooling. Nothing here is verified: inspect reads public
 * structure only, and says so in its result.
 * @module
 */
import { decodeGroupSchema } from './arrow/index.js'
import { FormatError } from './errors.js'
import { activeServices, type HeaderChain, parseChain } from './format/chain.js'
import {
  FRAME_KIND_END,
  GROUP_FLAG_SCHEMA_REVEALED,
  GROUP_KIND_PUBLIC,
  HARD_LIMITS,
  HEADER_FLAG_ANONYMOUS,
  HEADER_FLAG_REVEAL_SCHEMA,
  HEADER_FLAG_SERVICE_ACCESS,
} from './format/constants.js'
import { parseFrame } from './format/frame.js'
import { FrameSplitter } from './format/reader.js'
import { type SessionCredential, sessionKeyId } from './format/session.js'
import { TOKEN_METADATA_KEY } from './seal/tokenise.js'

/**
 * One field as `inspect` shows it (public or revealed groups only).
 *
 * @example
 * ```ts
 * import type { InspectedField } from 'arrowseal'
 * const f: InspectedField = { name: 'id', type: 'Int32', nullable: false }
 * ```
 */
export interface InspectedField {
  readonly name: string
  readonly type: string
  readonly nullable: boolean
  /**
   * For a token column (pseudonymised view, `policy.tokens`): the dataset whose token key made its tokens. The
   * group's readers see only keyed tokens of the field of this name, not its values.
   */
  readonly tokenDataset?: string
}

/**
 * One access group as `inspect` shows it.
 *
 * @example
 * ```ts
 * import type { InspectedGroup } from 'arrowseal'
 * const g: InspectedGroup = { id: 1, kind: 'sealed', schemaBytes: 160 }
 * ```
 */
export interface InspectedGroup {
  readonly id: number
  readonly kind: 'public' | 'sealed'
  /** Size of the group's schema blob in the header. */
  readonly schemaBytes: number
  /** Field names and types, when the group is public or the writer revealed the schema. */
  readonly fields?: readonly InspectedField[]
}

/**
 * One key-access gateway (service recipient) as `inspect` shows it: where readers of its roles ask for keys.
 *
 * @example
 * ```ts
 * import type { InspectedService } from 'arrowseal'
 * const s: InspectedService = {
 *   url: 'https://kas.example', dataset: 'sales', roles: [{ name: 'analysts', groups: [1] }],
 *   recipient: { fingerprint: 'ab…', keyId: 'abcdef0123456789' },
 * }
 * ```
 */
export interface InspectedService {
  readonly url: string
  readonly dataset: string
  /** Each role the gateway serves, with the sealed groups it reads. */
  readonly roles: readonly { readonly name: string; readonly groups: readonly number[] }[]
  /** The gateway's stanza: the fingerprint and key id of the key the groups are wrapped to (null: anonymous). */
  readonly recipient: InspectedRecipient
  /**
   * Rewrapped streams only: which header named this gateway, 0 for the original writer's, _k_ for rewrap _k_ (of
   * `rewraps`, counted from 1). Gateways a later rewrap removed are not listed.
   */
  readonly layer?: number
}

/**
 * One recipient as `inspect` shows it: its key's fingerprint (hex) and key id, or nulls when the writer sealed
 * with `anonymousRecipients`, where the header names no recipient.
 *
 * @example
 * ```ts
 * import type { InspectedRecipient } from 'arrowseal'
 * const r: InspectedRecipient = { fingerprint: null, keyId: null } // anonymous
 * ```
 */
export interface InspectedRecipient {
  readonly fingerprint: string | null
  readonly keyId: string | null
}

/**
 * One rewrap of a stream as `inspect` shows it (format.md §Rewrapped streams): who signed the rewrap layer, and how
 * many recipients it kept and added.
 * @example
 * ```ts
 * import type { InspectedRewrap } from 'arrowseal'
 * const r: InspectedRewrap = { signer: { fingerprint: 'ab…', keyId: 'abcdef0123456789' }, kept: 2, added: 1 }
 * ```
 */
export interface InspectedRewrap {
  readonly signer: { readonly fingerprint: string; readonly keyId: string }
  /** Suite 2 layer: the rewrapper's writer session, as for the writer's. */
  readonly session?: { readonly keyId: string; readonly notBefore: string; readonly notAfter: string }
  /** Recipients of the previous header this layer keeps. */
  readonly kept: number
  /** Stanzas this layer adds. */
  readonly added: number
  /** When the layer added gateways: the key id of its frame key, which signs every frame too. */
  readonly frameKeyId?: string
}

/**
 * What {@link inspect} returns: plain JSON-safe data.
 *
 * @example
 * ```ts
 * import type { InspectResult } from 'arrowseal'
 * const show = (r: InspectResult) => `${r.recipients.length} recipients, ${r.groups.length} groups`
 * ```
 */
export interface InspectResult {
  readonly format: 'arrowseal'
  readonly version: number
  readonly suite: { readonly id: number; readonly name: string }
  readonly streamId: string
  /** SHA-256 fingerprint (hex) of the signer's public key, and its short key id: for a rewrapped stream, the original writer. */
  readonly signer: { readonly fingerprint: string; readonly keyId: string }
  /**
   * Suite 2 only: the writer session that signed the header (key id as in `WriterSession.sessionKeyId`, and its
   * validity window as ISO-8601 times). Absent for suite 1, where the signer's hybrid key signed it directly.
   */
  readonly session?: { readonly keyId: string; readonly notBefore: string; readonly notAfter: string }
  readonly revealSchema: boolean
  /** True when the writer left the recipients' key ids out (header flag bit 3): then every recipient shows nulls. */
  readonly anonymousRecipients: boolean
  /** One entry per active recipient, in MAC order (for a rewrapped stream: those of its last layer). */
  readonly recipients: readonly InspectedRecipient[]
  /**
   * The chain of a rewrapped stream (header flag bit 1), oldest first; absent when it was never rewrapped. A reader
   * must trust the writer and every rewrapper listed.
   */
  readonly rewraps?: readonly InspectedRewrap[]
  /**
   * Service-access streams (header flag bit 2): which roles go through which key-access gateway, and the key id
   * of the stream's frame key, which signs every frame. Absent when no recipient is a gateway. For a rewrapped
   * stream: the gateways among the active recipients, whether the writer or a rewrap named them (`frameKeyId` is
   * the writer's; a rewrap's is in `rewraps`).
   */
  readonly services?: readonly InspectedService[]
  readonly frameKeyId?: string
  readonly groups: readonly InspectedGroup[]
  /** Fields of the public group, in their original order. */
  readonly publicFields: readonly InspectedField[]
  readonly headerBytes: number
  /** Frame structure, when the whole stream was given. Counts only: rows and sizes are as declared. */
  readonly frames?: { readonly batches: number; readonly rows: number; readonly bytes: number; readonly ended: boolean }
  /** Always false: inspect checks structure, not signatures. Use openTable to verify. */
  readonly verified: false
}

/** A session credential as inspect shows it, or nothing for a hybrid signature. */
function sessionOf(session: SessionCredential | null): { session?: NonNullable<InspectResult['session']> } {
  if (!session) return {}
  return {
    session: {
      keyId: sessionKeyId(session.key),
      notBefore: new Date(session.notBefore * 1000).toISOString(),
      notAfter: new Date(session.notAfter * 1000).toISOString(),
    },
  }
}

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')

/**
 * Reads the header (and, if present, the frame structure) of sealed bytes without any key. Shows the version,
 * suite, stream id, signer and recipient key ids, the groups and their sizes, and the public schema, never
 * the names or types of hidden fields.
 *
 * @throws FormatError when the bytes are not a well-formed arrowseal header.
 * @example
 * ```ts
 * import { tableFromArrays } from 'apache-arrow'
 * import { generateIdentity, sealTable, inspect } from 'arrowseal'
 * const writer = await generateIdentity()
 * const alice = await generateIdentity()
 * const sealed = await sealTable(tableFromArrays({ id: Int32Array.from([1]) }), {
 *   signer: writer, recipients: { analysts: [alice.publicKey] }, policy: { fields: { id: 'public' } },
 * })
 * const info = inspect(sealed)
 * console.log(info.signer.keyId === writer.keyId, info.publicFields) // true [ { name: 'id', … } ]
 * ```
 */
export function inspect(bytes: Uint8Array): InspectResult {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('inspect: the argument must be a Uint8Array')
  const splitter = new FrameSplitter(HARD_LIMITS.maxFrameBytes)
  let chain: HeaderChain | undefined
  let batches = 0
  let rows = 0
  let frameBytes = 0
  let ended = false
  try {
    for (const piece of splitter.push(bytes)) {
      if (piece.type === 'header') {
        chain = parseChain(piece.bytes)
        continue
      }
      // One frame signature per header of the chain with flag bit 2: the writer's, and each rewrap's that added gateways.
      const signed =
        ((chain!.root.flags & HEADER_FLAG_SERVICE_ACCESS) !== 0 ? 1 : 0) + chain!.layers.filter((l) => l.service).length
      const frame = parseFrame(piece.bytes, chain!.root.groups.length, chain!.active.length, signed)
      frameBytes += piece.bytes.length + 4
      if (frame.kind === FRAME_KIND_END) {
        ended = true
        splitter.markEnded()
      } else {
        batches++
        rows += frame.rows
      }
    }
  } catch (err) {
    // A damaged tail still lets the header be shown; a damaged header does not.
    if (!chain || !(err instanceof FormatError)) throw err
  }
  if (!chain) throw new FormatError('TRUNCATED', 'the bytes end before the header does')
  const header = chain.root
  const fieldsOf = (blob: Uint8Array): InspectedField[] =>
    decodeGroupSchema(blob, { maxFields: HARD_LIMITS.maxFieldsPerGroup }).schema.fields.map((f) => {
      const dataset = f.metadata.get(TOKEN_METADATA_KEY)
      return {
        name: f.name,
        type: String(f.type),
        nullable: f.nullable,
        ...(dataset === undefined ? {} : { tokenDataset: dataset }),
      }
    })
  const groups: InspectedGroup[] = header.groups.map((g) => {
    const revealed = (g.flags & GROUP_FLAG_SCHEMA_REVEALED) !== 0
    const base = {
      id: g.id,
      kind: g.kind === GROUP_KIND_PUBLIC ? ('public' as const) : ('sealed' as const),
      schemaBytes: g.schema.length,
    }
    return revealed ? { ...base, fields: fieldsOf(g.schema) } : base
  })
  const id = (fp: Uint8Array) => ({ fingerprint: hex(fp), keyId: hex(fp.subarray(0, 8)) })
  const anonymous = (header.flags & HEADER_FLAG_ANONYMOUS) !== 0
  const recipient = (fp: Uint8Array): InspectedRecipient => (anonymous ? { fingerprint: null, keyId: null } : id(fp))
  const services: InspectedService[] = activeServices(chain).map(({ entry, active }) => ({
    url: entry.url,
    dataset: entry.dataset,
    roles: entry.roles.map((r) => ({ name: r.name, groups: [...r.groups] })),
    recipient: recipient(chain.active[active]!.stanza.fingerprint),
    ...(chain.layers.length > 0 ? { layer: chain.active[active]!.layer } : {}),
  }))
  return {
    format: 'arrowseal',
    version: header.version,
    suite: {
      id: header.suite,
      name: header.session
        ? 'X-Wing HPKE (HKDF-SHA256, AES-256-GCM) / AES-256-GCM / Ed25519 session certified by Ed25519+ML-DSA-65 / HMAC-SHA256'
        : 'X-Wing HPKE (HKDF-SHA256, AES-256-GCM) / AES-256-GCM / Ed25519+ML-DSA-65 / HMAC-SHA256',
    },
    streamId: hex(header.streamId),
    signer: id(header.signer),
    ...sessionOf(header.session),
    revealSchema: (header.flags & HEADER_FLAG_REVEAL_SCHEMA) !== 0,
    anonymousRecipients: anonymous,
    recipients: chain.active.map((a) => recipient(a.stanza.fingerprint)),
    ...(chain.layers.length > 0
      ? {
          rewraps: chain.layers.map((l) => ({
            signer: id(l.signer),
            ...sessionOf(l.session),
            kept: l.kept.length,
            added: l.stanzas.length,
            ...(l.service ? { frameKeyId: sessionKeyId(l.service.frameKey) } : {}),
          })),
        }
      : {}),
    ...(services.length > 0 ? { services } : {}),
    ...(header.service ? { frameKeyId: sessionKeyId(header.service.frameKey) } : {}),
    groups,
    publicFields: groups[0]?.kind === 'public' ? (groups[0].fields ?? []) : [],
    headerBytes: chain.bytes.length,
    ...(bytes.length > chain.bytes.length ? { frames: { batches, rows, bytes: frameBytes, ended } } : {}),
    verified: false,
  }
}
