import { ed25519 } from '@noble/curves/ed25519.js'
import { describe, expect, it } from 'vitest'
import { base64Decode, base64Encode } from '../../src/audit/base64.js'
import { formatNote, MAX_NOTE_BYTES, type NoteVerifier, openNote, parseNote } from '../../src/audit/note.js'
import {
  logKey,
  NOTE_TYPE_ED25519,
  noteKeyId,
  parseLogKey,
  parseVerifierKey,
  verifierKey,
} from '../../src/audit/vkey.js'
import { AuditError } from '../../src/errors.js'
import { id } from '../helpers/identities.js'
import v from '../vectors/c2sp-signed-note.json' with { type: 'json' }

const goNote = `${v.go.text}\n${v.go.sigLine}`

function expectNoteInvalid(fn: () => unknown): void {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(AuditError)
    expect((err as AuditError).code).toBe('NOTE_INVALID')
    return
  }
  throw new Error('expected NOTE_INVALID, nothing was thrown')
}

describe('Go sumdb/note and C2SP signed-note vectors', () => {
  it('the PeterNeumann vkey parses and its key ID is recomputed', () => {
    const k = parseVerifierKey(v.go.vkey)
    expect(k.name).toBe('PeterNeumann')
    expect(k.keyId.toString(16)).toBe('c74f20a3')
    expect(k.algorithm).toBe('ed25519')
    expect(k.text).toBe(v.go.vkey)
    expect(noteKeyId('PeterNeumann', NOTE_TYPE_ED25519, k.publicKey)).toBe(0xc74f20a3)
  })

  it('the PeterNeumann note verifies with our Ed25519 verifier', () => {
    const k = parseVerifierKey(v.go.vkey)
    const { text, verified } = openNote(goNote, [k])
    expect(text).toBe(v.go.text)
    expect(verified).toEqual([k])
  })

  it('signing the text with the PeterNeumann skey reproduces the published note byte for byte', () => {
    const seed = base64Decode(v.go.skey.split('+').slice(4).join('+'))!.subarray(1)
    const k = parseVerifierKey(v.go.vkey)
    const sig = ed25519.sign(new TextEncoder().encode(v.go.text), seed)
    expect(formatNote(v.go.text, [{ name: 'PeterNeumann', keyId: k.keyId, signature: sig }])).toBe(goNote)
  })

  it("Go's mangled vkeys and every one-character change of the vkey are refused", () => {
    for (const bad of v.go.badVkeys) expectNoteInvalid(() => parseVerifierKey(bad))
    for (let i = 0; i < v.go.vkey.length; i++) {
      const c = v.go.vkey.charCodeAt(i)
      const mangled = v.go.vkey.slice(0, i) + String.fromCharCode(c + 1) + v.go.vkey.slice(i + 1)
      expect(() => parseVerifierKey(mangled), mangled).toThrow()
    }
    for (let j = 1; j < v.go.vkey.length; j++) expect(() => parseVerifierKey(v.go.vkey.slice(0, j))).toThrow()
  })

  it('the spec examples parse (their public keys are not published); an unknown key does not verify them', () => {
    const n = parseNote(v.specNote)
    expect(n.text).toBe('Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned è subito sera.\n')
    expect(n.signatures).toHaveLength(1)
    expect(n.signatures[0]!.name).toBe('quasimodo.example/salvatore')
    expect(n.signatures[0]!.signature.length).toBe(64)
    const cp = parseNote(v.specCheckpoint)
    expect(cp.text.split('\n')[1]).toBe('20852163')
    expectNoteInvalid(() => openNote(v.specNote, [parseVerifierKey(v.go.vkey)]))
  })

  it('every one-bit flip of the note is refused', () => {
    const k = parseVerifierKey(v.go.vkey)
    const bytes = new TextEncoder().encode(goNote)
    let refused = 0
    for (let i = 0; i < bytes.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const b = bytes.slice()
        b[i]! ^= 1 << bit
        try {
          openNote(b, [k])
        } catch (err) {
          expect(err).toBeInstanceOf(AuditError)
          refused++
          continue
        }
        throw new Error(`flip of byte ${i} bit ${bit} verified`)
      }
    }
    expect(refused).toBe(bytes.length * 8)
  })
})

