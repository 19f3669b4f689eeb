/**
 * `arrowseal audit show`: what a store holds: its size and latest checkpoint, an entry, or a proof file.
 * @module
 */
import { base64Encode } from '../../audit/base64.js'
import { decodeAuditEvent } from '../../audit/event.js'
import type { Command } from '../args.js'
import { flag, stringOption } from '../args.js'
import { CliError } from '../errors.js'
import { writeStdout } from '../io.js'
import { countOption, formatProof, loadLogKey } from './audit-files.js'

const HELP = `Usage: arrowseal audit show --key KEY STORE [options]

Shows what the audit log in STORE (a SQLite file or a postgres:// URL) holds. Nothing it prints is trusted until
\`arrowseal audit verify\` has checked it against a checkpoint you kept.
  (no option)         origin, size, root and the size of the latest stored checkpoint
  --checkpoint        print the latest stored checkpoint note
  --entry N           print entry N (decoded as an audit event when it is one; --raw for the bytes)
  --entries N         list entries from N on, one JSON line each with its index (--count of them, default 100):
                      decision, who, reason and, for an admin act, its target (principal, role, dataset)
  --inclusion N       print the inclusion proof file of entry N (in the tree of --size, default the current size)
  --consistency M     print the consistency proof file from size M to --size (default the current size)
Options:
  --key KEY           the log's public key (aseal1… or a file holding it)
  --origin ORIGIN     the log's name (checked against the store)
  --size N            tree size for proofs
  --count N           with --entries: how many, 1 to 10000 (default 100; fewer at the end of the log)
  --raw               with --entry: write the entry's bytes as they are
  -h, --help          show this help
`

/**
 * The `audit show` command.
 *
 * @example
 * ```ts
 * await auditShow.run(parseCommandArgs(auditShow, argv)!)
 * ```
 */
export const auditShow: Command = {
  name: 'audit show',
  help: HELP,
  options: {
    key: { type: 'string' },
    origin: { type: 'string' },
    checkpoint: { type: 'boolean' },
    entry: { type: 'string' },
    entries: { type: 'string' },
    count: { type: 'string' },
    inclusion: { type: 'string' },
    consistency: { type: 'string' },
    size: { type: 'string' },
    raw: { type: 'boolean' },
  },
  maxPositionals: 1,
  async run(inv) {
    const storeText = inv.positionals[0]
    if (!storeText) throw new CliError('USAGE', 'missing STORE', 'see `arrowseal audit show --help`')
    const publicKey = await loadLogKey(stringOption(inv, 'key'), 'audit show')
    const { openAuditLog, parseStoreLocation } = await import('../../store/index.js')
    const origin = stringOption(inv, 'origin')
    const log = await openAuditLog(parseStoreLocation(storeText), origin ? { publicKey, origin } : { publicKey })
    try {
      const sizeText = stringOption(inv, 'size')
      const size = sizeText === undefined ? await log.size() : countOption(sizeText, 'size')
      const entry = stringOption(inv, 'entry')
      const entries = stringOption(inv, 'entries')
      const inclusion = stringOption(inv, 'inclusion')
      const consistency = stringOption(inv, 'consistency')
      if (flag(inv, 'checkpoint')) {
        const note = await log.latestCheckpoint()
        if (note === null) throw new CliError('INPUT_INVALID', 'the log has issued no checkpoint yet')
        await writeStdout(note)
      } else if (entry !== undefined) {
        const bytes = await log.entry(countOption(entry, 'entry'))
        if (flag(inv, 'raw')) await writeStdout(bytes)
        else await writeStdout(`${describeEntry(bytes)}\n`)
      } else if (entries !== undefined) {
        const start = countOption(entries, 'entries')
        const countText = stringOption(inv, 'count')
        const count = countText === undefined ? 100 : countOption(countText, 'count')
        if (count < 1 || count > MAX_LISTED) throw new CliError('USAGE', `--count must be 1 to ${MAX_LISTED}`)
        const end = Math.min(size, start + count)
        const lines: string[] = []
        for (let i = start; i < end; i++)
          lines.push(JSON.stringify({ index: i, ...entryView(await log.entry(i)) }, hexBytes))
        await writeStdout(lines.length === 0 ? '' : `${lines.join('\n')}\n`)
      } else if (inclusion !== undefined) {
        const index = countOption(inclusion, 'inclusion')
        const hashes = await log.inclusionProof(index, size)
        await writeStdout(formatProof({ type: 'inclusion', index, size, hashes }))
      } else if (consistency !== undefined) {
        const oldSize = countOption(consistency, 'consistency')
        const hashes = await log.consistencyProof(oldSize, size)
        await writeStdout(formatProof({ type: 'consistency', oldSize, size, hashes }))
      } else {
        const latest = await log.latestCheckpoint()
        const root = base64Encode(await log.root(size))
        const lines = [
          `origin      ${log.origin}`,
          `backend     ${log.kind}`,
          `size        ${size}`,
          `root        ${root}`,
        ]
        lines.push(`checkpoint  ${latest === null ? 'none yet' : `latest stored at size ${latest.split('\n')[1]}`}`)
        await writeStdout(`${lines.join('\n')}\n`)
      }
    } finally {
      await log.close()
    }
  },
}

const MAX_LISTED = 10_000

function describeEntry(bytes: Uint8Array): string {
  return JSON.stringify(entryView(bytes), hexBytes, 2)
}

/** The decoded audit event (with its `target` for an admin act), or the bytes of an entry that is not an event. */
function entryView(bytes: Uint8Array): object {
  try {
    return decodeAuditEvent(bytes)
  } catch {
    return { bytes: base64Encode(bytes) }
  }
}

function hexBytes(_key: string, value: unknown): unknown {
  if (value instanceof Uint8Array) return Array.from(value, (b) => b.toString(16).padStart(2, '0')).join('')
  return value
}
