/**
 * Prints the annotated worked example of docs/format.md: a two-row table sealed with fixed seeds and a
 * deterministic random source, so the bytes are reproducible. `test/format/spec-example.test.ts` checks that
 * the example in the spec is exactly what this prints, so the spec cannot drift from the code.
 *
 *   npx tsx scripts/format-example.ts
 */
import { Field, Int32, makeData, RecordBatch, Schema, Struct, Table, Utf8, vectorFromArray } from 'apache-arrow'
import { parseFrame } from '../src/format/frame.js'
import { parseHeader } from '../src/format/header.js'
import { identityFromSeed } from '../src/keys/identity.js'
import { Sealer } from '../src/seal/sealer.js'
import { seededRandom } from '../test/helpers/identities.js'

const seed = (b: number) => new Uint8Array(32).fill(b)

export async function formatExample(): Promise<string> {
  const writer = identityFromSeed(seed(1))
  const reader = identityFromSeed(seed(2))
  const fields = [new Field('id', new Int32(), false), new Field('email', new Utf8(), true)]
  const schema = new Schema(fields)
  const data = makeData({
    type: new Struct(fields),
    length: 2,
    nullCount: 0,
    children: [
      vectorFromArray([1, 2], new Int32()).data[0]!,
      vectorFromArray(['a@x.org', 'b@y.org'], new Utf8()).data[0]!,
    ],
  })
  const table = new Table(schema, [new RecordBatch(schema, data)])
  const sealer = await Sealer.create(
    schema,
    {
      signer: writer,
      recipients: { support: [reader.publicKey] },
      policy: { fields: { id: 'public', email: ['support'] } },
    },
    seededRandom(0x5eed),
  )
  const frames = [await sealer.sealBatch(table.batches[0]!), await sealer.finish()]
  const h = parseHeader(sealer.header)
  const lines: string[] = []
  let at = 0
  const hex = (b: Uint8Array, max = 24) =>
    Array.from(b.subarray(0, max), (x) => x.toString(16).padStart(2, '0')).join('') + (b.length > max ? '…' : '')
  const row = (len: number, name: string, bytes: Uint8Array) => {
    lines.push(`${String(at).padStart(5)}  ${String(len).padStart(5)}  ${name.padEnd(30)} ${hex(bytes)}`)
    at += len
  }
  const all = sealer.header
  const take = (len: number, name: string) => row(len, name, all.subarray(at, at + len))
  lines.push('offset    len  field                          bytes (hex, first 24)')
  take(8, 'magic')
  take(1, 'version')
  take(2, 'suite')
  take(4, 'body length')
  take(2, 'flags')
  take(16, 'stream id')
  take(32, 'signer fingerprint')
  take(2, 'group count')
  for (const g of h.groups) {
    take(2, `group ${g.id} id`)
    take(1, `group ${g.id} kind`)
    take(1, `group ${g.id} flags`)
    if (g.commitment) take(32, `group ${g.id} commitment`)
    take(4, `group ${g.id} schema length`)
    take(g.schema.length, `group ${g.id} schema`)
  }
  take(2, 'recipient count')
  for (const [i, s] of h.stanzas.entries()) {
    take(32, `stanza ${i} fingerprint`)
    take(1120, `stanza ${i} X-Wing enc`)
    take(2, `stanza ${i} payload length`)
    take(s.payload.length, `stanza ${i} payload (HPKE ct)`)
  }
  take(3373, 'signature (Ed25519 ‖ ML-DSA-65)')
  for (const [n, f] of frames.entries()) {
    const base = at
    const frame = parseFrame(f.subarray(4), h.groups.length, h.stanzas.length)
    const fa = (off: number, len: number, name: string) => {
      at = base + off
      row(len, name, f.subarray(off, off + len))
    }
    const label = frame.kind === 1 ? `frame ${n}` : 'end frame'
    fa(0, 4, `${label} length`)
    fa(4, 1, `${label} kind`)
    fa(5, 8, `${label} batch index`)
    fa(13, 4, `${label} row count`)
    fa(17, 2, `${label} unit count`)
    let off = 19
    for (const u of frame.units) {
      fa(off, 2, `unit ${u.groupId} group id`)
      fa(off + 2, 1, `unit ${u.groupId} flags`)
      fa(off + 3, 4, `unit ${u.groupId} length`)
      fa(off + 7, u.payload.length, `unit ${u.groupId} ${u.groupId === 0 ? 'IPC (public)' : 'ciphertext ‖ tag'}`)
      off += 7 + u.payload.length
    }
    fa(off, 2, `${label} MAC count`)
    for (let i = 0; i < frame.macs.length; i++) fa(off + 2 + 16 * i, 16, `${label} MAC ${i}`)
    at = base + f.length
  }
  lines.push(`total ${at} bytes`)
  return lines.join('\n')
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await formatExample())
