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

/**
 * A frame as the views of the chunks it arrived in, in order: together, the bytes after its length field. What a
 * gathering splitter ({@link FrameSplitter.gather}) yields for every frame.
 */
export interface GatheredFrame {
  readonly type: 'parts'
  readonly parts: readonly Uint8Array[]
}

/** How many recycled buffers a splitter keeps: the streams need one per frame in flight (workers + 1). */
const RECYCLED = 8

/**
 * Most chunk views a gathered frame is held as. Past it the frame is assembled into one buffer after all (the
 * plain splitter's path), so a source of tiny chunks costs one copy of the frame, never an unbounded list.
 */
const MAX_PARTS = 1024

/**
 * Splits sealed bytes into pieces. Call `push` (or `gather`, to get frames spread over chunks as views of them)
 * with each chunk, then `close` at the end of input.
 */
export class FrameSplitter {
  readonly #maxFrameBytes: number
  #stage: 'header' | 'frames' | 'ended' = 'header'
  /** The length prefix of the piece being read: 15 bytes for the header, 4 for a frame. */
  readonly #prefix = new Uint8Array(HEADER_PREFIX_BYTES)
  #prefixFilled = 0
  /** Once the prefix is read: a buffer of the piece's exact size, and how much of it is filled. */
  #piece: Uint8Array | null = null
  #pieceFilled = 0
  /** Gathering instead (see {@link FrameSplitter.gather}): the views so far, and how many frame bytes are still due. */
  #parts: Uint8Array[] | null = null
  #partsDue = 0
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
    return this.#prefixFilled === 0 && this.#piece === null && this.#parts === null
  }

  /**
   * Adds a chunk and yields every piece it completes. A piece that lies wholly inside the chunk is yielded as a
   * view (no copy); one spread over chunks is assembled into a buffer of its exact, already-checked size.
   */
  *push(chunk: Uint8Array): Generator<Piece> {
    for (const piece of this.#split(chunk, false)) {
      if (piece.type === 'parts') throw new Error('FrameSplitter: push() on a splitter already used with gather()')
      yield piece
    }
  }

  /**
   * {@link FrameSplitter.push}, except that a frame spread over chunks is not copied into one buffer: it is yielded
   * as the views of the chunks it arrived in (so the chunks must not be written to afterwards, as for the views
   * `push` yields). The header is yielded as by `push`. Use one splitter with one of the two methods only.
   */
  *gather(chunk: Uint8Array): Generator<Extract<Piece, { type: 'header' }> | GatheredFrame> {
    for (const piece of this.#split(chunk, true))
      yield piece.type === 'frame' ? { type: 'parts', parts: [piece.bytes] } : piece
  }

  *#split(chunk: Uint8Array, gather: boolean): Generator<Piece | GatheredFrame> {
    let off = 0
    while (off < chunk.length) {
      if (this.#stage === 'ended')
        throw new FormatError('TRAILING_DATA', `${chunk.length - off} bytes follow the end of the stream`)
      const prefixLen = this.#stage === 'header' ? HEADER_PREFIX_BYTES : 4
      if (this.#parts !== null) {
        const frame = this.#gatherFrom(chunk, off)
        off += frame.took
        if (frame.done) yield frame.done
        continue
      }
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
        this.#prefixFilled = 0
        if (gather && this.#stage === 'frames') {
          this.#parts = []
          this.#partsDue = size - prefixLen
          // An empty frame whose length field ended the chunk is complete already (the loop would not come back).
          if (this.#partsDue === 0) yield this.#gatherFrom(chunk, off).done!
          continue
        }
        this.#piece = this.#allocate(size)
        this.#piece.set(this.#prefix.subarray(0, prefixLen))
        this.#pieceFilled = prefixLen
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
   * Takes the gathered frame's next bytes from `chunk` at `off` as a view: returns how many it took and, once the
   * frame is complete, the frame. Past {@link MAX_PARTS} views, the frame goes over to being assembled.
   */
  #gatherFrom(chunk: Uint8Array, off: number): { took: number; done: GatheredFrame | null } {
    const parts = this.#parts!
    const took = Math.min(this.#partsDue, chunk.length - off)
    if (parts.length === MAX_PARTS) {
      this.#assembleParts(parts)
      return { took: 0, done: null }
    }
    if (took > 0) parts.push(chunk.subarray(off, off + took))
    this.#partsDue -= took
    if (this.#partsDue > 0) return { took, done: null }
    this.#parts = null
    return { took, done: { type: 'parts', parts } }
  }

  /** Copies a frame gathered so far into a buffer of its full size and goes on assembling it. */
  #assembleParts(parts: readonly Uint8Array[]): void {
    let filled = 4
    for (const p of parts) filled += p.length
    const piece = this.#allocate(filled + this.#partsDue)
    piece.set(this.#prefix.subarray(0, 4))
    let at = 4
    for (const p of parts) {
      piece.set(p, at)
      at += p.length
    }
    this.#piece = piece
    this.#pieceFilled = filled
    this.#parts = null
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
