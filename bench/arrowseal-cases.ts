/**
 * arrowseal cases: seal and open of the mixed fixtures under the benchmark policy (three roles, four access
 * groups, one recipient per role), opened by the auditor, who may read every sealed field, so open decrypts as
 * many bytes as the raw AES decrypt baseline does.
 *
 * @module
 */
import type { Table } from 'apache-arrow'
import { concatAll } from '../src/format/bytes.js'
import type { ArrowSealApi, Backend, Identity, OpenOptions, SealOptions, WorkerPoolHandle } from './api.js'
import type { Fixture } from './baselines.js'
import { POLICY, ROLES } from './fixtures.js'
import type { Case } from './harness.js'

/** Writer and one reader identity per role, made once per benchmark run. */
export interface Parties {
  writer: Identity
  readers: Record<(typeof ROLES)[number], Identity>
}

/**
 * Generates the writer and the three role identities.
 *
 * @example
 * ```ts
 * const parties = await makeParties(api)
 * ```
 */
export async function makeParties(api: ArrowSealApi): Promise<Parties> {
  const writer = await api.generateIdentity()
  const [analysts, auditors, ops] = await Promise.all(ROLES.map(() => api.generateIdentity()))
  return { writer, readers: { analysts: analysts!, auditors: auditors!, ops: ops! } }
}

/** Seal options for the benchmark policy, optionally pinned to a backend. */
export function sealOptions(parties: Parties, backend?: Backend): SealOptions {
  const recipients: Record<string, string[]> = {}
  for (const role of ROLES) recipients[role] = [parties.readers[role].publicKey]
  return { signer: parties.writer, recipients, policy: POLICY, ...(backend ? { backend } : {}) }
}

/** Open options for the auditor, optionally pinned to a backend. */
export function openOptions(parties: Parties, backend?: Backend): OpenOptions {
  return {
    identity: parties.readers.auditors,
    trustedSigners: [parties.writer.publicKey],
    ...(backend ? { backend } : {}),
  }
}

/**
 * A ReadableStream over an array (ReadableStream.from is not in the DOM typings this project compiles with).
 *
 * @example
 * ```ts
 * await streamOf(table.batches).pipeThrough(new api.SealStream(options)).pipeTo(sink)
 * ```
 */
export function streamOf<T>(items: readonly T[]): ReadableStream<T> {
  let i = 0
  return new ReadableStream<T>({
    pull(controller) {
      if (i < items.length) controller.enqueue(items[i++]!)
      else controller.close()
    },
  })
}

function countRows(table: Table, expected: number, what: string): void {
  if (table.numRows !== expected) throw new Error(`${what}: opened ${table.numRows} rows, expected ${expected}`)
}

/**
 * Seal and open cases for one fixture on one backend. `layer` names the backend in the case name:
 * `seal`/`open` for the default (node) path, `noble`/`webcrypto` for forced backends.
 *
 * @example
 * ```ts
 * const cases = await sealOpenCases(api, parties, fixture, 'arrowseal', api.backends.node?.())
 * ```
 */
export async function sealOpenCases(
  api: ArrowSealApi,
  parties: Parties,
  fx: Fixture,
  backendLabel: string | null,
  backend?: Backend,
  maxRounds?: number,
): Promise<Case[]> {
  const sealOpts = sealOptions(parties, backend)
  const openOpts = openOptions(parties, backend)
  const sealed = await api.sealTable(fx.table, sealOpts)
  countRows(await api.openTable(sealed, openOpts), fx.table.numRows, 'round trip')
  const bytes = fx.ipc.length
  const prefix = backendLabel ? `arrowseal/${backendLabel}/${fx.label}/` : 'arrowseal/'
  const suffix = backendLabel ? '' : `/${fx.label}`
  return [
    { name: `${prefix}seal${suffix}`, bytes, maxRounds, warm: true, run: () => api.sealTable(fx.table, sealOpts) },
    { name: `${prefix}open${suffix}`, bytes, maxRounds, warm: true, run: () => api.openTable(sealed, openOpts) },
    // Projection: the auditor asks for two columns, one public and one of the widest sealed group ({amount,
    // active}); the other two sealed groups are skipped. Compare with `open` in the same run.
    ...(backendLabel
      ? []
      : [
          {
            name: `arrowseal/open-columns/${fx.label}`,
            bytes,
            maxRounds,
            warm: true,
            run: () => api.openTable(sealed, { ...openOpts, columns: ['id', 'amount'] }),
          },
        ]),
  ]
}

/**
 * Rows per merged batch in the `-merged` cases (`minBatchRows`): the 64k fixture's batch size.
 *
 * @example
 * ```ts
 * const cases = await streamCases(api, parties, fixture, node, undefined, undefined, MERGED_ROWS)
 * ```
 */
export const MERGED_ROWS = 65_536

