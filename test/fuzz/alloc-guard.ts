/**
 * Records the largest buffer allocated through the global `Uint8Array` and `ArrayBuffer` constructors while a
 * fuzz case runs. The reader's buffers (the frame splitter's piece buffer, header copies, decrypted units) are
 * allocated this way at call time, so a reader that trusted a hostile length field before checking it would show
 * up here even if the allocation later succeeded and was freed. Libraries that captured the constructors at load
 * time (fflate) are not seen; they only run on authenticated bytes.
 */

let largest = 0
let largestStack = ''
/** Allocations above this size keep their stack, so a report can say where they came from. */
const STACK_THRESHOLD = 1 << 20

function watch<T extends new (...args: never[]) => object>(ctor: T): T {
  return new Proxy(ctor, {
    construct(target, args, newTarget) {
      const n = args[0]
      if (typeof n === 'number' && n > largest) {
        largest = n
        if (n > STACK_THRESHOLD) largestStack = new Error('allocation').stack ?? ''
      }
      return Reflect.construct(target, args, newTarget)
    },
  })
}

const originals = { Uint8Array: globalThis.Uint8Array, ArrayBuffer: globalThis.ArrayBuffer }

/** Starts recording. Idempotent. */
export function installAllocationGuard(): void {
  if (globalThis.Uint8Array !== originals.Uint8Array) return
  globalThis.Uint8Array = watch(originals.Uint8Array)
  globalThis.ArrayBuffer = watch(originals.ArrayBuffer)
}

/** Stops recording and restores the constructors. */
export function removeAllocationGuard(): void {
  globalThis.Uint8Array = originals.Uint8Array
  globalThis.ArrayBuffer = originals.ArrayBuffer
}

/** The largest single allocation since the last reset, in bytes (elements, for Uint8Array: the same). */
export function largestAllocation(): number {
  return largest
}

/** Where the largest allocation above 1 MiB since the last reset was made (empty if none). */
export function largestAllocationStack(): string {
  return largestStack
}

export function resetAllocationRecord(): void {
  largest = 0
  largestStack = ''
}
