// Crash safety: a child appending under load is killed with SIGKILL at random moments (20 times per backend).
// After each kill: every append the child saw resolve is present with its bytes, the tree is consistent with the
// last checkpoint the child signed (consistency proof verifies against the current root), and a full audit finds
// no half-written entry (every entry rehashes to its leaf hash, every subtree matches, nothing past the size).
import { spawn } from 'node:child_process'
import { mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { build } from 'esbuild'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Checkpoint, openCheckpoint } from '../../src/audit/checkpoint.js'
import { verifyConsistency } from '../../src/audit/merkle.js'
import { identityFromSeed } from '../../src/keys/identity.js'
import { openAuditLog, type StoreLocation } from '../../src/store/log.js'
import { ROOT } from '../cli/helpers.js'
import { BACKENDS } from './backends.js'

const KILLS = 20
const origin = 'example.com/crash'
const publicKey = identityFromSeed(new Uint8Array(32).fill(11)).publicKey
const outDir = join(ROOT, 'node_modules', '.cache', 'arrowseal-store-crash', String(process.pid))
let child = ''

beforeAll(async () => {
  mkdirSync(outDir, { recursive: true })
  await build({
    entryPoints: [join(ROOT, 'test/store/crash-child.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'es2022',
    external: ['better-sqlite3', 'pg'],
    outfile: join(outDir, 'child.mjs'),
    logLevel: 'error',
  })
  child = join(outDir, 'child.mjs')
})
afterAll(() => rmSync(outDir, { recursive: true, force: true }))

interface RunResult {
  acked: Map<number, string>
  notes: string[]
}

/** Starts the child, lets it append for `ms` after it is ready, then SIGKILLs it. */
function runAndKill(loc: StoreLocation, runId: string, ms: number): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [child, JSON.stringify(loc), runId], { stdio: ['ignore', 'pipe', 'pipe'] })
    const acked = new Map<number, string>()
    const notes: string[] = []
    let buf = ''
    let stderr = ''
    let timer: NodeJS.Timeout | undefined
    p.stdout.setEncoding('utf8')
    p.stdout.on('data', (d: string) => {
      buf += d
      let nl = buf.indexOf('\n')
      while (nl >= 0) {
        const line = buf.slice(0, nl)
        buf = buf.slice(nl + 1)
        const [t, a, b] = line.split(' ')
        if (t === 'R' && !timer) timer = setTimeout(() => p.kill('SIGKILL'), ms)
        if (t === 'A') acked.set(Number(a), b!)
        if (t === 'C') notes.push(Buffer.from(a!, 'base64').toString('utf8'))
        nl = buf.indexOf('\n')
      }
    })
    p.stderr.on('data', (d) => {
      stderr += String(d)
    })
    p.on('error', reject)
    p.on('exit', (_code, signal) => {
      clearTimeout(timer)
      if (signal !== 'SIGKILL') reject(new Error(`child exited on its own: ${stderr}`))
      else resolve({ acked, notes })
    })
  })
}

for (const b of BACKENDS) {
  describe.skipIf(b.skip !== null)(`crash safety on ${b.name}`, () => {
    afterAll(() => b.cleanup())

    // 300 s: twenty child processes start and die one after another, and CI runs other files beside this one.
    it(`survives ${KILLS} SIGKILLs under load`, { timeout: 300_000 }, async () => {
      const loc = b.fresh()
      const acked = new Map<number, string>()
      const notes: string[] = []
      let last: Checkpoint | undefined
      for (let k = 0; k < KILLS; k++) {
        const r = await runAndKill(loc, `r${k}`, 40 + Math.floor(Math.random() * 260))
        for (const [i, id] of r.acked) acked.set(i, id)
        notes.push(...r.notes)
        const log = await openAuditLog(loc, { publicKey, origin })
        try {
          const size = await log.size()
          for (const [i, id] of r.acked) expect(new TextDecoder().decode(await log.entry(i))).toBe(id)
          const lastNote = r.notes.at(-1)
          if (lastNote) last = await openCheckpoint(lastNote, publicKey, { origin })
          if (last) {
            const proof = await log.consistencyProof(last.size, size)
            verifyConsistency(last.size, size, last.root, await log.root(size), proof)
          }
          await log.verify(notes.slice(-3))
        } finally {
          await log.close()
        }
      }
      // Every append acknowledged over all runs is still there at the end.
      const log = await openAuditLog(loc, { publicKey, origin })
      for (const [i, id] of acked) expect(new TextDecoder().decode(await log.entry(i))).toBe(id)
      const report = await log.verify(notes)
      expect(report.size).toBeGreaterThanOrEqual(acked.size)
      console.log(
        `[crash ${b.name}] ${KILLS} kills, ${acked.size} acked appends, ${notes.length} checkpoints, final size ${report.size}`,
      )
      await log.close()
      expect(notes.length).toBeGreaterThan(0)
    })
  })
}
