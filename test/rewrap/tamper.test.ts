/**
 * Tampering with rewrapped streams (issue 14 acceptance): the header, the chain (the embedded original header and
 * its signature, the rewrap record), the authenticators, the frames, truncation, reordering, splicing between two
 * rewraps, an untrusted rewrapper and an untrusted original writer: each refused with a typed code. Also what the
 * rewrapper itself refuses on its input and its options, before any output.
 */
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { ArrowSealError } from '../../src/errors.js'
import { parseChain } from '../../src/format/chain.js'
import { rewrap } from '../../src/lifecycle/rewrap.js'
import { openTable } from '../../src/table.js'
import { codeOf, join, splitStream } from '../helpers/streams.js'
import { alice, bob, carol, policy, sealed, steward, stranger, writer } from './helpers.js'

const both = [writer.publicKey, steward.publicKey]
const change = {
  identity: steward,
  signer: steward,
  trustedSigners: [writer.publicKey],
  policy,
  add: { analysts: [carol.publicKey] },
  remove: [alice.publicKey],
}
let input: Uint8Array
let out: Uint8Array
let other: Uint8Array
beforeAll(async () => {
  input = await sealed()
  out = await rewrap(input, change)
  // A second rewrap of the same input to the same readers: another layer, other MAC keys.
  other = await rewrap(input, change)
})

const flip = (bytes: Uint8Array, at: number, bit = 1) => {
  const c = bytes.slice()
  c[at]! ^= bit
  return c
}
const open = (bytes: Uint8Array, who = carol, trustedSigners = both) =>
  codeOf(openTable(bytes, { identity: who, trustedSigners }))

describe('a rewrapped stream', () => {
  it('opens untouched for the new reader and a kept one (the baseline of every case below)', async () => {
    expect((await openTable(out, { identity: carol, trustedSigners: both })).numRows).toBe(3)
    expect((await openTable(out, { identity: bob, trustedSigners: both })).numRows).toBe(3)
  })

  it('is refused when the rewrapper is not trusted, or the original writer is not', async () => {
    expect(await open(out, carol, [writer.publicKey])).toBe('SIGNER_UNTRUSTED')
    expect(await open(out, carol, [steward.publicKey])).toBe('SIGNER_UNTRUSTED')
    expect(await open(out, bob, [writer.publicKey])).toBe('SIGNER_UNTRUSTED')
  })

  it('is refused with a typed code whatever header byte changes (property)', async () => {
    const { header, frames } = splitStream(out)
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: header.length - 1 }),
        fc.integer({ min: 0, max: 7 }),
        async (at, bit) => {
          const code = await open(join(flip(header, at, 1 << bit), ...frames), bob)
          expect(code).not.toBe('ok')
          expect(code).toMatch(/^[A-Z_]+$/)
        },
      ),
      { numRuns: 40 },
    )
  }, 120_000)

  it('is refused when the embedded original header, its signature or the rewrap record changes', async () => {
    const { header, frames } = splitStream(out)
    const chain = parseChain(header)
    const layer = chain.layers[0]!
    const rootAt = header.indexOf(0x41, 15 + 2 + 16 + 32 + 4) // the embedded header's magic
    expect(rootAt).toBe(15 + 2 + 16 + 32 + 4)
    const rootEnd = rootAt + chain.root.bytes.length
    // A stanza byte of the embedded header (the writer signed it): SIGNATURE_INVALID under the writer's key.
    expect(await open(join(flip(header, rootEnd - 3373 - 10), ...frames), bob)).toBe('SIGNATURE_INVALID')
    // The writer's signature itself.
    expect(await open(join(flip(header, rootEnd - 1), ...frames), bob)).toBe('SIGNATURE_INVALID')
    // The kept list (rewrap record): steward (0) and bob (2); 2 → 1 would keep alice's stanza in bob's place.
    const keptAt = rootEnd + 2
    expect(layer.kept).toEqual([0, 2])
    expect(await open(join(flip(header, keptAt + 3, 3), ...frames), bob)).toBe('SIGNATURE_INVALID')
    // The rewrapper's signature.
    expect(await open(join(flip(header, header.length - 1), ...frames), carol)).toBe('SIGNATURE_INVALID')
  })

  it("is refused when a new reader's or a kept reader's MAC, or a unit byte, changes", async () => {
    const { header, frames } = splitStream(out)
    const f0 = frames[0]!
    // MACs: kept steward and bob (the writer's), then carol (the rewrapper's); the last 16 bytes are carol's.
    expect(await open(join(header, flip(f0, f0.length - 1), ...frames.slice(1)), carol)).toBe('AUTH_FAILED')
    expect(await open(join(header, flip(f0, f0.length - 2 * 16), ...frames.slice(1)), bob)).toBe('AUTH_FAILED')
    // A byte of the last unit's ciphertext: every reader's MAC covers it.
    const unitByte = f0.length - 2 - 3 * 16 - 1
    expect(await open(join(header, flip(f0, unitByte), ...frames.slice(1)), carol)).toBe('AUTH_FAILED')
    expect(await open(join(header, flip(f0, unitByte), ...frames.slice(1)), bob)).toBe('AUTH_FAILED')
    const end = frames.at(-1)!
    expect(await open(join(header, ...frames.slice(0, -1), flip(end, end.length - 1)), carol)).toBe('AUTH_FAILED')
  })

  it('is refused truncated, reordered, with trailing bytes, or with frames spliced from another rewrap', async () => {
    const { header, frames } = splitStream(out)
    expect(await open(join(header, ...frames.slice(0, -1)))).toBe('TRUNCATED')
    expect(await open(header)).toBe('TRUNCATED')
    if (frames.length > 2)
      expect(await open(join(header, frames[1]!, frames[0]!, ...frames.slice(2)))).toBe('FRAME_OUT_OF_ORDER')
    expect(await open(join(out, new Uint8Array([0])))).toBe('TRAILING_DATA')
    const o = splitStream(other)
    // Same stream, same readers, another rewrap: carol's MAC is bound to the other layer's header digest.
    expect(await open(join(header, ...o.frames))).toBe('AUTH_FAILED')
    // bob's MAC is the writer's in both, so the frames are the same frames to him: splicing changes nothing he reads.
    expect((await openTable(join(header, ...o.frames), { identity: bob, trustedSigners: both })).numRows).toBe(3)
    // Frames of the original stream (as many MACs, none of them carol's) do not verify for her.
    expect(await open(join(header, ...splitStream(input).frames))).toBe('AUTH_FAILED')
  })

  it('is refused by a reader that does not know bit 1 (a v1 parser)', async () => {
    const { parseHeader } = await import('../../src/format/header.js')
    expect(() => parseHeader(splitStream(out).header)).toThrow(expect.objectContaining({ code: 'FORMAT_UNSUPPORTED' }))
  })
})

