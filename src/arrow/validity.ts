/**
 * An IPC body assembler that always writes the validity bitmap.
 *
 * arrow-js's `VectorAssembler` writes an empty validity buffer for an array with no nulls and the real bitmap
 * otherwise, so a sealed unit grew by one bitmap (⌈rows/8⌉, padded to 8) the moment a column held one null: a
 * keyless observer learnt, per batch and per column, whether it had any null (issue 19). This assembler writes a
 * bitmap for every array that has a validity slot in the Arrow columnar format (every type but Null and Union),
 * all ones when there is no null, so a unit's size no longer depends on null presence: at top level, in nested
 * children, and in dictionary batches alike, and always exactly ⌈length/8⌉ bytes (see {@link exactBitmap}). The field node still records the true null count (0), which the
 * Arrow spec allows alongside a present bitmap ("Arrays having a 0 null count may choose to not allocate the
 * validity bitmap" — may, not must).
 *
 * @module
 */

import { type Data, DataType, Vector } from 'apache-arrow'
import { BufferRegion, FieldNode } from 'apache-arrow/ipc/metadata/message'
import { truncateBitmap } from 'apache-arrow/util/bit'
import { Visitor } from 'apache-arrow/visitor'
import { VectorAssembler } from 'apache-arrow/visitor/vectorassembler'

/** The largest array length Arrow IPC can carry (lengths are signed 32-bit in arrow-js's writer). */
const MAX_LENGTH = 2 ** 31 - 1

/** `length` valid bits, LSB first as Arrow numbers them, with the unused high bits of the last byte cleared. */
function allValid(length: number): Uint8Array {
  const bitmap = new Uint8Array((length + 7) >> 3).fill(0xff)
  if (length & 7) bitmap[bitmap.length - 1] = (1 << (length & 7)) - 1
  return bitmap
}

// arrow-js declares the constructor private (its static `assemble` is the intended entry), but the class is an
// ordinary one at runtime; subclassing is the only way to change one step of its walk.
const Assembler = VectorAssembler as unknown as new () => VectorAssembler

/**
 * The validity bits of `data` as exactly ⌈length/8⌉ bytes with the bits past `length` cleared. arrow-js would
 * write the builder's whole bitmap, whose capacity (64 bytes and up) is not a function of the row count alone.
 */
function exactBitmap(data: Data): Uint8Array {
  const { length } = data
  const bytes = (length + 7) >> 3
  const packed = truncateBitmap(data.offset, length, data.nullBitmap!)
  const out = new Uint8Array(bytes)
  out.set(packed.subarray(0, Math.min(bytes, packed.length)))
  if (length & 7) out[bytes - 1]! &= (1 << (length & 7)) - 1
  return out
}

/**
 * `VectorAssembler` with one change: {@link ValidityAssembler.visit} writes a real bitmap where arrow-js would write
 * an empty placeholder. Everything else (buffer order, 8-byte padding, union and dictionary handling) is arrow-js's.
 *
 * @example
 * ```ts
 * const { nodes, buffers } = ValidityAssembler.assembleBatch(batch) // every nullable slot carries a bitmap
 * ```
 * @internal
 */
export class ValidityAssembler extends Assembler {
  /** Assembles the children of a record batch, or the chunks of a vector (a dictionary batch's values). */
  static assembleBatch(source: { data: { children: Data[] } } | Vector): ValidityAssembler {
    const assembler = new ValidityAssembler()
    assembler.visitMany(source instanceof Vector ? source.data : source.data.children)
    return assembler
  }

  // Mirrors VectorAssembler.visit except for the placeholder, then dispatches as Visitor.visit does (skipping the
  // parent's visit, which would add a second validity buffer).
  override visit(data: Data | Vector): this {
    if (data instanceof Vector) {
      this.visitMany(data.data)
      return this
    }
    const { type } = data
    if (!DataType.isDictionary(type)) {
      const { length } = data
      if (length > MAX_LENGTH) throw new RangeError('Cannot write arrays larger than 2^31 - 1 in length')
      if (DataType.isUnion(type)) {
        this._nodes.push(new FieldNode(length, 0))
      } else {
        const { nullCount } = data
        if (!DataType.isNull(type)) {
          this.#addBuffer(nullCount <= 0 ? allValid(length) : exactBitmap(data))
        }
        this._nodes.push(new FieldNode(length, nullCount))
      }
    }
    return Visitor.prototype.visit.call(this, data) as this
  }

  #addBuffer(values: Uint8Array): void {
    const byteLength = (values.byteLength + 7) & ~7
    this._buffers.push(values)
    this._bufferRegions.push(new BufferRegion(this._byteLength, byteLength))
    this._byteLength += byteLength
  }
}
