/** Helpers to cut sealed bytes into header and frames, and to run bytes through OpenStream in chunks. */
import type { RecordBatch } from 'apache-arrow'
import { Table } from 'apache-arrow'
import { ArrowSealError } from '../../src/errors.js'
import { concatAll } from '../../src/format/bytes.js'
import { HEADER_PREFIX_BYTES } from '../../src/format/constants.js'
import { headerLength } from '../../src/format/header.js'
import type { OpenOptions } from '../../src/seal/options.js'
import { OpenStream } from '../../src/stream/open-stream.js'

/** Splits a sealed stream into [header, ...frames] (frames include their length prefix). */
export function splitStream(bytes: Uint8Array): { header: Uint8Array; frames: Uint8Array[] } {
  const hl = headerLength(bytes.subarray(0, HEADER_PREFIX_BYTES))
  const frames: Uint8Array[] = []
  let o = hl
  while (o < bytes.length) {
    const len = new DataView(bytes.buffer, bytes.byteOffset + o, 4).getUint32(0)
    frames.push(bytes.subarray(o, o + 4 + len))
    o += 4 + len
  }
  return { header: bytes.subarray(0, hl), frames }
}

export function join(...parts: Uint8Array[]): Uint8Array {
  return concatAll(parts)
}

/** Feeds bytes to OpenStream in chunks of `chunk` bytes and collects the table. */
export async function openStreamed(bytes: Uint8Array, options: OpenOptions, chunk = 1): Promise<Table> {
  const input = new ReadableStream<Uint8Array>({
    start(c) {
      for (let o = 0; o < bytes.length; o += chunk) c.enqueue(bytes.slice(o, o + chunk))
      c.close()
    },
  })
  const reader = new OpenStream(options)
  const batches: RecordBatch[] = []
  batches.push(...(await readAll(input.pipeThrough(reader))))
  return new Table(await reader.schema, batches)
}

/** Expects a promise to reject with an ArrowSealError of the given code; returns the error. */
export async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p
  } catch (e) {
    if (e instanceof ArrowSealError) return e.code
    throw e
  }
  return 'RESOLVED'
}

/** Reads a stream to the end (without relying on ReadableStream's async iterator, which DOM typings lack). */
export async function readAll<T>(stream: ReadableStream<T>): Promise<T[]> {
  const reader = stream.getReader()
  const out: T[] = []
  for (;;) {
    const { done, value } = await reader.read()
    if (done) return out
    out.push(value)
  }
}

/** A ReadableStream of `items`, closed after the last. */
export function streamOf<T>(items: readonly T[]): ReadableStream<T> {
  return new ReadableStream<T>({
    start(controller) {
      for (const item of items) controller.enqueue(item)
      controller.close()
    },
  })
}