describe('the rewrapper refuses before any output', () => {
  it('an untrusted writer, a stranger, unknown keys and roles, groups it does not hold', async () => {
    expect(await codeOf(rewrap(input, { ...change, trustedSigners: [steward.publicKey] }))).toBe('SIGNER_UNTRUSTED')
    expect(await codeOf(rewrap(input, { ...change, identity: stranger }))).toBe('NOT_A_RECIPIENT')
    expect(await codeOf(rewrap(input, { ...change, remove: [stranger.publicKey] }))).toBe('RECIPIENT_UNKNOWN')
    expect(await codeOf(rewrap(input, { ...change, remove: ['0123456789abcdef'] }))).toBe('RECIPIENT_UNKNOWN')
    expect(await codeOf(rewrap(input, { ...change, add: { nobody: [carol.publicKey] } }))).toBe('POLICY_UNKNOWN_ROLE')
    expect(await codeOf(rewrap(input, { ...change, policy: undefined }))).toBe('POLICY_INVALID')
    expect(await codeOf(rewrap(input, { ...change, remove: [], add: { analysts: [bob.publicKey] } }))).toBe(
      'POLICY_INVALID',
    )
    // alice reads amount only: she cannot see the email group, so cannot tell which roles read it.
    const asAlice = { ...change, identity: alice, remove: [] }
    expect(await codeOf(rewrap(input, asAlice))).toBe('REWRAP_NOT_ENTITLED')
    // Without `add` she may still remove recipients.
    expect(await codeOf(rewrap(input, { ...asAlice, add: {}, remove: [bob.publicKey] }))).toBe('RESOLVED')
    expect(
      await codeOf(rewrap(input, { ...change, remove: [alice.publicKey, bob.publicKey, steward.publicKey], add: {} })),
    ).toBe('POLICY_INVALID')
  })

  it('a tampered input frame, a truncated input and trailing bytes', async () => {
    const { header, frames } = splitStream(input)
    const f0 = frames[0]!
    expect(await codeOf(rewrap(join(header, flip(f0, 40), ...frames.slice(1)), change))).toBe('AUTH_FAILED')
    expect(await codeOf(rewrap(join(header, ...frames.slice(0, -1)), change))).toBe('TRUNCATED')
    expect(await codeOf(rewrap(join(input, new Uint8Array(1)), change))).toBe('TRAILING_DATA')
    if (frames.length > 1)
      expect(await codeOf(rewrap(join(header, frames[1]!, frames[0]!, ...frames.slice(2)), change))).toBe(
        'FRAME_OUT_OF_ORDER',
      )
  })

  it('raises typed errors only', async () => {
    const err = await rewrap(input, { ...change, remove: [stranger.publicKey] }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ArrowSealError)
    expect(String((err as Error).message)).not.toContain('SECRET')
  })
})