describe('grammar and bounds', () => {
  const k = parseVerifierKey(v.go.vkey)

  it('refuses malformed notes with NOTE_INVALID', () => {
    const cases = [
      v.go.text + v.go.sigLine, // no blank line
      `${v.go.text}\n`, // no signatures
      `${v.go.text}\n${v.go.sigLine.slice(0, -1)}`, // no final newline
      `${v.go.text}\n${v.go.sigLine.replace('— ', '-- ')}`,
      `${v.go.text}\n${v.go.sigLine.replace('— PeterNeumann ', '— PeterNeumann')}`,
      `${v.go.text}\n${v.go.sigLine.replace('— PeterNeumann', '— Peter+Neumann')}`,
      `${v.go.text}\n${v.go.sigLine.replace('— PeterNeumann', '— ')}`,
      `${v.go.text}\n${v.go.sigLine.replace('AM=', 'AN=')}`, // non-canonical base64 padding bits
      `${v.go.text}\n${v.go.sigLine.replace('AM=', 'AM')}`, // missing padding
      `${v.go.text}\n— PeterNeumann AAAA\n`, // shorter than key ID + 1
      `${v.go.text.replace('\n', '\r\n')}\n${v.go.sigLine}`, // CR is a control character
      `${v.go.text.replace('problem,', 'problem,\t')}\n${v.go.sigLine}`,
      `${v.go.text}\n${v.go.sigLine}${v.go.sigLine}`, // the same key twice
      `${v.go.text}\n${v.go.sigLine}\n`, // a trailing blank line
    ]
    for (const c of cases) expectNoteInvalid(() => openNote(c, [k]))
  })

  it('refuses a control character even in a validly signed text', () => {
    const seed = base64Decode(v.go.skey.split('+').slice(4).join('+'))!.subarray(1)
    for (const text of ['tab\there\n', 'cr\r\n', 'nul\u0000\n', 'del\u007f\n']) {
      const sig = ed25519.sign(new TextEncoder().encode(text), seed)
      const note = formatNote(text, [{ name: 'PeterNeumann', keyId: k.keyId, signature: sig }])
      expectNoteInvalid(() => openNote(note, [k]))
    }
  })

  it('refuses invalid UTF-8 and lone surrogates', () => {
    const bytes = new TextEncoder().encode(goNote)
    const bad = new Uint8Array([...bytes.subarray(0, 5), 0xc3, 0x28, ...bytes.subarray(5)])
    expectNoteInvalid(() => parseNote(bad))
    expectNoteInvalid(() => parseNote(`\ud800${goNote}`))
  })

  it('refuses a 10 MB note and more than 100 signature lines before any verification', () => {
    const calls: string[] = []
    const spy: NoteVerifier = {
      name: 'PeterNeumann',
      keyId: k.keyId,
      verify: () => {
        calls.push('x')
        return true
      },
    }
    expectNoteInvalid(() => openNote('a'.repeat(10 * 1024 * 1024), [spy]))
    expectNoteInvalid(() => openNote(new Uint8Array(MAX_NOTE_BYTES + 1).fill(0x61), [spy]))
    const many = `${v.go.text}\n${v.go.sigLine.repeat(101)}`
    expectNoteInvalid(() => openNote(many, [spy]))
    expect(calls).toEqual([])
    // 100 lines from unknown keys is within bounds, but no known key signed it.
    expectNoteInvalid(() => openNote(`${v.go.text}\n${'— other AAAAAAA=\n'.repeat(100)}`, [k]))
  })

  it('ignores lines from unknown keys, including the same name with another key ID', () => {
    const other = `— PeterNeumann ${base64Encode(new Uint8Array([0, 0, 0, 1, 9, 9]))}\n— witness.example AAAAAAA=\n`
    const { verified } = openNote(`${v.go.text}\n${other}${v.go.sigLine}`, [k])
    expect(verified).toEqual([k])
  })
})

describe('vkeys of arrowseal log keys', () => {
  it('a log key prints as an Ed25519 vkey and an ML-DSA-65 vkey and parses back', () => {
    const lk = logKey('example.com/audit', id('log').publicKeyObject)
    const [ed, pq] = lk.text.split(' ')
    expect(ed).toMatch(/^example\.com\/audit\+[0-9a-f]{8}\+A[Q-Za-f]/)
    expect(pq).toMatch(/^example\.com\/audit\+[0-9a-f]{8}\+/)
    const again = parseLogKey(`${lk.text}\n`)
    expect(again.text).toBe(lk.text)
    expect(again.mldsa65.publicKey).toEqual(id('log').publicKeyObject.mldsa65)
    // The Ed25519 half is a plain C2SP vkey: the type byte is 0x01 and the key ID follows the spec's formula.
    expect(parseVerifierKey(ed!).keyId).toBe(noteKeyId('example.com/audit', NOTE_TYPE_ED25519, lk.ed25519.publicKey))
  })

  it('refuses log keys that are one vkey, swapped, or of two names', () => {
    const a = logKey('a.example/log', id('log').publicKeyObject)
    const b = logKey('b.example/log', id('log').publicKeyObject)
    expectNoteInvalid(() => parseLogKey(a.ed25519.text))
    expectNoteInvalid(() => parseLogKey(`${a.mldsa65.text} ${a.ed25519.text}`))
    expectNoteInvalid(() => parseLogKey(`${a.ed25519.text} ${b.mldsa65.text}`))
    expectNoteInvalid(() => parseLogKey(`${a.ed25519.text}  ${a.mldsa65.text}`))
    expect(() => verifierKey('bad name', 'ed25519', new Uint8Array(32))).toThrow(RangeError)
    expect(() => verifierKey('n', 'ml-dsa-65', new Uint8Array(32))).toThrow(RangeError)
  })
})
