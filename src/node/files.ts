/**
 * File helpers for Node: identity files (mode 0600), sealing an Arrow IPC file, opening a sealed file.
 *
 * An identity file holds exactly one `ASEAL-SECRET-KEY-1…` line; lines starting with `#` and blank lines are
 * ignored, so the file can carry a comment with its public key (as age identity files do).
 *
 * @module
 */
import { open, readFile } from 'node:fs/promises'
import { type RecordBatch, RecordBatchReader, type Table } from 'apache-arrow'
import { KeyError } from '../errors.js'
import {
  exportIdentity,
  type Identity,
  importIdentity,
  type OpenOptions,
  openTable,
  type SealOptions,
  SealStream,
} from '../index.node.js'
import { createAtomicFile, writeFileAtomic } from './atomic.js'
import { readableFrom } from './streams.js'

/**
 * The core's identity and option types, re-exported for callers of this entry.
 *
 * @example
 * ```ts
 * import type { Identity, SealOptions } from 'arrowseal/node'
 * ```
 */
export type { Identity, OpenOptions, SealOptions }

/**
 * Extracts the one secret-key line from identity file text, ignoring comments and blank lines.
 * Never echoes file content in errors: it may be a secret.
 *
 * @example
 * ```ts
 * identityLine('# public key: aseal1…\nASEAL-SECRET-KEY-1…\n') // 'ASEAL-SECRET-KEY-1…'
 * ```
 */
export function identityLine(text: string, where = 'identity file'): string {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
  if (lines.length === 0) throw new KeyError(`${where} contains no identity`)
  if (lines.length > 1) throw new KeyError(`${where} contains ${lines.length} key lines; expected exactly one`)
  return lines[0]!
}

/**
 * Reads an identity file written by {@link writeIdentityFile} or `arrowseal keygen`.
 *
 * @example
 * ```ts
 * const me = await readIdentityFile('me.key')
 * console.log(me.publicKey)
 * ```
 */
export async function readIdentityFile(path: string): Promise<Identity> {
  const text = await readFile(path, 'utf8')
  return importIdentity(identityLine(text, path))
}

/**
 * Writes an identity file with mode 0600, atomically. Refuses to replace an existing file (`EEXIST`) unless
 * `overwrite` is set, because losing a secret key loses access to everything sealed for it.
 *
 * @example
 * ```ts
 * const me = await generateIdentity()
 * await writeIdentityFile('me.key', me)
 * ```
 */
export async function writeIdentityFile(
  path: string,
  identity: Identity,
  options: { overwrite?: boolean } = {},
): Promise<void> {
  const text =
    `# arrowseal identity: keep this file secret\n` +
    `# created: ${new Date().toISOString()}\n` +
    `# public key: ${identity.publicKey}\n` +
    `${exportIdentity(identity)}\n`
  await writeFileAtomic(path, text, { mode: 0o600, overwrite: options.overwrite ?? false })
}

/**
 * Seals an Arrow IPC file or stream on disk into a sealed file, batch by batch, written atomically (a failure
 * leaves no output).
 *
 * @example
 * ```ts
 * await sealFile('data.arrow', 'data.aseal', { signer, recipients, policy })
 * ```
 */
export async function sealFile(input: string, output: string, options: SealOptions): Promise<void> {
  const handle = await open(input, 'r')
  try {
    // A file handle gives apache-arrow random access: the IPC file format is read by its footer, the stream
    // format batch by batch, so memory stays near one batch either way.
    const reader = await RecordBatchReader.from(handle as unknown as Parameters<typeof RecordBatchReader.from>[0])
    await reader.open()
    const file = await createAtomicFile(output)
    try {
      const sealed = readableFrom(reader as AsyncIterable<RecordBatch>).pipeThrough(
        new SealStream({ ...options, schema: reader.schema }),
      )
      for await (const chunk of sealed as unknown as AsyncIterable<Uint8Array>) await file.write(chunk)
      await file.commit()
    } catch (err) {
      await file.abort()
      throw err
    }
  } finally {
    await handle.close()
  }
}

/**
 * Opens a sealed file and returns the fields this identity may read.
 *
 * @example
 * ```ts
 * const table = await openFile('data.aseal', { identity: me, trustedSigners: [writerPublicKey] })
 * ```
 */
export async function openFile(input: string, options: OpenOptions): Promise<Table> {
  const bytes = await readFile(input)
  return openTable(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), options)
}
