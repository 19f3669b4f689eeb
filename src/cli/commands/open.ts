/**
 * `arrowseal open`: a sealed stream in; the fields this identity may read out, as Arrow, CSV, NDJSON or Parquet.
 * @module
 */
import type { RecordBatch } from 'apache-arrow'
import { OpenStream, pickIdentityFromStream } from '../../index.node.js'
import { nodeBackend } from '../../node/backend.js'
import type { OpenOptions } from '../../node/files.js'
import { type Command, flag, listOption, stringOption } from '../args.js'
import { detectOutputFormat, parseOutputFormat } from '../convert/formats.js'
import { createBatchWriter } from '../convert/writers.js'
import { CliError } from '../errors.js'
import { displayName, inputStream, isStdio, openOutput, produceOutput, refuseSameFile } from '../io.js'
import { loadKeyring, loadTrusted } from '../keys.js'
import { natsLocation, withNats } from '../nats.js'
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
  help: `Usage: arrowseal open --identity FILE --trust KEY_OR_FILE [--trust …] [-o OUT] [IN | --from URL]

Checks that IN (or stdin) was sealed by a trusted writer and not changed, and writes the fields this identity
may read. Each batch is written only after it has verified. To -o FILE: the file appears only if the whole
input verifies. To stdout: batches stream out as they verify; if a later batch fails (or the stream is cut
short), output stops, stderr says that stdout is incomplete, and the exit code is non-zero (4): discard it.

Options:
      --identity FILE       your identity file, or a keyring file of several (required, repeatable): the
                            stream is opened with the first of them that it names as a recipient
      --trust KEY_OR_FILE   a writer's public key (aseal1…) or a file of them, one a line (required, repeatable)
      --columns a,b         keep only these columns, in this order
      --include-denied      return fields you may not read as all-null columns (only if the writer revealed them)
      --sessions POLICY     streams signed by a writer session: accept (default), current (its window must
                            cover this machine's clock) or reject (require a hybrid signature per stream)
      --stream-id HEX       refuse any stream but this one (32 hex digits, as inspect shows): detects an
                            older stream of the same writer delivered in its place
      --format FORMAT       arrow (IPC stream, default), arrow-file, csv, ndjson or parquet; else from OUT's
                            extension (Parquet key/value metadata is the schema metadata this identity may read)
      --key-access URL      ask this key-access gateway for the keys of roles wrapped to a service ("header":
                            the URL the writer named); needs --gateway
      --gateway KEY_OR_FILE the gateway's public key: requests are addressed to it, its receipts verified with it
      --roles a,b           with --key-access: the roles to ask for (default: every role of the first service)
  -o, --output FILE         where to write (default stdout); written to a temporary file, then renamed
      --from nats://HOST:PORT/SUBJECT
                            read from NATS JetStream instead: claim the next sealed stream of reader group
                            --group on SUBJECT and write it; its frames are acknowledged as they are
                            written to the temporary output, the stream once its end verified
      --group NAME          reader group for --from (default arrowseal-cli)
      --wait SECONDS        how long --from waits for a stream to arrive (default 30)
      --debug               show a stack trace on errors
  -h, --help                show this help
`,
  options: {
    identity: { type: 'string', multiple: true },
    trust: { type: 'string', multiple: true },
    columns: { type: 'string' },
    'include-denied': { type: 'boolean' },
    sessions: { type: 'string' },
    'stream-id': { type: 'string' },
    format: { type: 'string' },
    output: { type: 'string', short: 'o' },
    'key-access': { type: 'string' },
    gateway: { type: 'string' },
    roles: { type: 'string' },
    from: { type: 'string' },
    group: { type: 'string' },
    wait: { type: 'string' },
  },
  maxPositionals: 1,
  async run(inv) {
    const identityPaths = listOption(inv, 'identity')
    if (identityPaths.length === 0) throw new CliError('USAGE', 'missing --identity', 'see `arrowseal open --help`')
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
    const fromText = stringOption(inv, 'from')
    const from = fromText === undefined ? undefined : await natsLocation('--from', fromText)
    if (from && input !== undefined) throw new CliError('USAGE', '--from and an input file exclude each other')
    if (from && streamId !== undefined)
      throw new CliError(
        'USAGE',
        '--stream-id does not apply to --from',
        'a reader group claims whichever stream is next',
      )
    const group = stringOption(inv, 'group') ?? 'arrowseal-cli'
    const waitText = stringOption(inv, 'wait') ?? '30'
    if (!/^\d{1,5}$/.test(waitText)) throw new CliError('USAGE', '--wait must be a number of seconds')
    await refuseSameFile(output, [input, ...identityPaths, ...trustValues])
    const keyring = await loadKeyring(identityPaths)
    if (from && keyring.length !== 1)
      throw new CliError(
        'USAGE',
        '--from takes exactly one --identity',
        'a broker stream is claimed before its header is read',
      )
    const trustedSigners = await loadTrusted(trustValues)
    // With several identities, the header's stanzas say which one to use; the chosen one is checked as always.
    const picked = from
      ? { identity: keyring[0]!, stream: null }
      : keyring.length === 1
        ? { identity: keyring[0]!, stream: await inputStream(input) }
        : await pickIdentityFromStream(await inputStream(input), keyring)
    const options: OpenOptions = {
      identity: picked.identity,
      trustedSigners,
      includeDenied: flag(inv, 'include-denied'),
      sessions,
      backend: nodeBackend(),
      ...(streamId === undefined ? {} : { expectedStreamId: streamId }),
      // The library projects: groups without an asked column are never decrypted.
      ...(columns === undefined ? {} : { columns }),
      ...(await keyAccessOptions(inv)),
    }

    if (from) {
      const out = await openOutput(output, { mode: 0o600 })
      const writer = createBatchWriter(format, out)
      const progress = startProgress(`opening a stream of ${from.subject}`)
      await withNats(from, async (nc, nats) => {
        const reader = await nats.NatsStreamReader.join(nc, { ...options, subject: from.subject, group })
        const stream = await reader.next(Number(waitText) * 1000)
        if (!stream)
          throw new CliError('INPUT_INVALID', `no sealed stream arrived on ${from.subject} within ${waitText} s`)
        await produceOutput(out, progress, async () => {
          let count = 0
          for await (const batch of stream) {
            await writer.write(batch)
            progress.update(++count, out.bytesWritten)
          }
          await writer.finish()
        })
        process.stderr.write(`opened stream ${stream.streamId} of ${from.subject}\n`)
      })
      return
    }
    // Not --from: `picked` read the input (the keyring case) or opened it.
    const source = picked.stream!
    // Decrypted rows are as secret as the key that opened them: the output file is 0600, like the temporary file.
    const out = await openOutput(output, { mode: 0o600, streamStdout: true })
    const writer = createBatchWriter(format, out)
    const progress = startProgress(`opening ${displayName(input)}`)
    await produceOutput(out, progress, async () => {
      const batches = source.pipeThrough(new OpenStream(options)) as unknown as AsyncIterable<RecordBatch>
      let count = 0
      for await (const batch of batches) {
        await writer.write(batch)
        progress.update(++count, out.bytesWritten)
      }
      await writer.finish()
    })
    if (process.stderr.isTTY && !isStdio(output))
      process.stderr.write(`wrote ${output} (${formatBytes(out.bytesWritten)})\n`)
  },
}

