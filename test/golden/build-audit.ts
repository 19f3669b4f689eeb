/**
 * Builds the frozen golden audit vectors (test/vectors/golden-audit/): audit events of version 1 (as gateways wrote
 * them before admin events had a target, including an OIDC suspension whose principal those events lost) and of
 * version 2 (admin events with a target), and a log of all of them under a checkpoint signed by a published key.
 * `test/audit/golden.test.ts` checks that the files still decode, re-encode and verify, and that this builder still
 * writes the same bytes; `scripts/make-golden-audit.ts` writes them.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { signCheckpointWith } from '../../src/audit/checkpoint.js'
import { type AuditEvent, encodeAuditEvent } from '../../src/audit/event.js'
import { exportIdentity, type Identity, identityFromSeed } from '../../src/keys/identity.js'
import { referenceRoot } from '../audit/memory-tree.js'
import { seededRandom } from '../helpers/identities.js'

/** Bumped whenever these vectors are deliberately regenerated. */
export const AUDIT_GOLDEN_VERSION = 1
export const AUDIT_GOLDEN_ORIGIN = 'golden.arrowseal.test/audit'

/** The golden log: seed byte 0xa7 repeated. Published: never use it for a real log. */
export function goldenLog(): Identity {
  return identityFromSeed(new Uint8Array(32).fill(0xa7))
}

const T = 1764680000000
const ADMIN_FP = new Uint8Array(32).fill(0xad)
const READER_FP = new Uint8Array(32).fill(0x5e)
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')

/** The events, in log order; the first is the worked example of docs/format.md §Events (version 1). */
export const GOLDEN_EVENTS: readonly {
  readonly file: string
  readonly description: string
  readonly event: AuditEvent
}[] = [
  {
    file: 'v1-grant.asae',
    description: 'version 1: the worked example of docs/format.md §Events (a grant)',
    event: {
      version: 1,
      decision: 'grant',
      time: T,
      who: { id: 'svc-billing' },
      streamId: new Uint8Array(16).fill(0x11),
      headerDigest: new Uint8Array(32).fill(0x22),
      rolesAsked: ['analysts', 'support'],
      rolesGranted: ['analysts'],
      reason: 'POLICY_MATCH',
      requestId: 'req-42',
    },
  },
  {
    file: 'v1-admin-key.asae',
    description: 'version 1: an admin grant as gateways wrote it before targets (the key principal in who.id)',
    event: {
      version: 1,
      decision: 'admin',
      time: T + 1000,
      who: { id: `key:${hex(READER_FP)}`, keyFingerprint: ADMIN_FP },
      rolesAsked: ['analysts'],
      rolesGranted: ['analysts'],
      reason: 'ENTITLEMENT_GRANTED',
      requestId: 'r-000000000000000000000001',
    },
  },
  {
    file: 'v1-admin-oidc.asae',
    description:
      'version 1: an admin suspension of an OIDC principal as gateways wrote it before targets (no principal)',
    event: {
      version: 1,
      decision: 'admin',
      time: T + 2000,
      who: { keyFingerprint: ADMIN_FP },
      rolesAsked: [],
      rolesGranted: [],
      reason: 'PRINCIPAL_SUSPENDED',
      requestId: 'r-000000000000000000000002',
    },
  },
  {
    file: 'v1-alert-oidc.asae',
    description: 'version 1: an alert naming an OIDC principal',
    event: {
      version: 1,
      decision: 'alert',
      time: T + 3000,
      who: { oidc: { issuer: 'https://idp.example', subject: 'u-123' } },
      rolesAsked: [],
      rolesGranted: [],
      reason: 'ALERT_DENIAL_BURST',
      requestId: 'r-000000000000000000000003',
    },
  },
  {
    file: 'v2-grant-oidc.asae',
    description: 'version 2: the worked example of docs/format.md §Events (an admin grant to an OIDC subject)',
    event: {
      version: 2,
      decision: 'admin',
      time: T + 4000,
      who: { keyFingerprint: ADMIN_FP },
      rolesAsked: ['analysts'],
      rolesGranted: ['analysts'],
      reason: 'ENTITLEMENT_GRANTED',
      requestId: 'r-7',
      target: {
        principal: { oidc: { issuer: 'https://idp.example', subject: 'u-123' } },
        role: 'analysts',
        dataset: 'sales',
        notBefore: 0,
        notAfter: T + 86_400_000,
      },
    },
  },
  {
    file: 'v2-revoke-key.asae',
    description: 'version 2: an admin revocation of a key principal for every dataset',
    event: {
      version: 2,
      decision: 'admin',
      time: T + 5000,
      who: { keyFingerprint: ADMIN_FP },
      rolesAsked: ['support'],
      rolesGranted: [],
      reason: 'ENTITLEMENT_REVOKED',
      requestId: 'r-000000000000000000000005',
      target: { principal: { keyFingerprint: READER_FP }, role: 'support', dataset: '*' },
    },
  },
  {
    file: 'v2-grant-key-utf8.asae',
    description: 'version 2: an admin grant of a non-ASCII dataset, without an end',
    event: {
      version: 2,
      decision: 'admin',
      time: T + 6000,
      who: { keyFingerprint: ADMIN_FP },
      rolesAsked: ['analysts'],
      rolesGranted: ['analysts'],
      reason: 'ENTITLEMENT_GRANTED',
      requestId: 'r-000000000000000000000006',
      target: { principal: { keyFingerprint: READER_FP }, role: 'analysts', dataset: 'ventes/été', notBefore: T },
    },
  },
  {
    file: 'v2-suspend-oidc.asae',
    description: "version 2: an admin suspension of an OIDC subject containing '#'",
    event: {
      version: 2,
      decision: 'admin',
      time: T + 7000,
      who: { keyFingerprint: ADMIN_FP },
      rolesAsked: [],
      rolesGranted: [],
      reason: 'PRINCIPAL_SUSPENDED',
      requestId: 'r-000000000000000000000007',
      target: { principal: { oidc: { issuer: 'https://idp.example', subject: 'team#42' } } },
    },
  },
]

