/** `arrowseal demo` (what `npm run demo` runs), small: every step runs, every attack is refused, no colour. */
import { describe, expect, it } from 'vitest'
import { buildCli, runCli } from './helpers.js'

describe('arrowseal demo', () => {
  it('seals, inspects, opens per role and refuses the attacks', async () => {
    const r = await runCli(await buildCli(), ['demo', '--rows', '3000'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toBe('')
    const out = r.stdout
    // biome-ignore lint/suspicious/noControlCharactersInRegex: checking that no ANSI escape is printed
    expect(out).not.toMatch(/\x1b\[/)
    expect(out).toContain('3,000 customer transactions')
    expect(out).toMatch(/analyst\s+sees id, country, amount, timestamp \(3,000 rows/)
    expect(out).toMatch(/support\s+sees id, name, email, country, timestamp \(3,000 rows/)
    expect(out).toMatch(/auditor\s+sees id, name, email, national_id, country, amount, timestamp/)
    expect(out).toMatch(/one bit flipped .* refused \w+/)
    expect(out).toMatch(/untrusted writer\s+refused SIGNER_UNTRUSTED/)
    expect(out).toMatch(/cut short .* refused TRUNCATED/)
    expect(out).toMatch(/seal\s+\d+ MB\/s/)
    // inspect output in the demo must not name the sealed fields (schema minimisation).
    const inspectPart = out.slice(out.indexOf('5. Inspect'), out.indexOf('6. Open'))
    for (const hidden of ['national_id', 'email', 'amount', 'name']) expect(inspectPart).not.toContain(hidden)
  })

  it('rejects a bad --rows', async () => {
    const r = await runCli(await buildCli(), ['demo', '--rows', 'lots'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/^arrowseal: error USAGE: --rows must be an integer/)
  })
})
