/**
 * `arrowseal audit verify`: check a checkpoint, an entry's inclusion, and consistency from older checkpoints,
 * with proofs from files or computed from a store, and optionally a full audit of the store.
 * @module
 */
import { base64Encode } from '../../audit/base64.js'
import { type Checkpoint, openCheckpoint } from '../../audit/checkpoint.js'
import { leafHash, verifyConsistency, verifyInclusion } from '../../audit/merkle.js'
import { AuditError } from '../../errors.js'
import type { AuditLog } from '../../store/log.js'
import type { Command, Invocation } from '../args.js'
import { listOption, requiredOption, stringOption } from '../args.js'
import { CliError } from '../errors.js'
import { readInput, writeStdout } from '../io.js'
import { countOption, loadLogKey, readNote, readProof } from './audit-files.js'

const HELP = `Usage: arrowseal audit verify --key KEY --origin ORIGIN --checkpoint FILE [options]

Verifies a checkpoint of an audit log (both its Ed25519 and ML-DSA-65 signatures), then, as asked:
  --old FILE          an older checkpoint you kept: the log must be consistent with it (repeatable)
  --entry FILE        an entry's bytes, with --index N: it must be included under the checkpoint
  --proof FILE        a proof file (from \`arrowseal audit show\`); without it proofs come from --store
  --store PATH|URL    the log's store (SQLite file or postgres:// URL): proofs are computed from it and every
                      entry is rehashed and checked against all the checkpoints given (a full audit)
  --url URL           a key-access gateway serving the log (kas serve): without --checkpoint its latest
                      checkpoint is fetched (and verified with --key); proofs come from it, and every entry
                      up to the checkpoint is fetched, rehashed and checked against every checkpoint given
Options:
  --key KEY           the log's public key (aseal1… or a file holding it)
  --origin ORIGIN     the log's name, the first line of its checkpoints
  -h, --help          show this help
Exit code 0 when everything verifies; 4 when a signature, proof or history check fails.
`

/**
 * The `audit verify` command.
 *
 * @example
 * ```ts
 * await auditVerify.run(parseCommandArgs(auditVerify, argv)!)
 * ```
 */
export const auditVerify: Command = {
  name: 'audit verify',
  help: HELP,
  options: {
    key: { type: 'string' },
    origin: { type: 'string' },
    checkpoint: { type: 'string' },
    old: { type: 'string', multiple: true },
    entry: { type: 'string' },
    index: { type: 'string' },
    proof: { type: 'string', multiple: true },
    store: { type: 'string' },
    url: { type: 'string' },
  },
  maxPositionals: 0,
  async run(inv) {
    const key = await loadLogKey(stringOption(inv, 'key'), 'audit verify')
    const origin = requiredOption(inv, 'origin', 'audit verify')
    const url = stringOption(inv, 'url')?.replace(/\/+$/, '')
    if (url !== undefined) return verifyOverHttp(inv, url, key, origin)
    const cp = await openCheckpoint(await readNote(requiredOption(inv, 'checkpoint', 'audit verify')), key, { origin })
    const out: string[] = [`ok checkpoint ${origin} size ${cp.size} root ${base64Encode(cp.root)}`]
    const proofs = await Promise.all(listOption(inv, 'proof').map(readProof))
    const storeText = stringOption(inv, 'store')
    const log = storeText ? await openStore(storeText, key, origin) : undefined
    try {
      const olds: Checkpoint[] = []
      for (const path of listOption(inv, 'old')) {
        const old = await openCheckpoint(await readNote(path), key, { origin })
        if (old.size > cp.size) {
          throw new AuditError('CHECKPOINT_INVALID', `${path} (size ${old.size}) is newer than --checkpoint`)
        }
        const file = proofs.find((p) => p.type === 'consistency' && p.oldSize === old.size && p.size === cp.size)
        const proof = file ? file.hashes : log ? await log.consistencyProof(old.size, cp.size) : noProof('--old')
        verifyConsistency(old.size, cp.size, old.root, cp.root, proof)
        olds.push(old)
        out.push(`ok consistency ${old.size} -> ${cp.size}`)
      }
      await verifyEntry(inv, cp, proofs, log, out)
      if (log) {
        const report = await log.verify([cp.note, ...olds.map((o) => o.note)])
        out.push(`ok store: ${report.size} entries rehashed; the tree matches every checkpoint given`)
      }
    } finally {
      await log?.close()
    }
    await writeStdout(`${out.join('\n')}\n`)
  },
}

