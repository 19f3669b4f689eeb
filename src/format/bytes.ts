/**
 * Bounds-checked byte cursor and a growable writer. Every read checks the region against the buffer's real
 * length first (`subarray` clamps silently, which is how readers end up trusting offsets taken from the input).
 * @module
 */
import { FormatError } from '../errors.js'

/**
 * Refuses a read of `n` bytes at `offset` when only `remaining` are left (`TRUNCATED`): the one bounds check of
 * {@link ByteReader} and of the reader over a frame's chunks (`parts-reader.ts`), so both fail alike.
 */
export function needBytes(what: string, field: string, n: number, offset: number, remaining: number): void {
  if (n > remaining)
    throw new FormatError('TRUNCATED', `${what}: ${field} needs ${n} bytes at offset ${offset}, ${remaining} left`)
}

/** Refuses `remaining` unread bytes at `offset` (`FORMAT_INVALID`): the end check of both readers. */
export function noBytesLeft(what: string, remaining: number, offset: number): void {
  if (remaining !== 0)
    throw new FormatError('FORMAT_INVALID', `${what}: ${remaining} unexpected bytes at offset ${offset}`)
}

/** Sequential big-endian reader over one buffer. Reads return views, never copies. */
export class ByteReader {
  readonly #bytes: Uint8Array
  readonly #view: DataView
  readonly #what: string
  #pos = 0

  constructor(bytes: Uint8Array, what: string) {
    this.#bytes = bytes
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    this.#what = what
  }

  get offset(): number {
    return this.#pos
  }

  get remaining(): number {
    return this.#bytes.length - this.#pos
  }

  #need(n: number, field: string): void {
    needBytes(this.#what, field, n, this.#pos, this.remaining)
  }

  u8(field: string): number {
    this.#need(1, field)
    return this.#view.getUint8(this.#pos++)
  }

  u16(field: string): number {
    this.#need(2, field)
    const v = this.#view.getUint16(this.#pos)
    this.#pos += 2
    return v
  }

  u32(field: string): number {
    this.#need(4, field)
    const v = this.#view.getUint32(this.#pos)
    this.#pos += 4
    return v
  }

  /** u64 as a JS number; values above 2^53 - 1 are refused as out of range. */
  u64(field: string): number {
    this.#need(8, field)
    const hi = this.#view.getUint32(this.#pos)
    const lo = this.#view.getUint32(this.#pos + 4)
    this.#pos += 8
    if (hi > 0x1f_ffff) throw new FormatError('LIMIT_EXCEEDED', `${this.#what}: ${field} is too large`)
    return hi * 0x1_0000_0000 + lo
  }

  bytes(n: number, field: string): Uint8Array {
    this.#need(n, field)
    const out = this.#bytes.subarray(this.#pos, this.#pos + n)
    this.#pos += n
    return out
  }

  /** Steps over `n` bytes, bounds-checked like a read (a frame parse steps over unit payloads it does not need). */
  skip(n: number, field: string): void {
    this.#need(n, field)
    this.#pos += n
  }

  /** Refuses unread bytes: every region of a structure must be accounted for. */
  end(): void {
    noBytesLeft(this.#what, this.remaining, this.#pos)
  }
}

/** Writes into a buffer of exactly known size (we always know sizes in advance, so there is no growth). */
export class ByteWriter {
  readonly bytes: Uint8Array
  readonly #view: DataView
  #pos = 0

  constructor(size: number) {
    this.bytes = new Uint8Array(size)
    this.#view = new DataView(this.bytes.buffer)
  }

  get offset(): number {
    return this.#pos
  }

  u8(v: number): this {
    this.#view.setUint8(this.#pos, v)
    this.#pos += 1
    return this
  }

  u16(v: number): this {
    this.#view.setUint16(this.#pos, v)
    this.#pos += 2
    return this
  }

  u32(v: number): this {
    this.#view.setUint32(this.#pos, v)
    this.#pos += 4
    return this
  }

  u64(v: number): this {
    this.#view.setUint32(this.#pos, Math.floor(v / 0x1_0000_0000))
    this.#view.setUint32(this.#pos + 4, v >>> 0)
    this.#pos += 8
    return this
  }

  put(b: Uint8Array): this {
    this.bytes.set(b, this.#pos)
    this.#pos += b.length
    return this
  }

  /** Reserves n bytes and returns a view to fill later (used to seal straight into a frame). */
  reserve(n: number): Uint8Array {
    const view = this.bytes.subarray(this.#pos, this.#pos + n)
    this.#pos += n
    return view
  }

  done(): Uint8Array {
    if (this.#pos !== this.bytes.length) throw new Error(`ByteWriter: wrote ${this.#pos} of ${this.bytes.length} bytes`)
    return this.bytes
  }
}

/** Concatenates byte arrays into one new array. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  return concatAll(parts)
}

/** {@link concatBytes} for a list of any length (a spread of many thousand chunks can exceed the call limit). */
export function concatAll(parts: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  let n = 0
  for (const p of parts) n += p.length
  const out = new Uint8Array(n)
  let o = 0
  for (const p of parts) {
    out.set(p, o)
    o += p.length
  }
  return out
}

/** Constant-time equality for secrets and MACs: the time depends only on the lengths. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!
  return diff === 0
}
