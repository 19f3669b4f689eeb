/**
 * Reading a structure that is held as consecutive views rather than one buffer: a frame as the chunks it arrived
 * in, which the rewrapper checks and passes on without first copying it into one buffer (issue 14).
 * @module
 */
import { ByteReader, needBytes, noBytesLeft } from './bytes.js'

/**
 * Sequential big-endian reader over consecutive views, with the reads, bounds checks and errors of
 * {@link ByteReader}. A field inside one view is returned as a view; one that straddles two views is copied
 * (fields read this way are a few bytes: lengths, MACs, a signature). Payloads are stepped over with `skip`.
 */
export class PartsReader {
  readonly #parts: readonly Uint8Array[]
  readonly #what: string
  readonly #length: number
  #pos = 0
  /** The view holding byte `#pos`, and the offset of `#pos` inside it. */
  #part = 0
  #inPart = 0

  constructor(parts: readonly Uint8Array[], what: string) {
    this.#parts = parts
    this.#what = what
    let n = 0
    for (const p of parts) n += p.length
    this.#length = n
  }

  get offset(): number {
    return this.#pos
  }

  get remaining(): number {
    return this.#length - this.#pos
  }

  u8(field: string): number {
    return this.#take(1, field)[0]!
  }

  u16(field: string): number {
    return this.#fixed(2, field).u16(field)
  }

  u32(field: string): number {
    return this.#fixed(4, field).u32(field)
  }

  /** u64 as a JS number; values above 2^53 - 1 are refused as out of range (as ByteReader does). */
  u64(field: string): number {
    return this.#fixed(8, field).u64(field)
  }

  bytes(n: number, field: string): Uint8Array {
    return this.#take(n, field)
  }

  skip(n: number, field: string): void {
    needBytes(this.#what, field, n, this.#pos, this.remaining)
    this.#advance(n)
  }

  /** Refuses unread bytes, as ByteReader does. */
  end(): void {
    noBytesLeft(this.#what, this.remaining, this.#pos)
  }

  /** A ByteReader over the next `n` bytes, so the integer decoding (and its range check) is ByteReader's own. */
  #fixed(n: number, field: string): ByteReader {
    return new ByteReader(this.#take(n, field), this.#what)
  }

  #take(n: number, field: string): Uint8Array {
    needBytes(this.#what, field, n, this.#pos, this.remaining)
    this.#settle()
    const here = this.#parts[this.#part]
    if (here !== undefined && this.#inPart + n <= here.length) {
      const view = here.subarray(this.#inPart, this.#inPart + n)
      this.#advance(n)
      return view
    }
    const out = new Uint8Array(n)
    let filled = 0
    while (filled < n) {
      this.#settle()
      const p = this.#parts[this.#part]!
      const take = Math.min(n - filled, p.length - this.#inPart)
      out.set(p.subarray(this.#inPart, this.#inPart + take), filled)
      filled += take
      this.#advance(take)
    }
    return out
  }

  /** Moves `#pos` on by `n` bytes (already bounds-checked). */
  #advance(n: number): void {
    this.#pos += n
    this.#inPart += n
    this.#settle()
  }

  /** Steps past exhausted (and empty) views, so `#part` holds the next unread byte. */
  #settle(): void {
    while (this.#part < this.#parts.length && this.#inPart >= this.#parts[this.#part]!.length) {
      this.#inPart -= this.#parts[this.#part]!.length
      this.#part++
    }
  }
}

/**
 * Views of the first `n` bytes of consecutive views (`n` at most their total): a frame body as the chunks it
 * arrived in, without its trailer.
 *
 * @example
 * ```ts
 * leadingParts([Uint8Array.of(1, 2), Uint8Array.of(3, 4)], 3) // [Uint8Array [1, 2], Uint8Array [3]]
 * ```
 */
export function leadingParts(parts: readonly Uint8Array[], n: number): Uint8Array[] {
  const out: Uint8Array[] = []
  let left = n
  for (const p of parts) {
    if (left === 0) break
    const take = Math.min(left, p.length)
    if (take > 0) out.push(take === p.length ? p : p.subarray(0, take))
    left -= take
  }
  return out
}
