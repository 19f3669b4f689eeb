/**
 * Reading a sealed stream's header without consuming the stream: callers that must decide something from the
 * header (which identity to use, whether a key to remove is a recipient) before piping the bytes on.
 * @module
 */
import { FormatError } from '../errors.js'
import { HARD_LIMITS } from './constants.js'
import { FrameSplitter } from './reader.js'

/**
 * Reads just enough chunks of `input` to hold the header (at most the header limit, 16 MiB) and returns the
 * header's bytes and a stream that replays those chunks and then the rest. Nothing is verified here.
 *
 * @example
 * ```ts
 * const { header, stream } = await peekHeader(bytes)
 * ```
 */
export async function peekHeader(
  input: ReadableStream<Uint8Array>,
): Promise<{ header: Uint8Array; stream: ReadableStream<Uint8Array> }> {
  const reader = input.getReader()
  const held: Uint8Array[] = []
  const splitter = new FrameSplitter(HARD_LIMITS.maxFrameBytes)
  let header: Uint8Array | null = null
  while (header === null) {
    const { done, value } = await reader.read()
    if (done) break
    held.push(value)
    // The splitter refuses an oversized header before buffering it, so holding chunks here stays bounded.
    for (const piece of splitter.push(value)) {
      if (piece.type === 'header') header = piece.bytes
      break
    }
  }
  if (header === null) {
    reader.releaseLock()
    throw new FormatError('TRUNCATED', 'the input ends before the header does')
  }
  const stream = new ReadableStream<Uint8Array>({
    pull: async (controller) => {
      const next = held.shift()
      if (next) return controller.enqueue(next)
      const { done, value } = await reader.read()
      if (done) controller.close()
      else controller.enqueue(value)
    },
    cancel: (reason) => reader.cancel(reason),
  })
  return { header, stream }
}
