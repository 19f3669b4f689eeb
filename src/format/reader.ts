/**
 * Incremental splitter: turns a byte stream cut at arbitrary points into the header and whole frames, with
 * memory bounded by the largest allowed frame. Lengths are checked against the limits as soon as their bytes
 * arrive, before anything is buffered for them (a frame declaring 4 GiB fails at once).
 * @module
 */
import { FormatError } from '../errors.js'
import { HEADER_PREFIX_BYTES } from './constants.js'
import { headerLength } from './header.js'

/** One piece the splitter yields. */
export type Piece =
  | { readonly type: 'header'; readonly bytes: Uint8Array }
  | { readonly type: 'frame'; readonly bytes: Uint8Array }

/** Splits sealed bytes into pieces. Call `push` with each chunk, then `close` at the end of input. */
export class FrameSplitter {
  readonly #maxFrameBytes: number
  #stage: 'header' | 'frames' | 'ended' = 'header'
  /** The length prefix of the piece being read: 15 bytes for the header, 4 for a frame. */
  readonly #prefix = new Uint8Array(HEADER_PREFIX_BYTES)
  #prefixFilled = 0
  /** Once the prefix is read: a buffer of the piece's exact size, and how much of it is filled. */
  #piece: Uint8Array | null = null
  #pieceFilled = 0

  constructor(maxFrameBytes: number) {
    this.#maxFrameBytes = maxFrameBytes
  }

  /** The caller saw a verified end frame: anything after it is trailing data. */
  markEnded(): void {
    this.#stage = 'ended'
  }

  /** True when no partial piece is buffered. */
  get idle(): boolean {
    return this.#prefixFilled === 0 && this.#piece === null
  }

  /**
   * Adds a chunk and yields every piece it completes. A piece that lies wholly inside the chunk is yielded as a
   * view (no copy); one spread over chunks is assembled into a buffer of its exact, already-checked size.
   */
  *push(chunk: Uint8Array): Generator<Piece> {
    let off = 0
    while (off < chunk.length) {
      if (this.#stage === 'ended')
        throw new FormatError('TRAILING_DATA', `${chunk.length - off} bytes follow the end of the stream`)
      const prefixLen = this.#stage === 'header' ? HEADER_PREFIX_BYTES : 4
      if (this.#piece === null) {
        const take = Math.min(prefixLen - this.#prefixFilled, chunk.length - off)
        this.#prefix.set(chunk.subarray(off, off + take), this.#prefixFilled)
        this.#prefixFilled += take
        off += take
        if (this.#prefixFilled < prefixLen) return
        const size = this.#pieceSize(this.#prefix.subarray(0, prefixLen))
        const start = off - prefixLen
        if (start >= 0 && chunk.length - start >= size) {
          // Fast path: the whole piece, prefix included, is inside this chunk.
          off = start + size
          this.#prefixFilled = 0
          yield this.#emit(chunk.subarray(start, off))
          continue
        }
        this.#piece = new Uint8Array(size)
        this.#piece.set(this.#prefix.subarray(0, prefixLen))
        this.#pieceFilled = prefixLen
        this.#prefixFilled = 0
      }
      const piece = this.#piece
      const take = Math.min(piece.length - this.#pieceFilled, chunk.length - off)
      piece.set(chunk.subarray(off, off + take), this.#pieceFilled)
      this.#pieceFilled += take
      off += take
      if (this.#pieceFilled === piece.length) {
        this.#piece = null
        yield this.#emit(piece)
      }
    }
  }

  /** End of input: refuses a stream cut short, mid-piece or before its end frame. */
  close(): void {
    if (this.#stage === 'ended') return
    if (this.#stage === 'header' && this.idle) throw new FormatError('TRUNCATED', 'empty input: no arrowseal header')
    throw new FormatError(
      'TRUNCATED',
      this.idle ? 'stream ended before its end frame' : 'stream ends in the middle of a frame',
    )
  }

  /** Whole size of the piece (prefix included), checked against the limits before anything is allocated. */
  #pieceSize(prefix: Uint8Array): number {
    if (this.#stage === 'header') return headerLength(prefix)
    const frameLen = new DataView(prefix.buffer, prefix.byteOffset, 4).getUint32(0)
    if (frameLen > this.#maxFrameBytes) {
      throw new FormatError(
        'LIMIT_EXCEEDED',
        `a frame declares ${frameLen} bytes; this reader accepts at most ${this.#maxFrameBytes}`,
      )
    }
    return 4 + frameLen
  }

  #emit(whole: Uint8Array): Piece {
    if (this.#stage === 'header') {
      this.#stage = 'frames'
      return { type: 'header', bytes: whole }
    }
    return { type: 'frame', bytes: whole.subarray(4) }
  }
}
