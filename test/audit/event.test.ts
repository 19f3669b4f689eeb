import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type AuditEvent, decodeAuditEvent, encodeAuditEvent, MAX_AUDIT_EVENT_BYTES } from '../../src/audit/event.js'
import { FormatError } from '../../src/errors.js'
import { exportIdentity } from '../../src/keys/identity.js'
import { id } from '../helpers/identities.js'
import { assertCanonicalUnderByteChanges } from './event-properties.js'
import { hex, unhex } from './memory-tree.js'

// The worked example of docs/format.md §Audit log / Events.
const example: AuditEvent = {
  version: 1,
  decision: 'grant',
  time: 1764680000000,
  who: { id: 'svc-billing' },
  streamId: new Uint8Array(16).fill(0x11),
  headerDigest: new Uint8Array(32).fill(0x22),
  rolesAsked: ['support', 'analysts'],
  rolesGranted: ['analysts'],
  reason: 'POLICY_MATCH',
  requestId: 'req-42',
}
const exampleHex =
  '4153414501010001010200080000019adf1fe20003000b7376632d62696c6c696e6707001011111111111111111111111111111111' +
  '080020222222222222222222222222222222222222222222222222222222222222222209001108616e616c7973747307737570706f7274' +
  '0a000908616e616c797374730b000c504f4c4943595f4d415443480c00067265712d3432'

function expectFormat(fn: () => unknown, code = 'FORMAT_INVALID'): void {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(FormatError)
    expect((err as FormatError).code).toBe(code)
    return
  }
  throw new Error(`expected ${code}`)
}

const token = (chars: string, min: number, max: number) =>
  fc.string({ unit: fc.constantFrom(...chars.split('')), minLength: min, maxLength: max })
const lower = 'abcdefghijklmnopqrstuvwxyz0123456789'
const eventArb: fc.Arbitrary<AuditEvent> = fc.record(
  {
    version: fc.constant(1 as const),
    decision: fc.constantFrom('grant', 'deny', 'admin', 'alert'),
    time: fc.nat({ max: Number.MAX_SAFE_INTEGER }),
    who: fc.oneof(
      fc.record({ id: token(`${lower}_.:@/-`, 1, 40) }),
      fc.record({ keyFingerprint: fc.uint8Array({ minLength: 32, maxLength: 32 }) }),
      fc.record({ oidc: fc.record({ issuer: token(`${lower}:/.`, 1, 40), subject: token(lower, 1, 40) }) }),
    ),
    streamId: fc.uint8Array({ minLength: 16, maxLength: 16 }),
    headerDigest: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    rolesAsked: fc.uniqueArray(token(lower, 1, 12), { maxLength: 6 }),
    rolesGranted: fc.uniqueArray(token(lower, 1, 12), { maxLength: 6 }),
    reason: token('ABCDEFGHIJKLMNOPQRSTUVWXYZ_', 1, 20).filter((s) => /^[A-Z]/.test(s)),
    requestId: token(`${lower}.-`, 1, 40),
  },
  { requiredKeys: ['version', 'decision', 'time', 'who', 'rolesAsked', 'rolesGranted', 'reason', 'requestId'] },
)

const sortRoles = (e: AuditEvent): AuditEvent => ({
  ...e,
  rolesAsked: [...e.rolesAsked].sort(),
  rolesGranted: [...e.rolesGranted].sort(),
})

describe('audit events', () => {
  it('encodes the documented example byte for byte and decodes it back', () => {
    const bytes = encodeAuditEvent(example)
    expect(hex(bytes)).toBe(exampleHex)
    expect(decodeAuditEvent(unhex(exampleHex))).toEqual(sortRoles(example))
  })

  it('round-trips every valid event; re-encoding gives the same bytes', () => {
    fc.assert(
      fc.property(eventArb, (e) => {
        const b = encodeAuditEvent(e)
        const d = decodeAuditEvent(b)
        expect(d).toEqual(sortRoles(e))
        expect(hex(encodeAuditEvent(d))).toBe(hex(b))
      }),
      { numRuns: 300 },
    )
  })

  it('is canonical: any changed byte is refused or re-encodes to exactly the changed bytes', () => {
    assertCanonicalUnderByteChanges(eventArb, 500)
  })

  it('refuses non-canonical and malformed encodings', () => {
    const b = unhex(exampleHex)
    const cases: Uint8Array[] = [
      b.subarray(0, b.length - 1), // cut short
      new Uint8Array([...b, 0x0d, 0x00, 0x00]), // unknown tag
      new Uint8Array([...b, 0x0c, 0x00, 0x01, 0x41]), // repeated last tag
      new Uint8Array([0x41, 0x53, 0x41, 0x46, ...b.subarray(4)]), // magic
      b.subarray(0, 5), // no fields at all
    ]
    // Swap the first two fields (decision, time): out of order.
    const swapped = new Uint8Array([...b.subarray(0, 5), ...b.subarray(9, 20), ...b.subarray(5, 9), ...b.subarray(20)])
    cases.push(swapped)
    // Unsorted roles: rewrite the rolesAsked list as "support, analysts".
    const e2 = hex(b).replace('09001108616e616c7973747307737570706f7274', '09001107737570706f727408616e616c79737473')
    cases.push(unhex(e2))
    // Lower-case reason.
    cases.push(unhex(hex(b).replace('504f4c4943595f4d41544348', '706f6c6963795f6d61746368')))
    for (const c of cases) expectFormat(() => decodeAuditEvent(c))
    for (const v of [0, 3, 255]) {
      expectFormat(() => decodeAuditEvent(new Uint8Array([0x41, 0x53, 0x41, 0x45, v])), 'FORMAT_UNSUPPORTED')
    }
    expectFormat(() => decodeAuditEvent(new Uint8Array(MAX_AUDIT_EVENT_BYTES + 1)))
  })

  it('cannot carry free text, a secret key or field values', () => {
    const secret = exportIdentity(id('someone'))
    const bad: Partial<AuditEvent>[] = [
      { requestId: secret.slice(0, 100) },
      { who: { id: `x-${secret.slice(0, 60)}` } },
      { requestId: 'has space' },
      { reason: 'free text reason' },
      { reason: 'lower_case' },
      { rolesAsked: ['role with space'] },
      { who: {} },
      { who: { keyFingerprint: new Uint8Array(31) } },
      { streamId: new Uint8Array(17) },
      { headerDigest: new Uint8Array(64) },
      { time: -1 },
      { time: 2 ** 53 },
      { decision: 'maybe' as AuditEvent['decision'] },
      { rolesAsked: Array.from({ length: 65 }, (_, i) => `r${i}`) },
    ]
    for (const patch of bad) {
      expect(() => encodeAuditEvent({ ...example, ...patch } as AuditEvent), JSON.stringify(patch)).toThrow(
        /must|match|secret|more than|needs/,
      )
    }
    expect(secret.startsWith('ASEAL-SECRET-KEY-')).toBe(true)
  })
})
