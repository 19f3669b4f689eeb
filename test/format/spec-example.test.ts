/** docs/format.md's worked example must be exactly what the encoder produces: the spec cannot drift. */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { formatExample } from '../../scripts/format-example.js'

describe('docs/format.md', () => {
  it('contains the worked example byte for byte', async () => {
    const spec = readFileSync(new URL('../../docs/format.md', import.meta.url), 'utf8')
    const block = spec.split('## Worked example')[1]!.split('```text\n')[1]!.split('\n```')[0]!
    expect(block).toBe(await formatExample())
  })
})
