/**
 * Key hygiene in the sealer (issue 20 item 6): every secret it draws is wiped once used, including the 64 bytes
 * of X-Wing/HPKE encapsulation randomness, which would let anyone who finds them in memory recompute the
 * stanza's shared secret and so the group keys.
 */
import { tableFromArrays } from 'apache-arrow'
import { describe, expect, it } from 'vitest'
import { Sealer } from '../../src/seal/sealer.js'
import { id, seededRandom } from '../helpers/identities.js'

describe('sealer hygiene', () => {
  it('wipes the encapsulation randomness of every stanza once the stanza is written', async () => {
    const writer = id('hygiene-writer')
    const a = id('hygiene-a')
    const b = id('hygiene-b')
    const table = tableFromArrays({ id: Int32Array.from([1, 2]), email: ['a@x.org', 'b@y.org'] })
    const drawn: Uint8Array[] = []
    const base = seededRandom(0x2020)
    const random = (n: number) => {
      const out = base(n)
      drawn.push(out)
      return out
    }
    await Sealer.create(
      table.schema,
      {
        signer: writer,
        recipients: { r: [a.publicKey], s: [b.publicKey] },
        policy: { fields: { id: 'public', email: ['r', 's'] } },
      },
      random,
    )
    const eseeds = drawn.filter((d) => d.length === 64)
    expect(eseeds).toHaveLength(2)
    for (const e of eseeds) expect(e.every((x) => x === 0)).toBe(true)
    // The group key (drawn before the stanzas; later 32-byte draws are signing randomness) is wiped as before.
    const groupKey = drawn.slice(0, drawn.indexOf(eseeds[0]!)).find((d) => d.length === 32)
    expect(groupKey?.every((x) => x === 0)).toBe(true)
  })
})
