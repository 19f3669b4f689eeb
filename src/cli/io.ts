/**
 * CLI input and output. Input is a file or stdin (`-` or no argument). Output is a file written atomically
 * (temporary file + rename) or stdout. On stdout a command either holds its output in memory until it has
 * succeeded (so a failure emits nothing; `seal`) or streams it (`open`: each batch is written once it has been
 * verified, and a failure midway ends the output with a line on stderr saying that what was written is
 * incomplete, as age does).
 *
 * @module
 */
import { open, readFile, stat } from 'node:fs/promises'
import { Readable } from 'node:stream'
import { concatAll } from '../format/bytes.js'
import { type AtomicFile, createAtomicFile } from '../node/atomic.js'
import { CliError, fsError } from './errors.js'
import type { Progress } from './progress.js'

/**
 * `true` when `path` names stdin/stdout.
 *
 * @example
 * ```ts
 * isStdio('-') // true
 * ```
 */
export function isStdio(path: string | undefined): boolean {
  return path === undefined || path === '-'
}

/**
 * A display name for an input or output path.
 *
 * @example
 * ```ts
 * displayName(undefined) // '<stdio>'
 * ```
 */
export function displayName(path: string | undefined): string {
  return isStdio(path) ? '<stdio>' : path!
}

/**
 * Reads a whole input: the file at `path`, or stdin.
 *
 * @example
 * ```ts
 * const bytes = await readInput(inv.positionals[0])
 * ```
 */
export async function readInput(path: string | undefined): Promise<Uint8Array> {
  if (isStdio(path)) {
    if (process.stdin.isTTY)
      throw new CliError('USAGE', 'no input file given and stdin is a terminal', 'pass a file or pipe data in')
    const chunks: Uint8Array[] = []
    for await (const chunk of process.stdin) chunks.push(chunk as Uint8Array)
    return concatAll(chunks)
  }
  try {
    const buf = await readFile(path!)
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength)
  } catch (err) {
    throw fsError(err, path!, 'read')
  }
}

/**
 * Reads a small text file (policy, recipients, keys), mapping file-system errors to `IO` errors.
 *
 * @example
 * ```ts
 * const text = await readTextFile('policy.json')
 * ```
 */
export async function readTextFile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8')
  } catch (err) {
    throw fsError(err, path, 'read')
  }
}

/**
 * Streams an input as a WHATWG byte stream: the file at `path`, or stdin. The file is opened first, so a
 * missing file fails here with a clear message rather than mid-stream.
 *
 * @example
 * ```ts
 * const source = await inputStream('data.aseal')
 * ```
 */
export async function inputStream(path: string | undefined): Promise<ReadableStream<Uint8Array>> {
  let node: Readable
  if (isStdio(path)) {
    if (process.stdin.isTTY)
      throw new CliError('USAGE', 'no input file given and stdin is a terminal', 'pass a file or pipe data in')
    node = process.stdin
  } else {
    try {
      const handle = await open(path!, 'r')
      if ((await handle.stat()).isDirectory()) {
        await handle.close()
        throw Object.assign(new Error('is a directory'), { code: 'EISDIR' })
      }
      node = handle.createReadStream({ highWaterMark: 1 << 20 })
    } catch (err) {
      throw fsError(err, path!, 'read')
    }
  }
  return Readable.toWeb(node) as unknown as ReadableStream<Uint8Array>
}

/**
 * Refuses an output file that is one of the files the command reads (`seal -o data.csv data.csv`): the atomic
 * rename would replace the input, and if the writer is not a recipient the data is gone. Files are compared by
 * device and inode after following symbolic links, so a hard link or a symlink to the input is caught too.
 * Paths that do not exist (yet) or are stdio, and `--trust` values that are keys rather than files, are skipped.
 *
 * @example
 * ```ts
 * await refuseSameFile(output, [input, policyPath, recipientsPath, signerPath])
 * ```
 */
export async function refuseSameFile(
  output: string | undefined,
  reads: readonly (string | undefined)[],
): Promise<void> {
  if (isStdio(output)) return
  const target = await identity(output!)
  if (!target) return
  for (const path of reads) {
    if (isStdio(path)) continue
    const other = await identity(path!)
    if (other && other.dev === target.dev && other.ino === target.ino)
      throw new CliError(
        'USAGE',
        `the output ${output} is the same file as the input ${path}`,
        'write to another path; replacing an input would destroy it',
      )
  }
}

