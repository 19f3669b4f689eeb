/**
 * `arrowseal demo`: a guided tour that needs nothing but this package. It builds sample transactions, seals them
 * for three roles under examples/policy.json with keys made in memory, shows what `inspect` reveals, opens the
 * result as each role, shows that tampering and an untrusted writer are refused, and reports throughput.
 * It exits non-zero if any of those checks does not hold, so it doubles as a smoke test.
 * @module
 */
import { type Table, tableToIPC } from 'apache-arrow'
import policyFile from '../../../examples/policy.json' with { type: 'json' }
import {
  ArrowSealError,
  generateIdentity,
  inspect,
  type OpenOptions,
  openTable,
  type Policy,
  type SealOptions,
  sealTable,
} from '../../index.node.js'
import { nodeBackend } from '../../node/backend.js'
import { type Command, stringOption } from '../args.js'
import { cellText } from '../convert/values.js'
import { CliError } from '../errors.js'
import { writeStdout } from '../io.js'
import { formatBytes } from '../progress.js'
import { renderInspect } from '../render.js'
import { sampleTransactions } from '../sample-data.js'
import { createStyle } from '../style.js'

const ROLES = ['analyst', 'support', 'auditor'] as const

/**
 * The `demo` command.
 *
 * @example
 * ```ts
 * await demo.run(parseCommandArgs(demo, argv)!)
 * ```
 */
export const demo: Command = {
  name: 'demo',
  help: `Usage: arrowseal demo [--rows N]

Builds ${(200_000).toLocaleString('en-US')} synthetic customer transactions, seals them for a writer and three roles
(analyst, support, auditor) under the policy in examples/policy.json, and shows: what \`inspect\` reveals without
keys, what each role can open, that a flipped byte and an untrusted writer are refused, and the throughput.
All keys are made in memory and discarded. Exits 1 if any check fails.

Options:
      --rows N   number of rows (default 200000)
  -h, --help     show this help
`,
  options: { rows: { type: 'string' } },
  maxPositionals: 0,
  async run(inv) {
    const rowsText = stringOption(inv, 'rows') ?? '200000'
    const rows = Number(rowsText)
    if (!Number.isSafeInteger(rows) || rows < 1 || rows > 10_000_000)
      throw new CliError('USAGE', `--rows must be an integer from 1 to 10000000, got "${rowsText}"`)
    await runDemo(rows)
  },
}

const s = createStyle(process.stdout)
const say = (text = '') => writeStdout(`${text}\n`)
const n = (v: number) => v.toLocaleString('en-US')
const ms = (t: number) => `${t < 10 ? t.toFixed(1) : Math.round(t)} ms`
const mbps = (bytes: number, t: number) => `${(bytes / 1e6 / (t / 1000)).toFixed(0)} MB/s`
const step = (i: number, title: string) => say(`\n${s.bold(s.cyan(`${i}.`))} ${s.bold(title)}`)

function timed<T>(f: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now()
  return f().then((v) => [v, performance.now() - t0])
}

