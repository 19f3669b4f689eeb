import { describe, expect, it } from 'vitest'
import { rewrap } from '../../src/lifecycle/rewrap.js'
import { openTable, openTableWithInfo } from '../../src/table.js'
import { alice, bob, carol, policy, sealed, steward, table, unitDigests, writer } from './helpers.js'

describe('rewrap smoke', () => {
  it('adds and removes', async () => {
    const input = await sealed()
    const out = await rewrap(input, {
      identity: steward,
      signer: steward,
      trustedSigners: [writer.publicKey],
      policy,
      add: { analysts: [carol.publicKey] },
      remove: [alice.publicKey],
    })
    expect(unitDigests(out)).toEqual(unitDigests(input))
    const ts = [writer.publicKey, steward.publicKey]
    const c = await openTableWithInfo(out, { identity: carol, trustedSigners: ts })
    expect(c.table.getChild('amount')?.toArray()).toEqual(table.getChild('amount')?.toArray())
    expect(c.table.getChild('email')).toBeNull()
    expect(c.rewrappers.map((k) => k.keyId)).toEqual([steward.publicKeyObject.keyId])
    const b = await openTable(out, { identity: bob, trustedSigners: ts })
    expect(b.getChild('email')?.toArray()).toEqual(table.getChild('email')?.toArray())
    await expect(openTable(out, { identity: alice, trustedSigners: ts })).rejects.toMatchObject({
      code: 'NOT_A_RECIPIENT',
    })
    await expect(openTable(out, { identity: bob, trustedSigners: [writer.publicKey] })).rejects.toMatchObject({
      code: 'SIGNER_UNTRUSTED',
    })
    const again = await rewrap(out, {
      identity: bob,
      signer: bob,
      trustedSigners: ts,
      remove: [carol.publicKeyObject.keyId],
    })
    await expect(openTable(again, { identity: carol, trustedSigners: [...ts, bob.publicKey] })).rejects.toMatchObject({
      code: 'NOT_A_RECIPIENT',
    })
    const s = await openTable(again, { identity: steward, trustedSigners: [...ts, bob.publicKey] })
    expect(s.numRows).toBe(3)
  })
})

describe('inspect of a rewrapped stream', () => {
  it('shows the original writer, the chain of rewrappers and the active recipients', async () => {
    const { inspect } = await import('../../src/inspect.js')
    const input = await sealed()
    const out = await rewrap(input, {
      identity: steward,
      signer: steward,
      trustedSigners: [writer.publicKey],
      policy,
      add: { analysts: [carol.publicKey] },
      remove: [alice.publicKey],
    })
    const info = inspect(out)
    expect(info.signer.keyId).toBe(writer.publicKeyObject.keyId)
    expect(info.rewraps).toEqual([
      { signer: { fingerprint: expect.any(String), keyId: steward.publicKeyObject.keyId }, kept: 2, added: 1 },
    ])
    expect(info.recipients.map((r) => r.keyId)).toEqual([steward, bob, carol].map((i) => i.publicKeyObject.keyId))
    expect(info.frames?.ended).toBe(true)
    expect(inspect(input).rewraps).toBeUndefined()
    expect(JSON.stringify(info)).not.toMatch(/SECRET/i)
  })
})
