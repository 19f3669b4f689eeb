// Version 2 audit events: the target of an administrative act (docs/format.md §Events). The worked example byte
// for byte, round trips and canonicity with random targets, and each malformed, unknown, repeated or misplaced
// target field refused.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type AuditEvent, type AuditTarget, decodeAuditEvent, encodeAuditEvent } from '../../src/audit/event.js'
import { FormatError } from '../../src/errors.js'
import { datasetProblem } from '../../src/format/service.js'
import { GOLDEN_EVENTS } from '../golden/build-audit.js'
import { propertyRuns } from '../helpers/property-runs.js'
import { assertCanonicalUnderByteChanges } from './event-properties.js'
import { hex, unhex } from './memory-tree.js'

// The version 2 worked example of docs/format.md §Events (also test/vectors/golden-audit/v2-grant-oidc.asae).
const example: AuditEvent = GOLDEN_EVENTS.find((v) => v.file === 'v2-grant-oidc.asae')!.event
const exampleHex =
  '41534145020100010302000800000' +
  '19adf1ff1a0040020' +
  'ad'.repeat(32) +
  '090009' +
  '08616e616c79737473' +
  '0a000908616e616c79737473' +
  '0b0013454e5449544c454d454e545f4752414e544544' +
  '0c0003722d37' +
  '0f001368747470733a2f2f6964702e6578616d706c65' +
  '100005752d313233' +
  '110008616e616c79737473' +
  '12000573616c6573' +
  '1300080000000000000000' +
  '1400080000019ae4463e00'

function expectInvalid(bytes: Uint8Array, why: string): void {
  let err: unknown
  try {
    decodeAuditEvent(bytes)
  } catch (e) {
    err = e
  }
  expect(err, why).toBeInstanceOf(FormatError)
  expect((err as FormatError).code, why).toBe('FORMAT_INVALID')
}

/** The fields of an encoded event, in order. */
function fieldsOf(bytes: Uint8Array): [number, Uint8Array][] {
  const out: [number, Uint8Array][] = []
  for (let pos = 5; pos < bytes.length; ) {
    const len = (bytes[pos + 1]! << 8) | bytes[pos + 2]!
    out.push([bytes[pos]!, bytes.subarray(pos + 3, pos + 3 + len)])
    pos += 3 + len
  }
  return out
}

function build(version: number, fields: [number, Uint8Array][]): Uint8Array {
  const out = [0x41, 0x53, 0x41, 0x45, version]
  for (const [t, v] of fields) out.push(t, v.length >>> 8, v.length & 0xff, ...v)
  return new Uint8Array(out)
}

/** The example's bytes with the field of `tag` replaced by `value` (null: removed), lengths fixed. */
function withField(tag: number, value: Uint8Array | null, base = unhex(exampleHex)): Uint8Array {
  const kept = fieldsOf(base).flatMap(([t, v]): [number, Uint8Array][] =>
    t !== tag ? [[t, v]] : value ? [[t, value]] : [],
  )
  return build(base[4]!, kept)
}

/** The example with its OIDC target replaced by a target key fingerprint of `fp`. */
function withTargetKey(fp: Uint8Array): Uint8Array {
  const f = fieldsOf(unhex(exampleHex)).filter(([t]) => t !== 0x0f && t !== 0x10)
  const at = f.findIndex(([t]) => t === 0x11)
  f.splice(at, 0, [0x0e, fp])
  return build(2, f)
}

const lower = 'abcdefghijklmnopqrstuvwxyz0123456789'
const token = (chars: string, min: number, max: number) =>
  fc.string({ unit: fc.constantFrom(...chars.split('')), minLength: min, maxLength: max })
