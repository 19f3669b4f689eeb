/**
 * Public vectors in Chromium (sources: test/vectors/README.md), through the code the browser bundle runs:
 * X-Wing draft vectors through src/keys/xwing.ts, the HPKE-PQ key schedule for kem_id 0x647a through
 * src/keys/hpke.ts, Wycheproof AES-256-GCM on the WebCrypto backend, Wycheproof X25519 (all-zero shared secrets
 * refused), Ed25519 (strict) and ML-DSA-65 verification.
 */
import { chacha20poly1305 } from '@noble/ciphers/chacha.js'
import { ed25519 } from '@noble/curves/ed25519.js'
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js'
import { describe, expect, it } from 'vitest'
import { defaultBackend } from '../../src/aead/default.js'
import { type HpkeAead, setupBaseR, setupBaseS } from '../../src/keys/hpke.js'
import {
  nobleX25519,
  prepareXWingPublicKey,
  xwingDecapsulate,
  xwingEncapsulate,
  xwingKeygen,
} from '../../src/keys/xwing.js'
import hpkeJson from '../vectors/hpke-pq-draft-ietf-hpke-pq.json' with { type: 'json' }
import gcmJson from '../vectors/wycheproof-aes_gcm_test.json' with { type: 'json' }
import edJson from '../vectors/wycheproof-ed25519_test.json' with { type: 'json' }
import mldsaJson from '../vectors/wycheproof-mldsa_65_verify_test.json' with { type: 'json' }
import x25519Json from '../vectors/wycheproof-x25519_test.json' with { type: 'json' }
import xwingJson from '../vectors/xwing-draft-connolly-cfrg-xwing-kem.json' with { type: 'json' }

const hex = (s: string) => Uint8Array.from(s.match(/../g) ?? [], (b) => Number.parseInt(b, 16))
const toHex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')

interface WTest {
  tcId: number
  result: 'valid' | 'invalid' | 'acceptable'
  [k: string]: unknown
}
interface WFile<G> {
  numberOfTests: number
  testGroups: (G & { tests: WTest[] })[]
}