async function runDemo(rows: number): Promise<void> {
  const backend = nodeBackend()
  await say(s.bold('arrowseal demo') + s.dim(' — sealed Arrow with per-field access, hybrid post-quantum keys'))

  await step(1, 'Identities (made in memory, discarded at exit)')
  const [ids, tKeys] = await timed(async () => ({
    writer: await generateIdentity(),
    analyst: await generateIdentity(),
    support: await generateIdentity(),
    auditor: await generateIdentity(),
    mallory: await generateIdentity(),
  }))
  for (const name of ['writer', ...ROLES] as const)
    await say(`   ${name.padEnd(8)} ${s.dim('key id')} ${ids[name].keyId}`)
  await say(s.dim(`   X-Wing (ML-KEM-768 + X25519) for encryption, Ed25519 + ML-DSA-65 for signing; ${ms(tKeys)}`))

  await step(2, 'Sample data')
  const [table, tData] = await timed(async () => sampleTransactions({ rows }))
  const plainBytes = tableToIPC(table, 'stream').byteLength
  await say(
    `   ${n(table.numRows)} customer transactions, ${table.batches.length} batches, ` +
      `${formatBytes(plainBytes)} as Arrow IPC ${s.dim(`(${ms(tData)})`)}`,
  )
  await say(`   columns: ${table.schema.fields.map((f) => `${f.name} ${s.dim(String(f.type))}`).join(', ')}`)

  await step(3, 'Policy (examples/policy.json)')
  const policy = policyFile as unknown as Policy
  for (const [field, rule] of Object.entries(policyFile.fields)) {
    const who =
      rule === 'public' ? s.green('public') : rule === 'drop' ? s.red('dropped') : (rule as string[]).join(', ')
    await say(`   ${field.padEnd(12)} ${who}`)
  }

  await step(4, 'Seal')
  const recipients = Object.fromEntries(ROLES.map((r) => [r, [ids[r].publicKey]]))
  const sealOptions: SealOptions = { signer: ids.writer, recipients, policy, backend }
  const [sealed, tSeal] = await timed(() => sealTable(table, sealOptions))
  await say(
    `   ${formatBytes(sealed.byteLength)} sealed in ${ms(tSeal)} ${s.dim(`(${mbps(plainBytes, tSeal)} of Arrow data)`)}`,
  )

  await step(5, 'Inspect: what anyone on the path sees, without keys')
  const names = Object.fromEntries((['writer', ...ROLES] as const).map((r) => [ids[r].keyId, r]))
  await writeStdout(renderInspect(inspect(sealed), '   ', names))

  await step(6, 'Open as each role')
  let tOpenAuditor = 0
  for (const role of ROLES) {
    const options: OpenOptions = { identity: ids[role], trustedSigners: [ids.writer.publicKey], backend }
    const [visible, t] = await timed(() => openTable(sealed, options))
    if (role === 'auditor') tOpenAuditor = t
    const names = visible.schema.fields.map((f) => f.name)
    await say(
      `   ${s.bold(role.padEnd(8))} sees ${names.join(', ')} ${s.dim(`(${n(visible.numRows)} rows, ${ms(t)})`)}`,
    )
    const expected = Object.entries(policyFile.fields)
      .filter(([, rule]) => rule === 'public' || (Array.isArray(rule) && rule.includes(role)))
      .map(([f]) => f)
    if (visible.numRows !== table.numRows || names.sort().join() !== expected.sort().join())
      throw new CliError('INTERNAL', `demo check failed: ${role} did not see exactly the columns the policy grants`)
    await writeStdout(preview(visible, 3, '      '))
  }

  await step(7, 'Attacks')
  const flipped = sealed.slice()
  const at = Math.floor(flipped.length / 2)
  flipped[at]! ^= 0x01
  await refused(`one bit flipped at byte ${n(at)}`, () =>
    openTable(flipped, { identity: ids.analyst, trustedSigners: [ids.writer.publicKey], backend }),
  )
  const forged = await sealTable(table.slice(0, Math.min(10, table.numRows)), {
    ...sealOptions,
    signer: ids.mallory,
  })
  await refused('same data re-sealed by an untrusted writer', () =>
    openTable(forged, { identity: ids.auditor, trustedSigners: [ids.writer.publicKey], backend }),
  )
  await refused('cut short by 100 bytes', () =>
    openTable(sealed.subarray(0, sealed.length - 100), {
      identity: ids.auditor,
      trustedSigners: [ids.writer.publicKey],
      backend,
    }),
  )

  await step(8, 'Throughput')
  await say(`   seal  ${mbps(plainBytes, tSeal).padStart(9)}  ${s.dim(`(${n(rows)} rows, 3 roles, ${ms(tSeal)})`)}`)
  await say(
    `   open  ${mbps(plainBytes, tOpenAuditor).padStart(9)}  ${s.dim(`(auditor, all columns, ${ms(tOpenAuditor)})`)}`,
  )
  await say(s.dim('\n   Next: `arrowseal --help`, examples/README.md, and `npm run bench`.'))
}

async function refused(what: string, attempt: () => Promise<unknown>): Promise<void> {
  try {
    await attempt()
  } catch (err) {
    if (err instanceof ArrowSealError) {
      await say(`   ${what.padEnd(44)} ${s.green('refused')} ${s.bold(err.code)}`)
      return
    }
    throw err
  }
  await say(`   ${what.padEnd(44)} ${s.red('ACCEPTED')}`)
  throw new CliError('INTERNAL', `demo check failed: ${what} was not refused`)
}

function preview(table: Table, count: number, indent: string): string {
  const fields = table.schema.fields
  const cells: string[][] = [fields.map((f) => f.name)]
  for (let r = 0; r < Math.min(count, table.numRows); r++) {
    const row = fields.map((f, i) => {
      const v: unknown = table.getChildAt(i)?.get(r)
      const text = v === null || v === undefined ? 'null' : cellText(v, f.type)
      return text.length > 26 ? `${text.slice(0, 25)}…` : text
    })
    cells.push(row)
  }
  const widths = fields.map((_, i) => Math.max(...cells.map((row) => row[i]!.length)))
  return cells
    .map((row, r) => {
      const line = row.map((c, i) => c.padEnd(widths[i]!)).join('  ')
      return `${indent}${r === 0 ? s.dim(line.trimEnd()) : line.trimEnd()}\n`
    })
    .join('')
}