/**
 * Streaming cases: the fixture's batches through `SealStream`, and the sealed bytes (cut into 64 KiB reads, as a
 * socket or file would deliver them) through `OpenStream`; with `pool`, the crypto phase runs on that shared
 * worker-thread pool (started once, outside the timing). With `compression`, only the open case, on a stream sealed
 * with deflate-compressed units (inflating runs in the crypto phase, so it is work the workers can share). With
 * `minBatchRows`, the writer merges smaller batches (case names get `-merged`).
 *
 * @example
 * ```ts
 * const cases = await streamCases(api, parties, fixture, api.backends.node?.())
 * ```
 */
export async function streamCases(
  api: ArrowSealApi,
  parties: Parties,
  fx: Fixture,
  backend?: Backend,
  pool?: { size: number; handle: WorkerPoolHandle },
  compression?: 'deflate',
  minBatchRows?: number,
): Promise<Case[]> {
  const workers = pool ? { workers: pool.handle } : {}
  const sealOpts: SealOptions = {
    ...sealOptions(parties, backend),
    ...workers,
    ...(compression ? { compression } : {}),
    ...(minBatchRows ? { minBatchRows } : {}),
  }
  const openOpts = { ...openOptions(parties, backend), ...workers }
  const layer = `${compression ? `-${compression}` : ''}${minBatchRows ? '-merged' : ''}${pool ? `-workers${pool.size}` : ''}`
  const sealStream = async (): Promise<Uint8Array[]> => {
    const out: Uint8Array[] = []
    const batches = streamOf(fx.table.batches)
    await batches
      .pipeThrough(new api.SealStream(sealOpts))
      .pipeTo(new WritableStream({ write: (c) => void out.push(c) }))
    return out
  }
  const sealed = concatAll(await sealStream())
  const reads: Uint8Array[] = []
  for (let i = 0; i < sealed.length; i += 65536) reads.push(sealed.subarray(i, i + 65536))
  const openStream = async (): Promise<number> => {
    let rows = 0
    await streamOf(reads)
      .pipeThrough(new api.OpenStream(openOpts))
      .pipeTo(
        new WritableStream({
          write: (b) => {
            rows += b.numRows
          },
        }),
      )
    return rows
  }
  const rows = await openStream()
  if (rows !== fx.table.numRows) throw new Error(`stream round trip: ${rows} rows, expected ${fx.table.numRows}`)
  const bytes = fx.ipc.length
  const open: Case = { name: `arrowseal/stream-open${layer}/${fx.label}`, bytes, warm: true, run: openStream }
  // Compressed streams: only the reader side, where inflating is part of the crypto phase that workers share.
  if (compression) return [open]
  return [{ name: `arrowseal/stream-seal${layer}/${fx.label}`, bytes, warm: true, run: sealStream }, open]
}

/**
 * The fresh-stream case: a one-row table sealed to one recipient in a brand-new stream, then opened. Every run
 * pays the whole fixed cost: stream keys, X-Wing encapsulation, header signature, decapsulation, verification.
 *
 * @example
 * ```ts
 * const cases = await freshCases(api, parties, oneRowTable(), api.backends.node?.())
 * ```
 */
export async function freshCases(
  api: ArrowSealApi,
  parties: Parties,
  table: Table,
  backend?: Backend,
): Promise<Case[]> {
  const sealOpts: SealOptions = {
    signer: parties.writer,
    recipients: { analysts: [parties.readers.analysts.publicKey] },
    policy: { fields: {}, default: ['analysts'] },
    ...(backend ? { backend } : {}),
  }
  const openOpts: OpenOptions = {
    identity: parties.readers.analysts,
    trustedSigners: [parties.writer.publicKey],
    ...(backend ? { backend } : {}),
  }
  const sealed = await api.sealTable(table, sealOpts)
  countRows(await api.openTable(sealed, openOpts), 1, 'fresh round trip')
  const bytes = 0
  const cases: Case[] = [
    {
      name: 'arrowseal/fresh-1row',
      bytes,
      run: async () => api.openTable(await api.sealTable(table, sealOpts), openOpts),
    },
    { name: 'arrowseal/fresh-1row/seal', bytes, run: () => api.sealTable(table, sealOpts) },
    { name: 'arrowseal/fresh-1row/open', bytes, run: () => api.openTable(sealed, openOpts) },
  ]
  if (!api.createWriterSession) return cases
  // The same stream signed by a writer session made once, as a service sealing one stream per request would:
  // per stream, one Ed25519 signature; the reader verifies the session's hybrid certificate once (first round).
  const session = await api.createWriterSession(parties.writer, { lifetimeSeconds: 3600 })
  const sessionOpts: SealOptions = { ...sealOpts, signer: session }
  const sessionSealed = await api.sealTable(table, sessionOpts)
  countRows(await api.openTable(sessionSealed, openOpts), 1, 'fresh session round trip')
  return [
    ...cases,
    {
      name: 'arrowseal/fresh-1row-session',
      bytes,
      run: async () => api.openTable(await api.sealTable(table, sessionOpts), openOpts),
    },
    { name: 'arrowseal/fresh-1row-session/seal', bytes, run: () => api.sealTable(table, sessionOpts) },
    { name: 'arrowseal/fresh-1row-session/open', bytes, run: () => api.openTable(sessionSealed, openOpts) },
  ]
}