async function identity(path: string): Promise<{ dev: number; ino: number } | undefined> {
  try {
    const s = await stat(path)
    return { dev: s.dev, ino: s.ino }
  } catch {
    return undefined
  }
}

/**
 * Runs `produce` against `out` and commits the output only if it succeeds; otherwise the output is discarded
 * (temporary file removed, nothing printed) and the error is rethrown. `progress` is cleared either way.
 *
 * @example
 * ```ts
 * await produceOutput(out, progress, async () => { await out.write(bytes) })
 * ```
 */
export async function produceOutput(out: Output, progress: Progress, produce: () => Promise<void>): Promise<void> {
  try {
    await produce()
    progress.done()
    await out.commit()
  } catch (err) {
    progress.done()
    await out.abort()
    throw err
  }
}

/**
 * Where a command's result goes. Call exactly one of `commit()` or `abort()`.
 *
 * @example
 * ```ts
 * const out: Output = await openOutput('out.csv')
 * ```
 */
export interface Output {
  readonly bytesWritten: number
  write(chunk: Uint8Array | string): Promise<void>
  commit(): Promise<void>
  abort(): Promise<void>
}

/**
 * Opens the output: an atomic file at `path`, or stdout (buffered until `commit()`).
 *
 * @example
 * ```ts
 * const out = await openOutput(inv.values.output)
 * try { await out.write(bytes); await out.commit() } catch (e) { await out.abort(); throw e }
 * ```
 */
export async function openOutput(
  path: string | undefined,
  options: { mode?: number; streamStdout?: boolean } = {},
): Promise<Output> {
  if (isStdio(path)) return options.streamStdout ? streamingStdout() : stdoutOutput()
  let file: AtomicFile
  try {
    file = await createAtomicFile(path!, options)
  } catch (err) {
    throw fsError(err, path!, 'write')
  }
  return {
    get bytesWritten() {
      return file.bytesWritten
    },
    async write(chunk) {
      try {
        await file.write(chunk)
      } catch (err) {
        throw fsError(err, path!, 'write')
      }
    },
    async commit() {
      try {
        await file.commit()
      } catch (err) {
        await file.abort()
        throw fsError(err, path!, 'write')
      }
    },
    abort: () => file.abort(),
  }
}

function stdoutOutput(): Output {
  const chunks: Uint8Array[] = []
  let written = 0
  const encoder = new TextEncoder()
  return {
    get bytesWritten() {
      return written
    },
    async write(chunk) {
      const bytes = typeof chunk === 'string' ? encoder.encode(chunk) : chunk
      chunks.push(bytes)
      written += bytes.length
    },
    async commit() {
      for (const c of chunks) await writeStdout(c)
      chunks.length = 0
    },
    async abort() {
      chunks.length = 0
    },
  }
}

/**
 * The line `open` prints on stderr when it fails after writing `bytes` to stdout: the error line follows it.
 *
 * @example
 * ```ts
 * incompleteOutputLine(4096) // 'arrowseal: stdout is incomplete: …'
 * ```
 */
export function incompleteOutputLine(bytes: number): string {
  return `arrowseal: stdout is incomplete: ${bytes} bytes of verified output were written before the error below; discard them`
}

// Stdout written as the command goes: only already verified data is ever passed to `write`.
function streamingStdout(): Output {
  let written = 0
  return {
    get bytesWritten() {
      return written
    },
    async write(chunk) {
      await writeStdout(chunk)
      written += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length
    },
    async commit() {},
    async abort() {
      if (written > 0) process.stderr.write(`${incompleteOutputLine(written)}\n`)
    },
  }
}

/**
 * Writes to stdout and waits for it to drain, so large outputs piped to a slow reader are not dropped at exit.
 *
 * @example
 * ```ts
 * await writeStdout('done\n')
 * ```
 */
export function writeStdout(chunk: Uint8Array | string): Promise<void> {
  return new Promise((resolve, reject) => {
    process.stdout.write(chunk, (err) => (err ? reject(err) : resolve()))
  })
}