const principalArb = fc.oneof(
  fc.record({ id: token(`${lower}_.:@/-`, 1, 40) }),
  fc.record({ keyFingerprint: fc.uint8Array({ minLength: 32, maxLength: 32 }) }),
  fc.record({ oidc: fc.record({ issuer: token(`${lower}:/.`, 1, 40), subject: token(`${lower}#|`, 1, 40) }) }),
)
const targetArb: fc.Arbitrary<AuditTarget> = fc
  .record(
    {
      principal: principalArb,
      role: token(lower, 1, 12),
      // Any Unicode without controls or lone surrogates, up to 256 bytes of UTF-8; "*" and "" included.
      dataset: fc.oneof(
        fc.constantFrom('*', '', '\ufeffbom', 'ventes/été', '数据/销售'),
        fc.string({ unit: 'grapheme', maxLength: 40 }).filter((s) => datasetProblem(s) === null),
      ),
      notBefore: fc.nat({ max: 2 ** 52 }),
      notAfter: fc.integer({ min: 2 ** 52 + 1, max: Number.MAX_SAFE_INTEGER }),
    },
    { requiredKeys: ['principal'] },
  )
  .filter((t) => !/SECRET-?KEY/i.test(t.dataset ?? ''))
const eventArb: fc.Arbitrary<AuditEvent> = targetArb.chain((target) =>
  fc.record({
    version: fc.constant(2 as const),
    decision: fc.constantFrom('grant', 'deny', 'admin', 'alert'),
    time: fc.nat({ max: Number.MAX_SAFE_INTEGER }),
    who: principalArb,
    rolesAsked: fc.uniqueArray(token(lower, 1, 12), { maxLength: 4 }).map((r) => r.sort()),
    rolesGranted: fc.uniqueArray(token(lower, 1, 12), { maxLength: 4 }).map((r) => r.sort()),
    reason: fc.constantFrom('ENTITLEMENT_GRANTED', 'ENTITLEMENT_REVOKED', 'PRINCIPAL_SUSPENDED'),
    requestId: token(`${lower}.-`, 1, 40),
    target: fc.constant(target),
  }),
)

