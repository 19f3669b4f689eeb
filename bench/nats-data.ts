/**
 * What both sides of bench/nats.ts agree on: the batches (built the same in every process), the identities, the
 * sealed policy, and the plain baseline's stream id. Kept apart so the writer and reader processes
 * (bench/nats-peer.ts) and the parent's in-memory breakdown use exactly the same data.
 * @module
 */
import { type RecordBatch, Table, Utf8, vectorFromArray } from 'apache-arrow'
import { identityFromSeed } from '../src/keys/identity.js'

export const writer = identityFromSeed(new Uint8Array(32).fill(31))
export const reader = identityFromSeed(new Uint8Array(32).fill(32))

/** `id` public, `amount` and `code` sealed for the one recipient. */
export const sealOptions = {
  signer: writer,
  recipients: { r: [reader.publicKey] },
  policy: { fields: { id: 'public', amount: ['r'], code: ['r'] } },
} as const

export const openOptions = { identity: reader, trustedSigners: [writer.publicKey] }

/** Part size of both cases: the publisher's default, a little under the server's 1 MiB max_payload. */
export const PART_BYTES = 1024 * 1024 - 16 * 1024

/** Messages a reader asks the broker for at once, in both cases (the sealed reader's own setting). */
export const PULL_MESSAGES = 32

/** The plain baseline has no header: its stream id is derived from the run's name. */
export const plainStreamId = (run: string): string => Buffer.from(run).toString('hex').padStart(32, '0')

/** `n` batches of `rows` rows: Int32, Float64 and plain Utf8 (no dictionaries, which would differ per table). */
export function makeBatches(n: number, rows: number): RecordBatch[] {
  const out: RecordBatch[] = []
  for (let b = 0; b < n; b++) {
    const t = new Table({
      id: vectorFromArray(Int32Array.from({ length: rows }, (_, i) => b * rows + i)),
      amount: vectorFromArray(Float64Array.from({ length: rows }, (_, i) => (i * 7919) % 100_003)),
      code: vectorFromArray(
        Array.from({ length: rows }, (_, i) => `c${(i * 31) % 9973}`),
        new Utf8(),
      ),
    })
    out.push(...t.batches)
  }
  return out
}

/** A ReadableStream of `items` (Node 20's lib types lack `ReadableStream.from`). */
export function streamOf<T>(items: readonly T[]): ReadableStream<T> {
  return new ReadableStream<T>({
    start(c) {
      for (const x of items) c.enqueue(x)
      c.close()
    },
  })
}

/** Everything a stream yields. */
export async function drain<T>(s: ReadableStream<T>): Promise<T[]> {
  const out: T[] = []
  for await (const x of s) out.push(x)
  return out
}