export interface AuditGoldenManifest {
  readonly auditGoldenVersion: number
  readonly note: string
  readonly log: {
    readonly seedByte: number
    readonly secretKey: string
    readonly publicKey: string
    readonly origin: string
  }
  readonly events: readonly { readonly file: string; readonly description: string; readonly sha256: string }[]
  readonly checkpoint: { readonly file: string; readonly size: number; readonly root: string }
}

/** Every file of the set (name → bytes) and its manifest. */
export async function buildAuditGolden(): Promise<{ files: Map<string, Uint8Array>; manifest: AuditGoldenManifest }> {
  const files = new Map<string, Uint8Array>()
  const entries = GOLDEN_EVENTS.map((v) => {
    const bytes = encodeAuditEvent(v.event)
    files.set(v.file, bytes)
    return bytes
  })
  const root = referenceRoot(entries)
  const log = goldenLog()
  const note = await signCheckpointWith(
    { origin: AUDIT_GOLDEN_ORIGIN, size: entries.length, root },
    log,
    seededRandom(0xa7),
  )
  files.set('checkpoint.note', new TextEncoder().encode(note))
  const manifest: AuditGoldenManifest = {
    auditGoldenVersion: AUDIT_GOLDEN_VERSION,
    note: 'Frozen arrowseal audit events (versions 1 and 2) and a log of them, in this order, under checkpoint.note. The log key is published: never use it for a real log.',
    log: { seedByte: 0xa7, secretKey: exportIdentity(log), publicKey: log.publicKey, origin: AUDIT_GOLDEN_ORIGIN },
    events: GOLDEN_EVENTS.map((v, i) => ({
      file: v.file,
      description: v.description,
      sha256: hex(sha256(entries[i]!)),
    })),
    checkpoint: { file: 'checkpoint.note', size: entries.length, root: hex(root) },
  }
  return { files, manifest }
}