describe('audit events, version 2 (targets)', () => {
  it('encodes the documented example byte for byte and decodes it back', () => {
    expect(hex(encodeAuditEvent(example))).toBe(exampleHex)
    expect(decodeAuditEvent(unhex(exampleHex))).toEqual(example)
  })

  it('round-trips every event with a target; re-encoding gives the same bytes', () => {
    fc.assert(
      fc.property(eventArb, (e) => {
        const b = encodeAuditEvent(e)
        expect(b[4]).toBe(2)
        const d = decodeAuditEvent(b)
        expect(d).toEqual(e)
        expect(hex(encodeAuditEvent(d))).toBe(hex(b))
      }),
      { numRuns: propertyRuns(300) },
    )
  })

  it('is canonical: any changed byte is refused or re-encodes to exactly the changed bytes', () => {
    assertCanonicalUnderByteChanges(eventArb, propertyRuns(500))
  })

  it('keeps a leading U+FEFF of a dataset, so its bytes re-encode exactly', () => {
    const e = { ...example, target: { ...example.target!, dataset: '\ufeffsales' } }
    const b = encodeAuditEvent(e)
    expect(decodeAuditEvent(b).target?.dataset).toBe('\ufeffsales')
    expect(hex(encodeAuditEvent(decodeAuditEvent(b)))).toBe(hex(b))
  })

  it('refuses malformed, unknown, repeated, misplaced and missing target fields', () => {
    const b = unhex(exampleHex)
    const u8 = (...v: number[]) => new Uint8Array(v)
    const ascii = (s: string) => new TextEncoder().encode(s)
    const u64 = (hi: number, lo: number) => u8(0, 0, hi >>> 8, hi & 0xff, lo >>> 24, (lo >>> 16) & 0xff, 0, lo & 0xff)
    const cases: [string, Uint8Array][] = [
      ['unknown tag 0x15', new Uint8Array([...b, 0x15, 0x00, 0x00])],
      ['repeated last tag', new Uint8Array([...b, 0x14, 0x00, 0x08, ...u64(1, 0)])],
      ['target fields in a version 1 event', build(1, fieldsOf(b))],
      ['version 2 without a target principal', withField(0x10, null, withField(0x0f, null))],
      ['half a target OIDC identity', withField(0x10, null)],
      ['target OIDC subject with a space', withField(0x10, ascii('u 123'))],
      ['target key fingerprint of 31 bytes', withTargetKey(new Uint8Array(31))],
      ['target key fingerprint and OIDC identity out of order', build(2, [...fieldsOf(b), [0x0e, new Uint8Array(32)]])],
      ['target role with a space', withField(0x11, ascii('ana lysts'))],
      ['empty target role', withField(0x11, u8())],
      ['dataset not UTF-8', withField(0x12, u8(0xc3, 0x28))],
      ['dataset with an overlong encoding', withField(0x12, u8(0xc0, 0xaf))],
      ['dataset with an encoded surrogate', withField(0x12, u8(0xed, 0xa0, 0x80))],
      ['dataset with a C0 control', withField(0x12, ascii('sa\nles'))],
      ['dataset with a C1 control', withField(0x12, u8(0x73, 0xc2, 0x85))],
      ['dataset of 257 bytes', withField(0x12, new Uint8Array(257).fill(0x61))],
      ['dataset holding a secret key marker', withField(0x12, ascii('ASEAL-SECRET-KEY-1X'))],
      ['not-before of 7 bytes', withField(0x13, new Uint8Array(7))],
      ['not-before past 2^53 - 1', withField(0x13, u8(0, 0x20, 0, 0, 0, 0, 0, 0))],
      ['not-after equal to not-before', withField(0x14, new Uint8Array(8), withField(0x13, new Uint8Array(8)))],
      ['not-after before not-before', withField(0x13, u64(0xffff, 0))],
    ]
    // Two target fields swapped (role after dataset): out of order.
    const role = [...ascii('analysts')]
    const ds = [...ascii('sales')]
    const swapped = hex(b).replace(
      `110008${hex(u8(...role))}120005${hex(u8(...ds))}`,
      `120005${hex(u8(...ds))}110008${hex(u8(...role))}`,
    )
    expect(swapped).not.toBe(hex(b))
    cases.push(['target fields out of order', unhex(swapped)])
    for (const [why, bytes] of cases) expectInvalid(bytes, why)
    // A target key principal alone, and a 256-byte dataset, are accepted: the refusals above are about the fields.
    expect(decodeAuditEvent(withTargetKey(new Uint8Array(32))).target?.principal).toEqual({
      keyFingerprint: new Uint8Array(32),
    })
    expect(decodeAuditEvent(withField(0x12, new Uint8Array(256).fill(0x61))).target?.dataset).toBe('a'.repeat(256))
  })

  it('the encoder refuses a target it cannot write canonically, and a version that does not fit the content', () => {
    const t = example.target!
    const bad: [string, AuditEvent][] = [
      ['target in version 1', { ...example, version: 1 }],
      ['version 2 without target', { ...example, target: undefined }],
      ['no principal', { ...example, target: { ...t, principal: {} } }],
      ['dataset with a control', { ...example, target: { ...t, dataset: 'a\u0085b' } }],
      ['dataset with a lone surrogate', { ...example, target: { ...t, dataset: 'a\ud800b' } }],
      ['dataset too long', { ...example, target: { ...t, dataset: 'é'.repeat(129) } }],
      ['dataset with a secret', { ...example, target: { ...t, dataset: 'my-secretkey' } }],
      ['role', { ...example, target: { ...t, role: 'a b' } }],
      ['notAfter = notBefore', { ...example, target: { ...t, notBefore: 5, notAfter: 5 } }],
      ['negative notBefore', { ...example, target: { ...t, notBefore: -1 } }],
      ['fractional notAfter', { ...example, target: { ...t, notAfter: 1.5 } }],
      ['oidc subject', { ...example, target: { ...t, principal: { oidc: { issuer: 'x', subject: '' } } } }],
    ]
    for (const [why, e] of bad) expect(() => encodeAuditEvent(e), why).toThrow(/must|needs|secret|match/)
  })
})