async function keyAccessOptions(inv: Parameters<Command['run']>[0]): Promise<Partial<OpenOptions>> {
  const url = stringOption(inv, 'key-access')
  const gateway = stringOption(inv, 'gateway')
  const roles = stringOption(inv, 'roles')
  if (url === undefined) {
    if (gateway !== undefined || roles !== undefined)
      throw new CliError('USAGE', '--gateway and --roles go with --key-access', 'see `arrowseal open --help`')
    return {}
  }
  if (gateway === undefined)
    throw new CliError('USAGE', '--key-access needs --gateway', "pass the gateway's public key: --gateway aseal1…")
  if (url !== 'header' && !/^https?:\/\//.test(url))
    throw new CliError(
      'USAGE',
      '--key-access must be an http(s) URL or "header"',
      'e.g. --key-access https://kas.example',
    )
  const [gatewayKey] = await loadTrusted([gateway])
  const { keyAccessClient } = await import('../../kas/client.js')
  const keyAccessRoles = roles?.split(',').map((r) => r.trim())
  if (keyAccessRoles?.some((r) => r === '')) throw new CliError('USAGE', '--roles has an empty name')
  return {
    keyAccess: keyAccessClient({ gatewayKey: gatewayKey!, ...(url === 'header' ? {} : { url }) }),
    ...(keyAccessRoles ? { keyAccessRoles } : {}),
  }
}
