/**
 * `arrowseal open`: a sealed stream in; the fields this identity may read out, as Arrow, CSV, NDJSON or Parquet.
 * @module
 */
import { makeData, RecordBatch, Schema, Struct } from 'apache-arrow'
import { OpenStream } from '../../index.node.js'
import { nodeBackend } from '../../node/backend.js'
import type { OpenOptions } from '../../node/files.js'
import { type Command, flag, listOption, requiredOption, stringOption } from '../args.js'
import { detectOutputFormat, parseOutputFormat } from '../convert/formats.js'
import { createBatchWriter } from '../convert/writers.js'
import { CliError } from '../errors.js'
import { displayName, inputStream, isStdio, openOutput, produceOutput, refuseSameFile } from '../io.js'
import { loadIdentity, loadTrusted } from '../keys.js'
import { formatBytes, startProgress } from '../progress.js'

/**
 * The `open` command.
 *
 * @example
 * ```ts
 * await open.run(parseCommandArgs(open, argv)!)
 * ```
 */
export const open: Command = {
  name: 'open',
  help: `Usage: arrowseal open --identity FILE --trust KEY_OR_FILE [--trust …] [-o OUT] [IN]

Checks that IN (or stdin) was sealed by a trusted writer and not changed, and writes the fields this identity
may read. Each batch is written only after it has verified. To -o FILE: the file appears only if the whole
input verifies. To stdout: batches stream out as they verify; if a later batch fails (or the stream is cut
short), output stops, stderr says that stdout is incomplete, and the exit code is non-zero (4): discard it.

Options:
      --identity FILE       your identity file (required)
      --trust KEY_OR_FILE   a writer's public key (aseal1…) or a file of them, one a line (required, repeatable)
      --columns a,b         keep only these columns, in this order
      --include-denied      return fields you may not read as all-null columns (only if the writer revealed them)
      --sessions POLICY     streams signed by a writer session: accept (default), current (its window must
                            cover this machine's clock) or reject (require a hybrid signature per stream)
      --stream-id HEX       refuse any stream but this one (32 hex digits, as inspect shows): detects an
                            older stream of the same writer delivered in its place
      --format FORMAT       arrow (IPC stream, default), arrow-file, csv, ndjson or parquet; else from OUT's
                            extension (Parquet key/value metadata is the schema metadata this identity may read)
  -o, --output FILE         where to write (default stdout); written to a temporary file, then renamed
      --debug               show a stack trace on errors
  -h, --help                show this help
`,
  options: {
    identity: { type: 'string' },
    trust: { type: 'string', multiple: true },
    columns: { type: 'string' },
    'include-denied': { type: 'boolean' },
    sessions: { type: 'string' },
    'stream-id': { type: 'string' },
    format: { type: 'string' },
    output: { type: 'string', short: 'o' },
  },
  maxPositionals: 1,
  async run(inv) {
    const identityPath = requiredOption(inv, 'identity', 'open')
    const trustValues = listOption(inv, 'trust')
    if (trustValues.length === 0)
      throw new CliError('USAGE', 'missing --trust', "pass the writer's public key: --trust aseal1… or --trust FILE")
    const output = stringOption(inv, 'output')
    const formatOption = stringOption(inv, 'format')
    const format = formatOption === undefined ? detectOutputFormat(output) : parseOutputFormat(formatOption)
    if (
      isStdio(output) &&
      process.stdout.isTTY &&
      (format === 'arrow' || format === 'arrow-file' || format === 'parquet')
    )
      throw new CliError('USAGE', 'refusing to write binary Arrow data to a terminal', 'use -o FILE or --format csv')
    const columnsOption = stringOption(inv, 'columns')
    const columns = columnsOption?.split(',').map((c) => c.trim())
    if (columns?.some((c) => c === '')) throw new CliError('USAGE', '--columns has an empty name')
    if (columns && new Set(columns).size !== columns.length)
      throw new CliError('USAGE', '--columns names a column twice')

    const sessions = stringOption(inv, 'sessions') ?? 'accept'
    if (sessions !== 'accept' && sessions !== 'current' && sessions !== 'reject')
      throw new CliError('USAGE', `unknown --sessions ${JSON.stringify(sessions)}`, 'use accept, current or reject')

    const streamId = stringOption(inv, 'stream-id')
    if (streamId !== undefined && !/^[0-9a-fA-F]{32}$/.test(streamId))
      throw new CliError('USAGE', '--stream-id must be 32 hex digits', 'copy the stream id that inspect shows')
    const input = inv.positionals[0]
    await refuseSameFile(output, [input, identityPath, ...trustValues])
    const identity = await loadIdentity(identityPath)
    const trustedSigners = await loadTrusted(trustValues)
    const options: OpenOptions = {
      identity,
      trustedSigners,
      includeDenied: flag(inv, 'include-denied'),
      sessions,
      backend: nodeBackend(),
      ...(streamId === undefined ? {} : { expectedStreamId: streamId }),
    }

    const source = await inputStream(input)
    // Decrypted rows are as secret as the key that opened them: the output file is 0600, like the temporary file.
    const out = await openOutput(output, { mode: 0o600, streamStdout: true })
    const writer = createBatchWriter(format, out)
    const progress = startProgress(`opening ${displayName(input)}`)
    await produceOutput(out, progress, async () => {
      const batches = source.pipeThrough(new OpenStream(options)) as unknown as AsyncIterable<RecordBatch>
      let count = 0
      for await (const batch of batches) {
        await writer.write(columns ? selectColumns(batch, columns) : batch)
        progress.update(++count, out.bytesWritten)
      }
      await writer.finish()
    })
    if (process.stderr.isTTY && !isStdio(output))
      process.stderr.write(`wrote ${output} (${formatBytes(out.bytesWritten)})\n`)
  },
}

function selectColumns(batch: RecordBatch, columns: readonly string[]): RecordBatch {
  const names = new Set(batch.schema.fields.map((f) => f.name))
  const missing = columns.find((c) => !names.has(c))
  // Do not say whether the column exists: with a hidden schema the CLI cannot know, and must not guess.
  if (missing !== undefined)
    throw new CliError(
      'USAGE',
      `column "${missing}" is not among the columns this identity can read`,
      'run without --columns to see them',
    )
  // RecordBatch.select keeps schema order; --columns promises the order the user asked for.
  const at = columns.map((c) => batch.schema.fields.findIndex((f) => f.name === c))
  const fields = at.map((i) => batch.schema.fields[i]!)
  const children = at.map((i) => batch.data.children[i]!)
  const data = makeData({ type: new Struct(fields), length: batch.numRows, nullCount: 0, children })
  return new RecordBatch(new Schema(fields, batch.schema.metadata), data)
}
