/**
 * Issue 19, item 5: is sealing (and opening) linear in the chunks of a dictionary column? A table of n batches
 * built the way arrow-js's dictionary builder flushes them (batch k's dictionary is a Vector of k chunks), sealed
 * with deflate and opened again, for n = 1,000 and 8,000, interleaved in one process. The figure that matters is
 * the ratio of time per chunk at 8,000 to time per chunk at 1,000: about 1 when linear, about 8 when quadratic
 * (before the fix, 8,000 chunks took 12.8 s to seal on the reviewer's machine).
 *
 *   npx tsx bench/dictionary-chunks.ts [--dist] [--rounds N] [--chunks 1000,8000]
 *
 * Informational: it prints the ratios and writes nothing; no target depends on it.
 *
 * @module
 */
import { Dictionary, Int32, makeBuilder, Table, Utf8, Vector } from 'apache-arrow'
import { loadApi } from './api.js'
import { makeParties, openOptions, sealOptions } from './arrowseal-cases.js'
import { type Case, runInterleaved } from './harness.js'
import { machine } from './report.js'

/** `chunks` batches of four rows, each using every value of a dictionary that never grows (nothing to trim). */
function chunkedTable(chunks: number): Table {
  const b = makeBuilder({ type: new Dictionary(new Utf8(), new Int32()) })
  const data = []
  for (let i = 0; i < chunks; i++) {
    for (const v of ['alpha', 'bravo', 'charlie', 'delta']) b.append(v)
    data.push(b.flush())
  }
  // The benchmark policy's fields: `category` is public, the rest are left out of this table.
  return new Table({ category: new Vector(data) })
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2)
  const at = argv.indexOf('--rounds')
  const rounds = at >= 0 ? Number(argv[at + 1]) : 3
  const sizesAt = argv.indexOf('--chunks')
  const SIZES = (sizesAt >= 0 ? argv[sizesAt + 1]! : '1000,8000').split(',').map(Number)
  if (SIZES.length !== 2 || !SIZES.every((n) => Number.isInteger(n) && n > 0))
    throw new Error('--chunks needs two counts')
  const api = await loadApi(argv.includes('--dist'))
  if (typeof api === 'string') throw new Error(api)
  const parties = await makeParties(api)
  const seal = { ...sealOptions(parties), policy: { fields: { category: ['analysts'] } }, compression: 'deflate' }
  const open = openOptions(parties)
  open.identity = parties.readers.analysts
  const info = machine()
  console.log(
    `dictionary chunks: ${SIZES.join(' vs ')}, deflate, ${rounds} rounds, ${info.cpu}, load ${info.loadAverage}`,
  )
  const cases: Case[] = []
  for (const n of SIZES) {
    const table = chunkedTable(n)
    const sealed = await api.sealTable(table, seal)
    const opened = await api.openTable(sealed, open)
    if (opened.numRows !== table.numRows) throw new Error('round trip lost rows')
    console.log(`${n} chunks: ${table.numRows} rows, sealed ${sealed.length} bytes`)
    cases.push(
      { name: `arrowseal/dictionary-chunks/seal/${n}`, bytes: 0, run: () => api.sealTable(table, seal), warm: true },
      { name: `arrowseal/dictionary-chunks/open/${n}`, bytes: 0, run: () => api.openTable(sealed, open), warm: true },
    )
  }
  const results = await runInterleaved(cases, rounds, (line) => process.stdout.write(`${line}\r`))
  console.log()
  const perChunk = (op: string, n: number) => results.find((r) => r.name.endsWith(`/${op}/${n}`))!.cpuMs / n
  for (const op of ['seal', 'open']) {
    const [small, big] = SIZES.map((n) => perChunk(op, n))
    console.log(
      `${op}: ${small!.toFixed(3)} ms/chunk at ${SIZES[0]}, ${big!.toFixed(3)} at ${SIZES[1]} (CPU); ` +
        `ratio ${(big! / small!).toFixed(2)} (1 = linear, ${SIZES[1]! / SIZES[0]!} = quadratic)`,
    )
  }
}

main().catch((err: unknown) => {
  console.error(err)
  process.exit(1)
})
