/** Properties every audit event encoding must have, shared by the version 1 and version 2 suites. */
import fc from 'fast-check'
import { expect } from 'vitest'
import { type AuditEvent, decodeAuditEvent, encodeAuditEvent } from '../../src/audit/event.js'
import { FormatError } from '../../src/errors.js'
import { hex } from './memory-tree.js'

/** Canonicity: any changed byte of an encoded event is refused, or decodes to an event that encodes to it. */
export function assertCanonicalUnderByteChanges(events: fc.Arbitrary<AuditEvent>, numRuns: number): void {
  fc.assert(
    fc.property(events, fc.nat(), fc.integer({ min: 1, max: 255 }), (e, at, x) => {
      const m = encodeAuditEvent(e).slice()
      m[at % m.length]! ^= x
      let d: AuditEvent
      try {
        d = decodeAuditEvent(m)
      } catch (err) {
        expect(err).toBeInstanceOf(FormatError)
        return
      }
      expect(hex(encodeAuditEvent(d))).toBe(hex(m))
    }),
    { numRuns },
  )
}
