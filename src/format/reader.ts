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

/** How many recycled buffers a splitter keeps: the streams need one per frame in flight (workers + 1). */
const RECYCLED = 8

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
  /**
   * Buffers of assembled pieces handed back by {@link FrameSplitter.recycle}, reused for later pieces: a fresh
   * buffer per frame is first-touched memory, which on the benchmark VM cost more than the copy into it.
   */
  readonly #free: ArrayBuffer[] = []
  /** The buffers this splitter allocated, so `recycle` takes back only its own. */
  readonly #mine = new WeakSet<ArrayBuffer>()

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
        this.#piece = this.#allocate(size)
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

  /**
   * Hands back a piece this splitter assembled (a view spread over chunks), once nothing refers to its bytes any
   * more, so that a later piece reuses its memory. Pieces that are views into a caller's chunk, and buffers this
   * splitter did not allocate, are ignored. At most {@link RECYCLED} buffers are kept.
   */
  recycle(piece: Uint8Array): void {
    const buffer = piece.buffer
    if (buffer instanceof ArrayBuffer && this.#mine.has(buffer)) this.#keep(buffer)
  }

  /**
   * Whether `piece` lies in a buffer this splitter allocated, which the caller may transfer to a worker thread
   * (its bytes are nobody else's) and give back with {@link FrameSplitter.adopt}.
   */
  lendable(piece: Uint8Array): boolean {
    return piece.buffer instanceof ArrayBuffer && this.#mine.has(piece.buffer)
  }

  /** Takes back a lent buffer after a transfer round trip (a new ArrayBuffer object over the same memory). */
  adopt(buffer: ArrayBuffer): void {
    this.#mine.add(buffer)
    this.#keep(buffer)
  }

  #keep(buffer: ArrayBuffer): void {
    if (buffer.byteLength > 0 && this.#free.length < RECYCLED && !this.#free.includes(buffer)) this.#free.push(buffer)
  }

  /**
   * A view of exactly `size` bytes: over a recycled buffer if one is big enough, else over a fresh one. A frame's
   * buffer gets an eighth of headroom, so that the next frames of about the same size fit it, but never past the
   * largest frame this reader accepts: the largest allocation stays bounded by the limit (test/fuzz).
   */
  #allocate(size: number): Uint8Array {
    const at = this.#free.findIndex((b) => b.byteLength >= size)
    if (at >= 0) {
      const [buffer] = this.#free.splice(at, 1)
      return new Uint8Array(buffer!, 0, size)
    }
    const room = this.#stage === 'frames' ? Math.min(size >>> 3, 4 + this.#maxFrameBytes - size) : 0
    const buffer = new ArrayBuffer(size + Math.max(0, room))
    this.#mine.add(buffer)
    return new Uint8Array(buffer, 0, size)
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
