/** node/atomic.ts: the temporary file is 0600 whatever the final mode, and leftovers of dead writers are swept. */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createAtomicFile, sweepStaleTemps } from '../../src/node/atomic.js'

const dir = mkdtempSync(join(tmpdir(), 'arrowseal-atomic-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const temps = (name: string) => readdirSync(dir).filter((f) => f.startsWith(`.${name}.`) && f.endsWith('.tmp'))

describe('createAtomicFile', () => {
  it('writes to a 0600 temporary file, and the target gets the requested mode only on commit', async () => {
    const out = await createAtomicFile(join(dir, 'a.csv')) // default final mode 0644 minus the umask
    await out.write('secret,rows\n')
    const [temp] = temps('a.csv')
    expect(temp).toMatch(new RegExp(`^\\.a\\.csv\\.${process.pid}-[0-9a-f]{12}\\.tmp$`))
    expect(statSync(join(dir, temp!)).mode & 0o777).toBe(0o600)
    await out.commit()
    expect(statSync(join(dir, 'a.csv')).mode & 0o777).toBe(0o644 & ~process.umask())
    expect(temps('a.csv')).toEqual([])
  })

  it('sweeps temporary files of dead processes, never those of live ones or other targets', async () => {
    // A pid that surely is gone: a child that has exited.
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString()
    const stale = `.b.csv.${dead}-0123456789ab.tmp`
    const live = `.b.csv.${process.pid}-0123456789ab.tmp`
    const other = `.b.csv.old.${dead}-0123456789ab.tmp`
    for (const f of [stale, live, other, 'b.csv.keep']) writeFileSync(join(dir, f), 'x')
    expect(await sweepStaleTemps(join(dir, 'b.csv'))).toEqual([stale])
    expect(readdirSync(dir)).toEqual(expect.arrayContaining([live, other, 'b.csv.keep']))
    expect(readdirSync(dir)).not.toContain(stale)
  })
})