async function verifyEntry(
  inv: Invocation,
  cp: Checkpoint,
  proofs: Awaited<ReturnType<typeof readProof>>[],
  log: AuditLog | undefined,
  out: string[],
): Promise<void> {
  const entryPath = stringOption(inv, 'entry')
  const indexText = stringOption(inv, 'index')
  if (entryPath === undefined && indexText === undefined) return
  if (entryPath === undefined || indexText === undefined) {
    throw new CliError('USAGE', '--entry and --index go together', 'see `arrowseal audit verify --help`')
  }
  const index = countOption(indexText, 'index')
  const bytes = await readInput(entryPath)
  const file = proofs.find((p) => p.type === 'inclusion' && p.index === index && p.size === cp.size)
  const proof = file ? file.hashes : log ? await log.inclusionProof(index, cp.size) : noProof('--entry')
  verifyInclusion(leafHash(bytes), index, cp.size, proof, cp.root)
  out.push(`ok inclusion of entry ${index} in ${cp.size}`)
}

function noProof(what: string): never {
  throw new CliError('USAGE', `${what} needs a matching --proof file or --store`, 'see `arrowseal audit verify --help`')
}

async function openStore(text: string, publicKey: string, origin: string): Promise<AuditLog> {
  const { openAuditLog, parseStoreLocation } = await import('../../store/index.js')
  return openAuditLog(parseStoreLocation(text), { publicKey, origin })
}

async function verifyOverHttp(inv: Invocation, url: string, key: string, origin: string): Promise<void> {
  const { fetchJson, fetchText, rootOfLeaves } = await import('./audit-http.js')
  const cpPath = stringOption(inv, 'checkpoint')
  const note = cpPath ? await readNote(cpPath) : await fetchText(`${url}/v1/log/checkpoint`)
  const cp = await openCheckpoint(note, key, { origin })
  const out: string[] = [`ok checkpoint ${origin} size ${cp.size} root ${base64Encode(cp.root)}`]
  const olds: Checkpoint[] = []
  for (const path of listOption(inv, 'old')) {
    const old = await openCheckpoint(await readNote(path), key, { origin })
    if (old.size > cp.size)
      throw new AuditError('CHECKPOINT_INVALID', `${path} (size ${old.size}) is newer than --checkpoint`)
    const j = await fetchJson(`${url}/v1/log/proof/consistency?old=${old.size}&new=${cp.size}`)
    verifyConsistency(old.size, cp.size, old.root, cp.root, hashes(j.proof))
    olds.push(old)
    out.push(`ok consistency ${old.size} -> ${cp.size}`)
  }
  // The whole history: every entry fetched and rehashed; the roots at the checkpoints' sizes must match.
  const leaves: Uint8Array[] = []
  const counts = new Map<string, number>()
  const { decodeAuditEvent } = await import('../../audit/event.js')
  while (leaves.length < cp.size) {
    const count = Math.min(1000, cp.size - leaves.length)
    const j = await fetchJson(`${url}/v1/log/entries?start=${leaves.length}&count=${count}`)
    const entries = hashes(j.entries)
    if (entries.length === 0) throw new AuditError('PROOF_INVALID', `the gateway has no entry ${leaves.length}`)
    for (const e of entries.slice(0, count)) {
      leaves.push(leafHash(e))
      try {
        const d = decodeAuditEvent(e).decision
        counts.set(d, (counts.get(d) ?? 0) + 1)
      } catch {
        counts.set('not an event', (counts.get('not an event') ?? 0) + 1)
      }
    }
  }
  for (const c of [cp, ...olds]) {
    const root = rootOfLeaves(leaves.slice(0, c.size))
    if (root.length !== c.root.length || root.some((b, i) => b !== c.root[i])) {
      throw new AuditError(
        'PROOF_INVALID',
        `the entries do not match the checkpoint of size ${c.size}: history rewritten`,
      )
    }
  }
  const summary = [...counts].map(([d, n]) => `${n} ${d}`).join(', ')
  out.push(`ok history: ${cp.size} entries rehashed (${summary || 'none'}); the tree matches every checkpoint given`)
  await writeStdout(`${out.join('\n')}\n`)
}

function hashes(v: unknown): Uint8Array[] {
  if (!Array.isArray(v) || v.length > 1000) throw new AuditError('PROOF_INVALID', 'the gateway sent a malformed list')
  return v.map((x) => {
    const b = typeof x === 'string' && /^[A-Za-z0-9_-]*$/.test(x) ? Uint8Array.from(Buffer.from(x, 'base64url')) : null
    if (b === null) throw new AuditError('PROOF_INVALID', 'the gateway sent a malformed hash or entry')
    return b
  })
}
