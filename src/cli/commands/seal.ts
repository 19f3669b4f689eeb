/**
 * `arrowseal seal`: Arrow IPC, CSV, NDJSON or Parquet in; a sealed stream out.
 * @module
 */

import type { RecordBatch, Schema } from 'apache-arrow'
import { HARD_LIMITS } from '../../format/constants.js'
import { SealStream } from '../../index.node.js'
import { nodeBackend } from '../../node/backend.js'
import type { SealOptions } from '../../node/files.js'
import { readableFrom } from '../../node/streams.js'
import { type Command, flag, requiredOption, stringOption } from '../args.js'
import { parseDelimiter } from '../convert/csv.js'
import { MAX_BATCH_ROWS, parseInputFormat } from '../convert/formats.js'
import { loadSchemaFile } from '../convert/schema-file.js'
import { openSealInput } from '../convert/source.js'
import { DEFAULT_INFER_ROWS } from '../convert/text-options.js'
import { CliError } from '../errors.js'
import { displayName, isStdio, openOutput, produceOutput, refuseSameFile } from '../io.js'
import { loadIdentity, loadPolicy, loadTokenKey, tokenSummary } from '../keys.js'
import { natsLocation, withNats } from '../nats.js'
import { formatBytes, startProgress } from '../progress.js'
import { loadRecipientsFile } from '../recipients-file.js'

/**
 * The `seal` command.
 *
 * @example
 * ```ts
 * await seal.run(parseCommandArgs(seal, argv)!)
 * ```
 */
