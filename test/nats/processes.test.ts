// Real processes against the real server: a reader killed with SIGKILL mid-stream resumes, in a new process, with
// no batch lost or repeated to the application; two reader processes split ten streams from two writer processes.
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { NatsConnection } from '@nats-io/nats-core'
import { build } from 'esbuild'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { identityFromSeed } from '../../src/keys/identity.js'
import { publishSealed } from '../../src/nats/index.js'
import { ROOT } from '../cli/helpers.js'
import { connectTest, NATS_SERVER, natsSkip } from './broker.js'
import { rows, testPipeline } from './pipeline.js'

const outDir = join(ROOT, 'node_modules', '.cache', 'arrowseal-nats-procs', String(process.pid))
let child = ''
const writer = identityFromSeed(new Uint8Array(32).fill(21))
const reader = identityFromSeed(new Uint8Array(32).fill(22))

interface Proc {
  readonly p: ChildProcess
  readonly lines: string[]
  readonly exited: Promise<number | null>
}

function start(args: Record<string, unknown>): Proc {
  const p = spawn(process.execPath, [child, JSON.stringify({ server: NATS_SERVER, ...args })], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const lines: string[] = []
  let buf = ''
  let err = ''
  p.stdout!.setEncoding('utf8')
  p.stdout!.on('data', (d: string) => {
    buf += d
    const parts = buf.split('\n')
    buf = parts.pop()!
    lines.push(...parts)
  })
  p.stderr!.on('data', (d) => {
    err += d
  })
  const exited = new Promise<number | null>((resolve) =>
    p.on('exit', (code) => {
      if (code) console.error(`child exited ${code}: ${err}`)
      resolve(code)
    }),
  )
  return { p, lines, exited }
}

async function until(what: string, cond: () => boolean, ms = 20_000): Promise<void> {
  // A bound on waiting, not a timed assertion: the condition is what is checked.
  for (let waited = 0; !cond(); waited += 20) {
    if (waited > ms) throw new Error(`gave up waiting for ${what}`)
    await sleep(20)
  }
}

const outLines = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [])

describe.skipIf(natsSkip !== null)('arrowseal/nats across processes', () => {
  let nc: NatsConnection
  const drops: (() => Promise<void>)[] = []
  const procs: Proc[] = []
  beforeAll(async () => {
    nc = await connectTest()
    mkdirSync(outDir, { recursive: true })
    await build({
      entryPoints: [join(ROOT, 'test/nats/child.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'es2022',
      outfile: join(outDir, 'child.mjs'),
      banner: {
        js: "import { createRequire as __asealRequire } from 'node:module'; const require = __asealRequire(import.meta.url);",
      },
      logLevel: 'error',
    })
    child = join(outDir, 'child.mjs')
  })
  afterAll(async () => {
    for (const c of procs) c.p.kill('SIGKILL')
    for (const d of drops) await d()
    await nc.close()
    rmSync(outDir, { recursive: true, force: true })
  })

  it('a reader SIGKILLed mid-stream resumes in a new process: every batch once, in order', async () => {
    const pl = await testPipeline(nc, 'kill')
    drops.push(pl.drop)
    const t = rows(200)
    const batches = Array.from({ length: 20 }, (_, i) => t.slice(i * 10, (i + 1) * 10).batches[0]!)
    const sent = await publishSealed(nc, pl.subject, batches, {
      signer: writer,
      recipients: { r: [reader.publicKey] },
      policy: { fields: { id: ['r'], v: ['r'] } },
    })
    const out = join(outDir, 'kill.txt')
    const first = start({ mode: 'read', subject: pl.subject, group: 'crash', out, delayMs: 15 })
    procs.push(first)
    await until('five batches', () => outLines(out).length >= 5)
    first.p.kill('SIGKILL')
    await first.exited
    const before = outLines(out).length
    expect(before).toBeLessThan(20) // killed mid-stream
    const second = start({ mode: 'read', subject: pl.subject, group: 'crash', out })
    procs.push(second)
    await until('the end of the stream', () => outLines(out).includes(`D ${sent.streamId}`))
    second.p.kill('SIGKILL')
    const got = outLines(out).filter((l) => l.startsWith('B '))
    expect(got.map((l) => l.split(' ')[2])).toEqual(Array.from({ length: 20 }, (_, i) => String(i)))
    expect(got.map((l) => l.split(' ')[3])).toEqual(Array.from({ length: 20 }, (_, i) => String(i * 10)))
    // The new process resumed where the application's own record stood, not from the start.
    expect(second.lines).toContain(`C ${sent.streamId} ${before}`)
  })

  it('two reader processes split the work of ten streams from two writer processes', async () => {
    const pl = await testPipeline(nc, 'split')
    drops.push(pl.drop)
    const outs = [join(outDir, 'r0.txt'), join(outDir, 'r1.txt')]
    const readers = outs.map((out) => start({ mode: 'read', subject: pl.subject, group: 'split', out, delayMs: 40 }))
    procs.push(...readers)
    await until('readers ready', () => readers.every((r) => r.lines.includes('ready')))
    const writers = [0, 1].map((w) =>
      start({ mode: 'write', subject: pl.subject, streams: 5, batches: 3, seed: w * 100_000 }),
    )
    procs.push(...writers)
    expect(await Promise.all(writers.map((w) => w.exited))).toEqual([0, 0])
    const published = writers.flatMap((w) => w.lines.filter((l) => l.startsWith('S ')).map((l) => l.slice(2)))
    expect(new Set(published).size).toBe(10)
    const doneOf = (file: string) =>
      outLines(file)
        .filter((l) => l.startsWith('D '))
        .map((l) => l.slice(2))
    await until('ten streams done', () => doneOf(outs[0]!).length + doneOf(outs[1]!).length >= 10)
    for (const r of readers) r.p.kill('SIGKILL')
    const [a, b] = outs.map(doneOf) as [string[], string[]]
    expect(a.length).toBeGreaterThan(0)
    expect(b.length).toBeGreaterThan(0)
    expect(new Set([...a, ...b])).toEqual(new Set(published))
    expect(a.filter((id) => b.includes(id))).toEqual([]) // each stream read by one reader
    for (const file of outs) {
      for (const id of doneOf(file)) {
        const mine = outLines(file).filter((l) => l.startsWith(`B ${id} `))
        expect(mine.map((l) => l.split(' ')[2])).toEqual(['0', '1', '2'])
      }
    }
  })
})