describe('public vectors in the browser', () => {
  it('X-Wing draft vectors: keygen, encapsulate, decapsulate', () => {
    const xv = xwingJson as { seed: string; eseed: string; ss: string; pk: string; ct: string }[]
    expect(xv.length).toBe(3)
    for (const v of xv) {
      const { publicKey, secretKey } = xwingKeygen(hex(v.seed), nobleX25519)
      expect(toHex(publicKey)).toBe(v.pk)
      const { cipherText, sharedSecret } = xwingEncapsulate(prepareXWingPublicKey(publicKey), hex(v.eseed))
      expect(toHex(cipherText)).toBe(v.ct)
      expect(toHex(sharedSecret)).toBe(v.ss)
      expect(toHex(xwingDecapsulate(hex(v.ct), secretKey))).toBe(v.ss)
    }
  })

  it('HPKE-PQ key schedule for kem_id 0x647a: every encryption and export', () => {
    interface V {
      kem_id: number
      kdf_id: number
      info: string
      ikmE: string
      skRm: string
      pkRm: string
      enc: string
      encryptions: { aad: string; ct: string; pt: string }[]
      exports: { exporter_context: string; L: number; exported_value: string }[]
    }
    const xs = (hpkeJson as V[]).filter((v) => v.kem_id === 0x647a && v.kdf_id === 1)
    expect(xs.length).toBe(1)
    // The draft's vector uses ChaCha20-Poly1305; only the suite id and Nk/Nn depend on the AEAD.
    const chacha: HpkeAead = {
      id: 3,
      keyLength: 32,
      nonceLength: 12,
      tagLength: 16,
      seal: (k, n, a, p) => chacha20poly1305(k, n, a).encrypt(p),
      open: (k, n, a, c) => chacha20poly1305(k, n, a).decrypt(c),
    }
    for (const v of xs) {
      const s = setupBaseS(hex(v.pkRm), hex(v.info), { eseed: hex(v.ikmE), aead: chacha })
      expect(toHex(s.enc)).toBe(v.enc)
      const sk = xwingKeygen(hex(v.skRm)).secretKey
      const r = setupBaseR({ decapsulate: (enc) => xwingDecapsulate(enc, sk) }, hex(v.enc), hex(v.info), {
        aead: chacha,
      })
      for (const e of v.encryptions) {
        expect(toHex(s.seal(hex(e.aad), hex(e.pt)))).toBe(e.ct)
        expect(toHex(r.open(hex(e.aad), hex(e.ct)))).toBe(e.pt)
      }
      for (const e of v.exports) expect(toHex(r.export(hex(e.exporter_context), e.L))).toBe(e.exported_value)
    }
  })

  it('Wycheproof AES-256-GCM (96-bit IV) on the WebCrypto backend', async () => {
    const backend = defaultBackend()
    expect(backend.name).toBe('webcrypto')
    const file = gcmJson as unknown as WFile<{ keySize: number; ivSize: number; tagSize: number }>
    let valid = 0
    let invalid = 0
    for (const g of file.testGroups) {
      if (g.keySize !== 256 || g.ivSize !== 96 || g.tagSize !== 128) continue
      for (const t of g.tests as (WTest & Record<'key' | 'iv' | 'aad' | 'msg' | 'ct' | 'tag', string>)[]) {
        const key = await backend.importKey(hex(t.key))
        const ctTag = hex(t.ct + t.tag)
        if (t.result === 'valid') {
          expect(toHex(await backend.seal(key, hex(t.iv), hex(t.aad), hex(t.msg))), `tcId ${t.tcId}`).toBe(t.ct + t.tag)
          expect(toHex(await backend.open(key, hex(t.iv), hex(t.aad), ctTag))).toBe(t.msg)
          valid++
        } else {
          await expect(backend.open(key, hex(t.iv), hex(t.aad), ctTag), `tcId ${t.tcId}`).rejects.toMatchObject({
            code: 'AUTH_FAILED',
          })
          invalid++
        }
      }
    }
    expect([valid, invalid]).toEqual([39, 27])
  })

  it('Wycheproof X25519: every case agrees, all-zero shared secrets are refused', () => {
    const file = x25519Json as unknown as WFile<object>
    let zero = 0
    for (const g of file.testGroups) {
      for (const t of g.tests as (WTest & Record<'public' | 'private' | 'shared', string>)[]) {
        if (/^0+$/.test(t.shared)) {
          expect(() => nobleX25519.scalarMult(hex(t.private), hex(t.public)), `tcId ${t.tcId}`).toThrow()
          zero++
        } else {
          expect(toHex(nobleX25519.scalarMult(hex(t.private), hex(t.public))), `tcId ${t.tcId}`).toBe(t.shared)
        }
      }
    }
    expect(zero).toBeGreaterThan(0)
  })

  it('Wycheproof Ed25519 (strict) and ML-DSA-65 verification', () => {
    const ed = edJson as unknown as WFile<{ publicKey: { pk: string } }>
    let n = 0
    for (const g of ed.testGroups) {
      for (const t of g.tests as (WTest & Record<'msg' | 'sig', string>)[]) {
        const sig = hex(t.sig)
        const ok = sig.length === 64 && ed25519.verify(sig, hex(t.msg), hex(g.publicKey.pk), { zip215: false })
        expect(ok, `ed25519 tcId ${t.tcId}`).toBe(t.result === 'valid')
        n++
      }
    }
    expect(n).toBe(ed.numberOfTests)
    const ml = mldsaJson as unknown as WFile<{ publicKey: string }>
    n = 0
    for (const g of ml.testGroups) {
      for (const t of g.tests as (WTest & { msg: string; sig: string; ctx?: string })[]) {
        let ok: boolean
        try {
          ok = ml_dsa65.verify(
            hex(t.sig),
            hex(t.msg),
            hex(g.publicKey),
            t.ctx === undefined ? {} : { context: hex(t.ctx) },
          )
        } catch {
          ok = false
        }
        expect(ok, `ml-dsa-65 tcId ${t.tcId}`).toBe(t.result === 'valid')
        n++
      }
    }
    expect(n).toBe(ml.numberOfTests)
  })
})
