/**
 * Progress on stderr (batches, bytes, MB/s), only when stderr is a terminal: logs and pipes stay clean.
 *
 * @module
 */

/**
 * A progress line that rewrites itself in place.
 *
 * @example
 * ```ts
 * const p: Progress = startProgress('opening')
 * ```
 */
export interface Progress {
  /** Reports the totals so far: record batches handled and bytes written. */
  update(batches: number, bytes: number): void
  /** Clears the line. */
  done(): void
}

/**
 * Formats a byte count with a binary unit.
 *
 * @example
 * ```ts
 * formatBytes(1536) // '1.5 KiB'
 * ```
 */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let v = n
  let u = 0
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024
    u++
  }
  return `${u === 0 ? v : v.toFixed(1)} ${units[u]}`
}

/**
 * Starts a progress line labelled `label`; a no-op unless stderr is a TTY.
 *
 * @example
 * ```ts
 * const p = startProgress('sealing')
 * p.update(batches, bytesWritten)
 * p.done()
 * ```
 */
export function startProgress(label: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY) return { update() {}, done() {} }
  const start = performance.now()
  let last = 0
  let shown = false
  return {
    update(batches, bytes) {
      const now = performance.now()
      if (now - last < 100) return // redraw at most ten times a second
      last = now
      const secs = (now - start) / 1000
      const rate = secs > 0 ? bytes / 1e6 / secs : 0
      stream.write(`\r\x1b[K${label}: ${batches} batches, ${formatBytes(bytes)}, ${rate.toFixed(1)} MB/s`)
      shown = true
    },
    done() {
      if (shown) stream.write('\r\x1b[K')
    },
  }
}
