/**
 * Atomic file output: bytes go to a temporary file next to the target, which is renamed over the target only
 * after everything was written and flushed. A failure, or a kill, never leaves a partial target behind.
 *
 * @module
 */
import { randomBytes } from 'node:crypto'
import { unlinkSync } from 'node:fs'
import { type FileHandle, link, open, rename, unlink } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'

// Temporary files still open in this process, removed on exit even if the caller never reaches abort().
const live = new Set<string>()
let hooked = false
function track(path: string): void {
  if (!hooked) {
    hooked = true
    process.once('exit', () => {
      for (const p of live) {
        try {
          unlinkSync(p)
        } catch {
          // Already gone: nothing to clean.
        }
      }
    })
  }
  live.add(path)
}

/**
 * Options of {@link createAtomicFile}.
 *
 * @example
 * ```ts
 * await writeFileAtomic('me.key', text, { mode: 0o600, overwrite: false })
 * ```
 */
export interface AtomicFileOptions {
  /** File mode of the new file, e.g. `0o600` for secrets. Default `0o644` (minus the umask). */
  readonly mode?: number
  /** Replace an existing target. Default `true`; with `false` an existing target makes `commit()` throw `EEXIST`. */
  readonly overwrite?: boolean
}

/**
 * A file being written atomically. Call exactly one of `commit()` or `abort()`.
 *
 * @example
 * ```ts
 * const file: AtomicFile = await createAtomicFile('out.aseal')
 * ```
 */
export interface AtomicFile {
  /** The final path. */
  readonly path: string
  /** Bytes written so far. */
  readonly bytesWritten: number
  /** Appends bytes (or UTF-8 text). */
  write(chunk: Uint8Array | string): Promise<void>
  /** Flushes to disk and moves the file into place. */
  commit(): Promise<void>
  /** Deletes the temporary file. Safe to call more than once, and after a failed commit. */
  abort(): Promise<void>
}

/**
 * Starts writing `path` atomically.
 *
 * @example
 * ```ts
 * const out = await createAtomicFile('sealed.aseal')
 * try { await out.write(bytes); await out.commit() } catch (e) { await out.abort(); throw e }
 * ```
 */
export async function createAtomicFile(path: string, options: AtomicFileOptions = {}): Promise<AtomicFile> {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`)
  // 'wx': never follow or reuse an existing file at the temporary name.
  const handle: FileHandle = await open(temp, 'wx', options.mode ?? 0o644)
  track(temp)
  let written = 0
  let closed = false
  const close = async () => {
    if (!closed) {
      closed = true
      await handle.close()
    }
  }
  return {
    path,
    get bytesWritten() {
      return written
    },
    async write(chunk) {
      const bytes = typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk
      let offset = 0
      while (offset < bytes.length) {
        const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset)
        offset += bytesWritten
      }
      written += bytes.length
    },
    async commit() {
      await handle.sync()
      await close()
      if (options.overwrite === false) {
        // link() fails with EEXIST instead of replacing: no window in which an existing file could be clobbered.
        await link(temp, path)
        await unlink(temp)
      } else {
        await rename(temp, path)
      }
      live.delete(temp)
    },
    async abort() {
      await close().catch(() => undefined)
      await unlink(temp).catch(() => undefined)
      live.delete(temp)
    },
  }
}

/**
 * Writes a whole file atomically.
 *
 * @example
 * ```ts
 * await writeFileAtomic('out.aseal', sealed, { overwrite: false })
 * ```
 */
export async function writeFileAtomic(
  path: string,
  data: Uint8Array | string,
  options: AtomicFileOptions = {},
): Promise<void> {
  const file = await createAtomicFile(path, options)
  try {
    await file.write(data)
    await file.commit()
  } catch (err) {
    await file.abort()
    throw err
  }
}