export const seal: Command = {
  name: 'seal',
  help: `Usage: arrowseal seal --policy POLICY.json --recipients RECIPIENTS.json --signer FILE [-o OUT | --to URL] [IN]

Seals IN (or stdin) so that each field can be read only by the roles the policy names, signed by --signer.

Input formats: Arrow IPC stream or file, CSV (header row first), NDJSON (one JSON object per line), Parquet.
The format comes from --format, else IN's extension (.arrow .arrows .ipc .feather .csv .tsv .ndjson .jsonl
.parquet .pq), else the content. Every format is read as a stream, in batches of --batch-rows rows.
CSV/NDJSON column types come from --schema FILE, else are inferred from the first --infer-rows rows: int64,
float64, bool, timestamp (ISO-8601 date and time, UTC), else utf8; values with leading zeros stay text. A later
value that does not fit stops with an error naming its row and column. Empty CSV fields and JSON null are null.

POLICY.json:      {"fields": {"id": "public", "email": ["support", "auditor"], "tmp": "drop"}, "default": "drop"}
                  Every input column needs a rule, or a "default"; otherwise sealing fails (fail closed).
RECIPIENTS.json:  {"support": ["aseal1…"], "auditor": ["aseal1…", {"key": "aseal1…", "id": "bob-2026"}]}
                  "id" is your label for a key (never written into the stream; see \`arrowseal rotate --help\`).
                  A key-access gateway as a role's recipient: {"analyst": [{"service": "https://kas.example",
                  "key": "aseal1…"}]}; readers of that role then get keys from the gateway when they open.

Pseudonymised views: "tokens": {"email": ["analyst"]} in the policy gives role analyst an HMAC-SHA-256 token of
each email instead of the value (the "fields" rule still says who reads it in clear). Tokens need the dataset's
token key (--token-key, made by \`arrowseal keygen --token-key\`) and name (--dataset); the same value gives the
same token in every stream sealed with both. Which roles get tokens is printed to stderr.

Options:
      --policy FILE         policy file (required)
      --recipients FILE     roles → public keys (required)
      --signer FILE         the writer's identity file (required)
  -o, --output FILE         where to write (default stdout); written to a temporary file, then renamed
      --to nats://HOST:PORT/SUBJECT
                            publish to NATS JetStream instead, as one sealed stream on SUBJECT (see
                            docs/guides/pipelines.md); prints the stream id
      --format FORMAT       input format: arrow, csv, ndjson or parquet
      --schema FILE         CSV/NDJSON column names and types, as JSON:
                            {"fields": [{"name": "id", "type": "int64"}, {"name": "p", "type": "decimal128(12, 2)"}]}
      --infer-rows N        without --schema, rows read to infer types (default ${DEFAULT_INFER_ROWS})
      --null-value TEXT     CSV text that means null (default: the empty field)
      --no-header           the CSV file has no header row: names come from --schema, in file order
      --batch-rows N        rows per sealed batch (default ${MAX_BATCH_ROWS}); memory grows with it
      --delimiter C         CSV field separator: one character, or tab (default , and tab for .tsv files); a
                            header that is one column holding tabs or semicolons gets a warning
      --reveal-schema       publish the names and types of sealed fields in the header (default: hidden)
      --anonymous-recipients
                            leave recipients' key ids out of the header (readers try each stanza)
      --compression C       none (default) or deflate; compression leaks information through sizes
      --min-batch-rows N    merge consecutive smaller batches into batches of at least N rows (faster for
                            many small Arrow batches; readers get the merged batches)
      --dataset NAME        the dataset (stream family) of this stream: what a key-access gateway grants
                            access to, and the family whose tokens join (default: the unnamed dataset "";
                            required with --token-key)
      --token-key FILE      the dataset token key, for policies with "tokens"
      --debug               show a stack trace on errors
  -h, --help                show this help
`,
  options: {
    policy: { type: 'string' },
    recipients: { type: 'string' },
    signer: { type: 'string' },
    output: { type: 'string', short: 'o' },
    format: { type: 'string' },
    delimiter: { type: 'string' },
    schema: { type: 'string' },
    'infer-rows': { type: 'string' },
    'null-value': { type: 'string' },
    'no-header': { type: 'boolean' },
    'batch-rows': { type: 'string' },
    'reveal-schema': { type: 'boolean' },
    'anonymous-recipients': { type: 'boolean' },
    compression: { type: 'string' },
    'min-batch-rows': { type: 'string' },
    'token-key': { type: 'string' },
    dataset: { type: 'string' },
    to: { type: 'string' },
  },
  maxPositionals: 1,
  async run(inv) {
    const policyPath = requiredOption(inv, 'policy', 'seal')
    const recipientsPath = requiredOption(inv, 'recipients', 'seal')
    const signerPath = requiredOption(inv, 'signer', 'seal')
    const formatOption = stringOption(inv, 'format')
    const format = formatOption === undefined ? undefined : parseInputFormat(formatOption)
    const delimiterOption = stringOption(inv, 'delimiter')
    const delimiter = delimiterOption === undefined ? undefined : parseDelimiter(delimiterOption)
    if (delimiter !== undefined && (format === 'arrow' || format === 'ndjson'))
      throw new CliError('USAGE', `--delimiter applies to CSV input, not ${format}`)
    const schemaPath = stringOption(inv, 'schema')
    const nullValue = stringOption(inv, 'null-value')
    const noHeader = flag(inv, 'no-header')
    const textOnly = [schemaPath && '--schema', nullValue !== undefined && '--null-value', noHeader && '--no-header']
    const textOption = textOnly.find((o): o is string => typeof o === 'string')
    if (textOption && (format === 'arrow' || format === 'parquet'))
      throw new CliError('USAGE', `${textOption} applies to CSV or NDJSON input, not ${format}`)
    if ((nullValue !== undefined || noHeader) && format === 'ndjson')
      throw new CliError(
        'USAGE',
        `${nullValue !== undefined ? '--null-value' : '--no-header'} applies to CSV input, not ndjson`,
      )
    const inferRows = countOption(inv, 'infer-rows', HARD_LIMITS.maxRowsPerBatch)
    const batchRows = countOption(inv, 'batch-rows', HARD_LIMITS.maxRowsPerBatch)
    const compression = stringOption(inv, 'compression') ?? 'none'
    if (compression !== 'none' && compression !== 'deflate')
      throw new CliError('USAGE', `unknown compression "${compression}"`, 'use none or deflate')
    const minRowsText = stringOption(inv, 'min-batch-rows')
    const minBatchRows = minRowsText === undefined ? undefined : Number(minRowsText)
    if (minBatchRows !== undefined && !(/^\d+$/.test(minRowsText!) && minBatchRows <= HARD_LIMITS.maxRowsPerBatch))
      throw new CliError('USAGE', `--min-batch-rows must be a row count, not "${minRowsText}"`, 'for example 65536')
    const tokenKeyPath = stringOption(inv, 'token-key')
    const dataset = stringOption(inv, 'dataset')
    if (tokenKeyPath !== undefined && dataset === undefined)
      throw new CliError('USAGE', '--token-key needs --dataset', 'name the dataset the tokens belong to')
    const output = stringOption(inv, 'output')
    const toText = stringOption(inv, 'to')
    if (toText !== undefined && output !== undefined)
      throw new CliError('USAGE', '--to and --output exclude each other')
    const to = toText === undefined ? undefined : await natsLocation('--to', toText)
    const input = inv.positionals[0]
    if (!to && isStdio(output) && process.stdout.isTTY)
      throw new CliError('USAGE', 'refusing to write sealed binary data to a terminal', 'use -o FILE or a pipe')

    await refuseSameFile(output, [
      input,
      policyPath,
      recipientsPath,
      signerPath,
      schemaPath,
      ...(tokenKeyPath ? [tokenKeyPath] : []),
    ])
    // Keys and policy first: a typo there should fail before a large input is read.
    const policy = await loadPolicy(policyPath)
    const { recipients } = await loadRecipientsFile(recipientsPath)
    const signer = await loadIdentity(signerPath)
    const tokens = tokenKeyPath === undefined ? undefined : { dataset: dataset!, key: await loadTokenKey(tokenKeyPath) }
    const schemaColumns = schemaPath === undefined ? undefined : await loadSchemaFile(schemaPath)

    const source = await openSealInput(input, format, {
      ...(delimiter === undefined ? {} : { delimiter }),
      ...(schemaColumns === undefined ? {} : { schema: schemaColumns }),
      ...(nullValue === undefined ? {} : { nullValue }),
      ...(inferRows === undefined ? {} : { inferRows }),
      ...(batchRows === undefined ? {} : { batchRows }),
      header: !noHeader,
      warn: (message) => process.stderr.write(`arrowseal: warning: ${message}\n`),
    })
    // The format may have been detected only now: text options on Arrow or Parquet input are a mistake to report.
    if (textOption && source.format !== 'csv' && source.format !== 'ndjson')
      throw new CliError('USAGE', `${textOption} applies to CSV or NDJSON input, not ${source.format}`)
    const options: SealOptions & { schema: Schema } = {
      schema: source.schema,
      signer,
      recipients,
      policy: policy as SealOptions['policy'],
      revealSchema: flag(inv, 'reveal-schema'),
      anonymousRecipients: flag(inv, 'anonymous-recipients'),
      compression,
      ...(minBatchRows === undefined ? {} : { minBatchRows }),
      ...(dataset === undefined ? {} : { dataset }),
      ...(tokens === undefined ? {} : { tokens }),
      backend: nodeBackend(),
    }
    for (const line of tokenSummary(policy)) process.stderr.write(`arrowseal: ${line}\n`)

    if (to) {
      const sent = await withNats(to, (nc, nats) => nats.publishSealed(nc, to.subject, source.batches, options))
      process.stdout.write(`${sent.streamId}\n`)
      process.stderr.write(
        `published stream ${sent.streamId} to ${to.subject}: ${sent.batches} batches, ${sent.messages} messages, ${formatBytes(sent.bytes)}\n`,
      )
      return
    }
    const out = await openOutput(output)
    const progress = startProgress(`sealing ${displayName(input)}`)
    await produceOutput(out, progress, async () => {
      let batches = 0
      async function* counted(): AsyncGenerator<RecordBatch> {
        for await (const batch of source.batches) {
          batches++
          yield batch
        }
      }
      const sealed = readableFrom(counted()).pipeThrough(new SealStream(options))
      for await (const chunk of sealed as unknown as AsyncIterable<Uint8Array>) {
        await out.write(chunk)
        progress.update(batches, out.bytesWritten)
      }
    })
    if (process.stderr.isTTY && !isStdio(output))
      process.stderr.write(`sealed ${source.rows()} rows into ${output} (${formatBytes(out.bytesWritten)})\n`)
  },
}

// A positive row count option, at most `max`.
function countOption(inv: Parameters<typeof stringOption>[0], name: string, max: number): number | undefined {
  const text = stringOption(inv, name)
  if (text === undefined) return undefined
  const n = Number(text)
  if (!/^\d+$/.test(text) || n < 1 || n > max)
    throw new CliError('USAGE', `--${name} must be a row count from 1 to ${max}, not "${text}"`, 'for example 65536')
  return n
}
