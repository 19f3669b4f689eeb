/**
 * Constants of format v1: magic, version, suite, labels and hard limits. `docs/format.md` is the normative spec;
 * every value here appears there.
 * @module
 */

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s)

/** "ASEAL" CR LF SUB: like PNG's signature, it detects text-mode transfers that rewrite line endings. */
export const MAGIC: Uint8Array = Uint8Array.of(0x41, 0x53, 0x45, 0x41, 0x4c, 0x0d, 0x0a, 0x1a)
export const FORMAT_VERSION = 1
/** Suite 1: X-Wing HPKE base mode (HKDF-SHA256, AES-256-GCM), AES-256-GCM units, Ed25519+ML-DSA-65, HMAC-SHA256. */
export const SUITE_V1 = 0x0001
/**
 * Suite 2: suite 1 with a writer session: the header carries a session credential (an Ed25519 key certified by
 * the writer's hybrid Ed25519+ML-DSA-65 key) and is signed by that session key alone (format.md §Suite 2).
 */
export const SUITE_SESSION = 0x0002

/** Header flag bits. */
export const HEADER_FLAG_REVEAL_SCHEMA = 0x0001
/**
 * Bit 2: the header carries a service section (gateway recipients, format.md §Service recipients) and every frame
 * ends with a signature by the stream's frame key.
 */
export const HEADER_FLAG_SERVICE_ACCESS = 0x0004
/**
 * Bit 3: anonymous recipients. Every stanza's fingerprint is 32 zero bytes, so the header names no recipient key;
 * readers find their stanza by trial decryption (format.md §Anonymous recipients).
 */
export const HEADER_FLAG_ANONYMOUS = 0x0008
export const HEADER_FLAGS_KNOWN = HEADER_FLAG_REVEAL_SCHEMA | HEADER_FLAG_SERVICE_ACCESS | HEADER_FLAG_ANONYMOUS
/**
 * Bit 1: a rewrap layer (format.md §Rewrapped streams). The body embeds the previous header whole and lists which of
 * its recipients stay, then the rewrapper's new stanzas. A v1 header parser (`parseHeader`) refuses it as unknown;
 * only `parseChain` reads it.
 */
export const HEADER_FLAG_REWRAP = 0x0002
/**
 * Flags a rewrap layer may carry: bit 1, bits 0 and 3 copied from the header it embeds, and bit 2 when the layer
 * adds gateway recipients (its own service section and frame key, format.md §Rewrapped streams).
 */
export const REWRAP_FLAGS_KNOWN =
  HEADER_FLAG_REWRAP | HEADER_FLAG_REVEAL_SCHEMA | HEADER_FLAG_ANONYMOUS | HEADER_FLAG_SERVICE_ACCESS
/** Rewrap layers around one original header, at most (a reader refuses deeper nesting: `LIMIT_EXCEEDED`). */
export const MAX_REWRAP_DEPTH = 8

export const GROUP_KIND_PUBLIC = 0
export const GROUP_KIND_SEALED = 1
/** Group flag: the group's schema blob is plaintext (always for public groups; for sealed ones with revealSchema). */
export const GROUP_FLAG_SCHEMA_REVEALED = 0x01

export const FRAME_KIND_BATCH = 1
export const FRAME_KIND_END = 2

/** Unit flag: the unit's payload is deflate-compressed (raw DEFLATE, with a u32 length prefix). */
export const UNIT_FLAG_DEFLATE = 0x01

export const STREAM_ID_BYTES = 16
export const FINGERPRINT_BYTES = 32
export const GROUP_KEY_BYTES = 32
export const COMMITMENT_BYTES = 32
export const XWING_ENC_BYTES = 1120
export const TAG_BYTES = 16
export const MAC_BYTES = 16
/** Ed25519 public key of a stream's frame key, and the frame signature it makes. */
export const FRAME_KEY_BYTES = 32
export const FRAME_SIG_BYTES = 64
export const SIGNATURE_BYTES = 64 + 3309
/** Suite 2's header signature: Ed25519 by the session key. */
export const SESSION_SIGNATURE_BYTES = 64
/** Suite 2's credential: session key (32), not_before (u64), not_after (u64), hybrid certificate. */
export const SESSION_CREDENTIAL_BYTES = 32 + 8 + 8 + SIGNATURE_BYTES
/** Longest session a reader accepts: 7 days, in seconds. */
export const MAX_SESSION_SECONDS = 7 * 24 * 3600
/** Clock skew a reader allows when it checks a session's window against its own clock. */
export const SESSION_CLOCK_SKEW_SECONDS = 300

/** Fixed-size prefix: magic, version, suite, body length. */
export const HEADER_PREFIX_BYTES = MAGIC.length + 1 + 2 + 4

/** Domain-separation labels. Each use of a key or hash has its own (format.md §Labels). */
export const LABEL = {
  headerSignature: 'header',
  /** Hybrid signature label of a session credential (the long-term key certifies a session key). */
  sessionCredential: 'session credential',
  /** Signature label of a suite-2 header, signed by the session key. */
  sessionHeaderSignature: 'session header',
  stanzaInfo: ascii('arrowseal/v1 stanza'),
  macExport: ascii('arrowseal/v1 frame mac'),
  groupKey: ascii('arrowseal/v1 group key'),
  groupCommit: ascii('arrowseal/v1 group commit'),
  schemaAad: ascii('arrowseal/v1 schema'),
  unitAad: ascii('arrowseal/v1 unit'),
  frameMac: ascii('arrowseal/v1 frame'),
  /** Signature label of a frame signature (service-access streams), made by the stream's frame key. */
  frameSignature: 'frame',
} as const

/**
 * Bounds of the service section (format.md §Service recipients). Readers refuse anything outside them while
 * parsing, before allocating for it; writers refuse a recipients list that would exceed them (`POLICY_INVALID`).
 */
export const SERVICE_LIMITS = Object.freeze({
  maxServices: 16,
  maxUrlBytes: 2048,
  maxDatasetBytes: 256,
  maxRolesPerService: 1024,
} as const)

/**
 * Hard limits. A reader refuses anything larger before allocating for it (DESIGN property 9). Readers may
 * lower `maxFrameBytes`; nobody can raise a limit past these values. The object is frozen.
 *
 * @example
 * ```ts
 * import { HARD_LIMITS } from 'arrowseal'
 * console.log(HARD_LIMITS.maxRecipients) // 1024
 * ```
 */
export const HARD_LIMITS = Object.freeze({
  maxHeaderBytes: 16 * 1024 * 1024,
  maxRecipients: 1024,
  maxGroups: 1024,
  maxFieldsPerGroup: 65_536,
  maxSchemaBytes: 4 * 1024 * 1024,
  maxFrameBytes: 1024 * 1024 * 1024,
  /** Batch indexes are u64 on the wire; we stop at 2^32 - 1 batches, far below AES-GCM's nonce space. */
  maxBatches: 0xffff_ffff,
  maxRowsPerBatch: 0x7fff_ffff,
  /**
   * Bytes sealed under one group key. 2^40 bytes = 2^36 AES blocks keeps the AES-GCM distinguishing advantage
   * near 2^-56 (draft-irtf-cfrg-aead-limits, §5.1), so the writer refuses to go further in one stream.
   */
  maxBytesPerKey: 2 ** 40,
} as const)

/** Default frame limit for readers: generous for 64k-row batches, small enough to bound memory. */
export const DEFAULT_MAX_FRAME_BYTES = 256 * 1024 * 1024
