/**
 * Atomic file output: bytes go to a temporary file next to the target, which is renamed over the target only
 * after everything was written and flushed. A failure, or a kill, never leaves a partial target behind.
 *
 * The temporary file is created mode 0600 whatever the final mode, and gets the final mode only just before the
 * rename: a SIGKILL or the OOM killer (which no exit hook survives) can leave it behind, and it may hold
 * decrypted rows. Its name `.TARGET.PID-HEX.tmp` carries the writing process id, so the next write of the same
 * target removes leftovers whose process is gone (never those of a live concurrent writer).
 *
 * @module
 */
import { randomBytes } from 'node:crypto'
import { unlinkSync } from 'node:fs'
import { type FileHandle, link, open, readdir, rename, unlink } from 'node:fs/promises'
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
  /**
   * File mode of the new file, e.g. `0o600` for secrets. Default `0o644` (minus the umask). The temporary file
   * is 0600 until commit regardless.
   */
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
  await sweepStaleTemps(path)
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}-${randomBytes(6).toString('hex')}.tmp`)
  // 'wx': never follow or reuse an existing file at the temporary name. 0600 until commit (see the module doc).
  const handle: FileHandle = await open(temp, 'wx', 0o600)
  track(temp)
  const finalMode = (options.mode ?? 0o644) & ~process.umask()
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
      if (finalMode !== 0o600) await handle.chmod(finalMode)
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
 * Removes temporary files that an earlier write of `path` left behind when its process was killed (SIGKILL, the
 * OOM killer, power loss). Only files named like ours whose writer process no longer exists are removed, so a
 * concurrent writer of the same target is never disturbed. Best effort: errors are ignored.
 *
 * @example
 * ```ts
 * const removed = await sweepStaleTemps('out.csv') // e.g. ['.out.csv.4242-0a1b2c3d4e5f.tmp']
 * ```
 */
export async function sweepStaleTemps(path: string): Promise<string[]> {
  const dir = dirname(path)
  const prefix = `.${basename(path)}.`
  let names: string[]
  try {
    names = await readdir(dir)
  } catch {
    return []
  }
  const removed: string[] = []
  for (const name of names) {
    if (!name.startsWith(prefix)) continue
    const m = /^(\d+)-[0-9a-f]{12}\.tmp$/.exec(name.slice(prefix.length))
    if (!m || processAlive(Number(m[1]))) continue
    try {
      await unlink(join(dir, name))
      removed.push(name)
    } catch {
      // Gone already, or not ours to remove: leave it.
    }
  }
  return removed
}

function processAlive(pid: number): boolean {
  if (pid === process.pid) return true
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as { code?: unknown }).code === 'EPERM'
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
