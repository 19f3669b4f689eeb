/**
 * Tampering with the service section (docs/format.md §Service recipients): the header signature covers every
 * byte of it, so a flip anywhere in it is refused; when the flipped header still parses, the refusal is the
 * signature's (SIGNATURE_INVALID), for a direct reader, a gateway reader and the gateway's unwrapForService alike.
 */
import { describe, expect, it } from 'vitest'
import { ArrowSealError } from '../../src/errors.js'
import { parseHeader } from '../../src/format/header.js'
import { encodeServiceSection } from '../../src/format/service.js'
import { sealTable } from '../../src/index.node.js'
import { unwrapForService } from '../../src/kas/service-view.js'
import { nodeRuntime } from '../../src/node/runtime.js'
import { Opener } from '../../src/seal/opener.js'
import type { OpenOptions } from '../../src/seal/options.js'
import { sampleTable } from '../fixtures/tables.js'
import { id } from '../helpers/identities.js'
import { splitStream } from '../helpers/streams.js'
import { fakeGateway } from './fake-gateway.js'

const writer = id('writer')
const kas = id('kas')
const alice = id('alice')
const bob = id('bob')
const STRUCTURAL = new Set(['FORMAT_INVALID', 'FORMAT_UNSUPPORTED', 'LIMIT_EXCEEDED', 'TRUNCATED'])

async function refusal(work: Promise<unknown>): Promise<string> {
  try {
    await work
  } catch (err) {
    if (err instanceof ArrowSealError) return err.code
    throw err
  }
  return 'ACCEPTED'
}

describe('service section tampering', () => {
  it('refuses a flipped bit at every byte of the section, by its signature whenever the header still parses', async () => {
    const sealed = await sealTable(sampleTable(2), {
      signer: writer,
      recipients: { support: [alice.publicKey], analysts: [{ service: 'https://kas.example/v1', key: kas.publicKey }] },
      policy: { fields: { id: 'public', email: ['support'], amount: ['analysts', 'support'] } },
      dataset: 'sales',
    })
    const { header } = splitStream(sealed)
    const parsed = parseHeader(header)
    const size = encodeServiceSection(parsed.service!).length
    const start = parsed.signed.length - size
    const direct: OpenOptions = { identity: alice, trustedSigners: [writer.publicKey] }
    const viaGateway: OpenOptions = {
      identity: bob,
      trustedSigners: [writer.publicKey],
      keyAccess: fakeGateway(kas, [writer.publicKeyObject], undefined, nodeRuntime),
    }
    const counts = { signature: 0, structure: 0 }
    for (let i = 0; i < size; i++) {
      const mutated = header.slice()
      mutated[start + i]! ^= 1 << (i % 8)
      let parses = true
      try {
        parseHeader(mutated)
      } catch {
        parses = false
      }
      const codes = [
        await refusal(Opener.create(mutated, direct, nodeRuntime)),
        await refusal(Opener.create(mutated, viaGateway, nodeRuntime)),
        await refusal(unwrapForService(mutated, kas, [writer.publicKeyObject], { runtime: nodeRuntime })),
      ]
      for (const code of codes) {
        if (parses) expect(code, `byte ${i} of the section`).toBe('SIGNATURE_INVALID')
        else expect(STRUCTURAL.has(code), `byte ${i} of the section: ${code}`).toBe(true)
      }
      counts[parses ? 'signature' : 'structure']++
    }
    // Most flips leave a well-formed section (key bytes, text): those are the signature's to catch.
    expect(counts.signature).toBeGreaterThan(counts.structure)
  })
})
