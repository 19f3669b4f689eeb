/** Shared fixtures of the rewrap tests: a writer, a steward that reads every group, readers, and payload digests. */
import { createHash } from 'node:crypto'
import { tableFromArrays } from 'apache-arrow'
import { concatAll } from '../../src/format/bytes.js'
import { parseChain } from '../../src/format/chain.js'
import { HEADER_PREFIX_BYTES } from '../../src/format/constants.js'
import { parseFrame } from '../../src/format/frame.js'
import { FrameSplitter } from '../../src/format/reader.js'
import { startFrameHasher } from '../../src/node/frame-hasher.js'
import { nodeRuntime } from '../../src/node/runtime.js'
import type { Policy } from '../../src/policy/policy.js'
import type { FrameHasher, Runtime } from '../../src/seal/runtime.js'
import { sealTable } from '../../src/table.js'
import { id } from '../helpers/identities.js'
import { codeOf } from '../helpers/streams.js'

export const writer = id('rw-writer')
export const steward = id('rw-steward')
export const alice = id('rw-alice')
export const bob = id('rw-bob')
export const carol = id('rw-carol')
export const stranger = id('rw-stranger')

export const policy: Policy = {
  fields: { id: 'public', amount: ['analysts', 'stewards'], email: ['support', 'stewards'] },
}
export const table = tableFromArrays({
  id: Int32Array.of(1, 2, 3),
  amount: Float64Array.of(1.5, 2.5, 3.5),
  email: ['a@x', 'b@x', 'c@x'],
})

/** The usual change: the steward (reading every group) adds carol as an analyst and removes alice. */
export const stewardChange = {
  identity: steward,
  signer: steward,
  trustedSigners: [writer.publicKey],
  policy,
  add: { analysts: [carol.publicKey] },
  remove: [alice.publicKey],
}

/** The usual rewrapper of these tests: the steward, trusting the writer, with the stream's policy. */
export const bySteward = { identity: steward, signer: steward, trustedSigners: [writer.publicKey], policy }

export function sealed(extra: Partial<Parameters<typeof sealTable>[1]> = {}): Promise<Uint8Array> {
  return sealTable(table, {
    signer: writer,
    recipients: { stewards: [steward.publicKey], analysts: [alice.publicKey], support: [bob.publicKey] },
    policy,
    ...extra,
  })
}

/** SHA-256 of every unit payload, frame by frame, plus the header's parsed chain. */
export function unitDigests(bytes: Uint8Array): string[] {
  const splitter = new FrameSplitter(2 ** 30)
  const out: string[] = []
  let groups = 0
  let macs = 0
  let signed = 0
  for (const piece of splitter.push(bytes)) {
    if (piece.type === 'header') {
      const chain = parseChain(piece.bytes)
      groups = chain.root.groups.length
      macs = chain.active.length
      // One frame signature per header with a service section: the writer's, then each rewrap's that added gateways.
      signed = (chain.root.service ? 1 : 0) + chain.layers.filter((l) => l.service).length
      continue
    }
    const frame = parseFrame(piece.bytes, groups, macs, signed)
    for (const u of frame.units) out.push(createHash('sha256').update(u.payload).digest('hex'))
    out.push(`frame ${frame.index} kind ${frame.kind}`)
    if (frame.kind === 2) splitter.markEnded()
  }
  return out
}

/** Length of the (outermost) header of a stream. */
export function headerBytes(bytes: Uint8Array): number {
  const v = new DataView(bytes.buffer, bytes.byteOffset + 11, 4)
  return HEADER_PREFIX_BYTES + v.getUint32(0) + (bytes[10] === 2 ? 64 : 3373)
}

/** `bytes` as a stream of chunks cut at the given offsets. */
export function chunked(bytes: Uint8Array, at: readonly number[]): ReadableStream<Uint8Array> {
  const points = [...new Set(at.filter((p) => p > 0 && p < bytes.length)), bytes.length].sort((a, b) => a - b)
  let o = 0
  let i = 0
  return new ReadableStream<Uint8Array>({
    pull(c) {
      if (i === points.length) return c.close()
      c.enqueue(bytes.subarray(o, points[i]))
      o = points[i++]!
    },
  })
}

/** Everything a stream emits before it ends or fails, and how it ended. */
export async function drain(stream: ReadableStream<Uint8Array>): Promise<{ bytes: Uint8Array; end: string }> {
  const reader = stream.getReader()
  const got: Uint8Array[] = []
  const end = await codeOf(
    (async () => {
      for (;;) {
        const { done, value } = await reader.read()
        if (done) return
        got.push(value.slice())
      }
    })(),
  )
  return { bytes: concatAll(got), end }
}

/** The Node runtime with a frame hasher (the real one by default) that counts the frames it takes. */
export function countingRuntime(make: () => FrameHasher = () => startFrameHasher()): {
  runtime: Runtime
  taken: () => number
} {
  let taken = 0
  const runtime: Runtime = {
    ...nodeRuntime,
    startFrameHasher: () => {
      const h = make()
      return {
        start: (parts) => {
          const job = h.start(parts)
          if (job) taken++
          return job
        },
        close: () => h.close(),
      }
    },
  }
  return { runtime, taken: () => taken }
}
