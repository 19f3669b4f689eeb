// The audit form of a gateway principal name: an OIDC issuer never contains '#', so the first '#' ends it and a
// subject may contain '#' (the admin path, src/kas/node/admin.ts, splits the same way).
import { describe, expect, it } from 'vitest'
import { principalWho } from '../../src/kas/node/server.js'

describe('principalWho', () => {
  it('splits an OIDC principal at the first #', () => {
    expect(principalWho('oidc:https://idp.example/realms/a#team#42')).toEqual({
      oidc: { issuer: 'https://idp.example/realms/a', subject: 'team#42' },
    })
  })
  it('reads a key principal as its fingerprint', () => {
    expect(principalWho(`key:${'ab'.repeat(32)}`)).toEqual({ keyFingerprint: new Uint8Array(32).fill(0xab) })
  })
})
