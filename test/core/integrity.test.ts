/** Property 5 (stream integrity) and 3 (policy binding): frames cannot be cut, added, moved or swapped. */
import { Table, tableFromArrays } from 'apache-arrow'
import { beforeAll, describe, expect, it } from 'vitest'
import { parseHeader } from '../../src/format/header.js'
import type { Policy } from '../../src/policy/policy.js'
import { openTable, sealTable } from '../../src/table.js'
import { id } from '../helpers/identities.js'
import { codeOf, join, openStreamed, splitStream } from '../helpers/streams.js'

const writer = id('writer')
const a = id('reader-a')
const b = id('reader-b')
const opts = { identity: a, trustedSigners: [writer.publicKey] }
const recipients = { ra: [a.publicKey], rb: [b.publicKey] }
const policy: Policy = { fields: { id: 'public', x: ['ra'], y: ['ra', 'rb'] } }

function table(n: number, base = 0): Table {
  const parts = Array.from({ length: n }, (_, i) =>
    tableFromArrays({ id: Int32Array.of(base + i), x: Int32Array.of(10 * i), y: Int32Array.of(100 * i) }),
  )
  return new Table(parts.flatMap((p) => p.batches))
}

let s1: Uint8Array
let s2: Uint8Array
beforeAll(async () => {
  s1 = await sealTable(table(4), { signer: writer, recipients, policy })
  s2 = await sealTable(table(4, 50), { signer: writer, recipients, policy })
})

describe('stream integrity', () => {
  it('refuses truncation at every frame boundary and at every byte of the last frame', async () => {
    const { header, frames } = splitStream(s1)
    let at = header.length
    expect(await codeOf(openTable(s1.subarray(0, at), opts))).toBe('TRUNCATED')
    for (const f of frames.slice(0, -1)) {
      at += f.length
      expect(await codeOf(openTable(s1.subarray(0, at), opts))).toBe('TRUNCATED')
      expect(await codeOf(openStreamed(s1.subarray(0, at), opts, 7))).toBe('TRUNCATED')
    }
    for (let cut = s1.length - frames.at(-1)!.length; cut < s1.length; cut++) {
      expect(await codeOf(openTable(s1.subarray(0, cut), opts))).toBe('TRUNCATED')
    }
    for (let cut = 0; cut < 40; cut++) expect(await codeOf(openTable(s1.subarray(0, cut), opts))).toBe('TRUNCATED')
  })

  it('refuses bytes appended after the end frame, including a whole second stream', async () => {
    expect(await codeOf(openTable(join(s1, Uint8Array.of(0)), opts))).toBe('TRAILING_DATA')
    expect(await codeOf(openTable(join(s1, s2), opts))).toBe('TRAILING_DATA')
    expect(await codeOf(openStreamed(join(s1, Uint8Array.of(0)), opts, 3))).toBe('TRAILING_DATA')
    const { frames } = splitStream(s1)
    expect(await codeOf(openTable(join(s1, frames[0]!), opts))).toBe('TRAILING_DATA')
  })

  it('refuses reordered, duplicated and dropped frames', async () => {
    const { header, frames } = splitStream(s1)
    const [f0, f1, f2, f3, end] = frames as [Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array]
    expect(await codeOf(openTable(join(header, f1, f0, f2, f3, end), opts))).toBe('FRAME_OUT_OF_ORDER')
    expect(await codeOf(openTable(join(header, f0, f0, f1, f2, f3, end), opts))).toBe('FRAME_OUT_OF_ORDER')
    expect(await codeOf(openTable(join(header, f0, f2, f3, end), opts))).toBe('FRAME_OUT_OF_ORDER')
    expect(await codeOf(openTable(join(header, f0, f1, f2, end), opts))).toBe('FRAME_OUT_OF_ORDER')
    expect(await codeOf(openTable(join(header, end), opts))).toBe('FRAME_OUT_OF_ORDER')
  })

  it('refuses frames spliced from another stream of the same writer, keys and policy', async () => {
    const one = splitStream(s1)
    const two = splitStream(s2)
    // Same position, same writer, same recipients: only the header digest in the MAC and AAD tells them apart.
    for (let i = 0; i < one.frames.length; i++) {
      const spliced = [...one.frames]
      spliced[i] = two.frames[i]!
      expect(await codeOf(openTable(join(one.header, ...spliced), opts))).toBe('AUTH_FAILED')
    }
    // Another stream's header in front of our frames.
    expect(await codeOf(openTable(join(two.header, ...one.frames), opts))).toBe('AUTH_FAILED')
  })

  it('binds the recipient stanzas and group descriptions into the signed header', async () => {
    const h1 = parseHeader(splitStream(s1).header)
    const h2 = parseHeader(splitStream(s2).header)
    const at = (v: Uint8Array) => v.byteOffset - s1.byteOffset
    // Reader a's stanza replaced by a's stanza from another stream: a valid HPKE message to a, same length.
    const swapped = s1.slice()
    const mine = h1.stanzas.findIndex((st) => st.fingerprint.every((x, i) => x === a.fingerprint[i]))
    swapped.set(h2.stanzas[mine]!.enc, at(h1.stanzas[mine]!.enc))
    swapped.set(h2.stanzas[mine]!.payload, at(h1.stanzas[mine]!.payload))
    expect(await codeOf(openTable(swapped, opts))).toBe('SIGNATURE_INVALID')
    // A sealed group's schema blob or commitment replaced by the other stream's.
    const g = h1.groups[1]!
    const schemaSwap = s1.slice()
    schemaSwap.set(h2.groups[1]!.schema, at(g.schema))
    expect(await codeOf(openTable(schemaSwap, opts))).toBe('SIGNATURE_INVALID')
    const commitSwap = s1.slice()
    commitSwap.set(h2.groups[1]!.commitment!, at(g.commitment!))
    expect(await codeOf(openTable(commitSwap, opts))).toBe('SIGNATURE_INVALID')
    // The whole signature from the other stream.
    const sigSwap = s1.slice()
    sigSwap.set(h2.signature, at(h1.signature))
    expect(await codeOf(openTable(sigSwap, opts))).toBe('SIGNATURE_INVALID')
  })
})
