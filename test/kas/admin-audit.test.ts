// Admin acts through the real gateway (HTTP on loopback, each store backend): every grant, revocation, suspension
// and unsuspension is audited with a version 2 event whose `who` is the admin and whose `target` names the principal
// acted on (OIDC issuer and subject, or key fingerprint) with the entitlement's role, dataset and validity. A
// command whose event could not be written is refused before the store changes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type AuditEvent, decodeAuditEvent } from '../../src/audit/event.js'
import type { AdminAction } from '../../src/kas/admin-command.js'
import { keyPrincipal } from '../../src/kas/protocol.js'
import { BACKENDS } from '../store/backends.js'
import { admin, adminId, type Running, readerId, startGateway } from './gateway-helpers.js'

const ISSUER = 'https://idp.example/realms/a'
const oidc = (subject: string) => `oidc:${ISSUER}#${subject}`

for (const backend of BACKENDS) {
  describe.skipIf(backend.skip !== null)(`admin audit events (${backend.name})`, () => {
    let g: Running
    beforeAll(async () => {
      g = await startGateway(backend.fresh())
    })
    afterAll(async () => {
      await g?.close()
      await backend.cleanup()
    })

    /** Sends one admin command, which must succeed, and returns the one event it appended. */
    async function acted(action: AdminAction): Promise<AuditEvent> {
      const before = await g.log.size()
      const res = await admin(g.url, action)
      expect(res.status, JSON.stringify(await res.clone().json())).toBe(200)
      expect(await g.log.size()).toBe(before + 1)
      return decodeAuditEvent(await g.log.entry(before))
    }

    // Lists everything and filters here: a listing that names a principal the log cannot record is refused too.
    async function entitlements(principal: string): Promise<unknown[]> {
      const res = await admin(g.url, { action: 'list' })
      const { entitlements } = (await res.json()) as { entitlements: { principal: string }[] }
      return entitlements.filter((e) => e.principal === principal)
    }

    it('grant, revoke, suspend and unsuspend of an OIDC subject name its issuer and subject', async () => {
      const principal = { oidc: { issuer: ISSUER, subject: 'u-123' } }
      const admin = { keyFingerprint: adminId.fingerprint }
      const grant = await acted({
        action: 'grant',
        principal: oidc('u-123'),
        role: 'analysts',
        dataset: 'sales',
        notBefore: 1000,
        notAfter: 2_000_000_000_000,
      })
      expect(grant).toMatchObject({
        version: 2,
        decision: 'admin',
        who: admin,
        reason: 'ENTITLEMENT_GRANTED',
        rolesGranted: ['analysts'],
        target: { principal, role: 'analysts', dataset: 'sales', notBefore: 1000, notAfter: 2_000_000_000_000 },
      })
      expect(grant.who.id).toBeUndefined()
      const revoke = await acted({ action: 'revoke', principal: oidc('u-123'), role: 'analysts', dataset: 'sales' })
      expect(revoke).toMatchObject({ version: 2, who: admin, reason: 'ENTITLEMENT_REVOKED', rolesGranted: [] })
      expect(revoke.target).toEqual({ principal, role: 'analysts', dataset: 'sales' })
      const suspend = await acted({ action: 'suspend', principal: oidc('u-123'), reason: 'left the team' })
      expect(suspend).toMatchObject({ version: 2, who: admin, reason: 'PRINCIPAL_SUSPENDED' })
      expect(suspend.target).toEqual({ principal })
      const unsuspend = await acted({ action: 'unsuspend', principal: oidc('u-123') })
      expect(unsuspend).toMatchObject({ version: 2, who: admin, reason: 'PRINCIPAL_UNSUSPENDED' })
      expect(unsuspend.target).toEqual({ principal })
    })

    it('a listing is audited too: with the principal asked about, or without a target for everything', async () => {
      const one = await acted({ action: 'list', principal: oidc('u-123') })
      expect(one).toMatchObject({ version: 2, decision: 'admin', reason: 'ENTITLEMENTS_LISTED', rolesGranted: [] })
      expect(one.who).toEqual({ keyFingerprint: adminId.fingerprint })
      expect(one.target).toEqual({ principal: { oidc: { issuer: ISSUER, subject: 'u-123' } } })
      const all = await acted({ action: 'list' })
      expect(all).toMatchObject({ version: 1, decision: 'admin', reason: 'ENTITLEMENTS_LISTED' })
      expect(all.target).toBeUndefined()
    })

    it('a grant without an end, to every dataset, names notBefore 0 and no notAfter', async () => {
      const e = await acted({ action: 'grant', principal: oidc('u-9'), role: 'support', dataset: '*' })
      expect(e.target).toEqual({
        principal: { oidc: { issuer: ISSUER, subject: 'u-9' } },
        role: 'support',
        dataset: '*',
        notBefore: 0,
      })
    })

    it('a key principal is named by its fingerprint, and an OIDC subject may contain "#"', async () => {
      const key = await acted({ action: 'suspend', principal: keyPrincipal(readerId.publicKeyObject) })
      expect(key.target).toEqual({ principal: { keyFingerprint: readerId.fingerprint } })
      expect(key.who).toEqual({ keyFingerprint: adminId.fingerprint })
      const hash = await acted({ action: 'grant', principal: oidc('team#42'), role: 'analysts', dataset: 'été/ventes' })
      expect(hash.target?.principal).toEqual({ oidc: { issuer: ISSUER, subject: 'team#42' } })
      expect(hash.target?.dataset).toBe('été/ventes')
    })

    it('refuses, before any change, a command whose event the log could not hold', async () => {
      // The dataset rule is the header format's, checked first with its own message; anything else the event
      // grammar refuses is caught by encoding the event before the store changes.
      const DATASET = '"dataset" is missing or malformed'
      const UNRECORDABLE = 'the command names a principal, role or dataset an audit event cannot record'
      const cases: [string, AdminAction, string][] = [
        ['C1 control', { action: 'grant', principal: oidc('u-1'), role: 'r', dataset: 'a\u0085b' }, DATASET],
        ['257 bytes', { action: 'grant', principal: oidc('u-1'), role: 'r', dataset: 'd'.repeat(257) }, DATASET],
        ['129 "é"', { action: 'revoke', principal: oidc('u-1'), role: 'r', dataset: 'é'.repeat(129) }, DATASET],
        ['secret', { action: 'grant', principal: oidc('ASEAL-SECRET-KEY-1'), role: 'r', dataset: 'x' }, UNRECORDABLE],
        [
          'secret dataset',
          { action: 'grant', principal: oidc('u-1'), role: 'r', dataset: 'a-secretkey' },
          UNRECORDABLE,
        ],
        ['suspend secret', { action: 'suspend', principal: oidc('my-secretkey') }, UNRECORDABLE],
      ]
      for (const [why, action, message] of cases) {
        const before = await g.log.size()
        const res = await admin(g.url, action)
        const { error } = (await res.json()) as { error: { code: string; message: string } }
        expect([res.status, error.code, error.message], why).toEqual([400, 'KAS_REQUEST_INVALID', message])
        expect(await g.log.size(), why).toBe(before)
        if (action.action !== 'list') expect(await entitlements(action.principal), why).toEqual([])
      }
      const listed = (await (await admin(g.url, { action: 'list' })).json()) as { suspensions: { principal: string }[] }
      expect(listed.suspensions.map((s) => s.principal)).not.toContain(oidc('my-secretkey'))
    })
  })
}
