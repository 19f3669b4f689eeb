/**
 * The structural checks of a rewrap layer (src/format/chain.ts), each on its own: a layer is re-encoded from a real
 * rewrapped header with one field changed and an unverified signature of the right length, so only the parser's
 * own check can refuse it (signatures are checked later, by verifyChain, and have their own tamper tests).
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { ArrowSealError } from '../../src/errors.js'
import { encodeRewrapSigned, parseChain, type RewrapFields } from '../../src/format/chain.js'
import { HEADER_FLAG_REVEAL_SCHEMA, MAX_REWRAP_DEPTH } from '../../src/format/constants.js'
import { signatureBytes } from '../../src/format/header.js'
import { rewrap } from '../../src/lifecycle/rewrap.js'
import { splitStream } from '../helpers/streams.js'
import { alice, carol, policy, sealed, steward, writer } from './helpers.js'

let fields: RewrapFields
let suite: number

beforeAll(async () => {
  const out = await rewrap(await sealed(), {
    identity: steward,
    signer: steward,
    trustedSigners: [writer.publicKey],
    policy,
    add: { analysts: [carol.publicKey] },
    remove: [alice.publicKey],
  })
  const chain = parseChain(splitStream(out).header)
  const layer = chain.layers[0]!
  suite = layer.suite
  fields = {
    flags: layer.flags,
    streamId: chain.root.streamId,
    signer: layer.signer,
    session: layer.session,
    previous: chain.root.bytes,
    kept: layer.kept,
    stanzas: layer.stanzas,
  }
})

/** A layer with an all-zero signature: the parser never looks at it. */
const build = (f: RewrapFields): Uint8Array => {
  const signed = encodeRewrapSigned(f)
  const out = new Uint8Array(signed.length + signatureBytes(suite))
  out.set(signed)
  return out
}
const codeOfParse = (bytes: Uint8Array): string | undefined => {
  try {
    parseChain(bytes)
    return undefined
  } catch (e) {
    expect(e).toBeInstanceOf(ArrowSealError)
    return (e as ArrowSealError).code
  }
}

describe('rewrap layer parsing', () => {
  it('parses the unchanged layer (the baseline of every case below)', () => {
    expect(parseChain(build(fields)).layers).toHaveLength(1)
  })

  it('refuses a layer that names another stream id than the header it embeds', () => {
    const streamId = fields.streamId.slice()
    streamId[0]! ^= 1
    expect(codeOfParse(build({ ...fields, streamId }))).toBe('FORMAT_INVALID')
  })

  it('refuses a layer whose reveal_schema flag differs from the embedded header', () => {
    expect(codeOfParse(build({ ...fields, flags: fields.flags ^ HEADER_FLAG_REVEAL_SCHEMA }))).toBe('FORMAT_INVALID')
  })

  it('refuses bytes after the embedded header inside the layer', () => {
    const previous = new Uint8Array(fields.previous.length + 1)
    previous.set(fields.previous)
    expect(codeOfParse(build({ ...fields, previous }))).toBe('FORMAT_INVALID')
  })

  it('refuses kept recipients that are out of range, repeated or not ascending', () => {
    const n = parseChain(fields.previous).active.length
    expect(codeOfParse(build({ ...fields, kept: [n] }))).toBe('FORMAT_INVALID')
    expect(codeOfParse(build({ ...fields, kept: [0, 0] }))).toBe('FORMAT_INVALID')
    if (n >= 2) expect(codeOfParse(build({ ...fields, kept: [1, 0] }))).toBe('FORMAT_INVALID')
  })

  it('refuses a recipient that is both kept and added again', () => {
    const keptStanza = parseChain(fields.previous).active[fields.kept[0]!]!.stanza
    expect(codeOfParse(build({ ...fields, stanzas: [...fields.stanzas, keptStanza] }))).toBe('FORMAT_INVALID')
  })

  it('refuses a layer with no recipient at all', () => {
    expect(codeOfParse(build({ ...fields, kept: [], stanzas: [] }))).toBe('FORMAT_INVALID')
  })

  it(`refuses more than ${MAX_REWRAP_DEPTH} nested layers`, () => {
    let bytes = fields.previous
    for (let i = 0; i <= MAX_REWRAP_DEPTH; i++) bytes = build({ ...fields, previous: bytes, kept: [0], stanzas: [] })
    expect(codeOfParse(bytes)).toBe('LIMIT_EXCEEDED')
  })
})
