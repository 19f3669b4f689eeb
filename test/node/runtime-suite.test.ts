/** The runtime-suite hook that `.ci/run` sets for its Node 20/22/24 runs (see test/helpers/runtime-suite.ts). */
import { describe, expect, it } from 'vitest'
import { addonUnavailable, RUNTIME_SUITE } from '../helpers/runtime-suite.js'

describe('runtime suite hook', () => {
  it('names a Node major', () => {
    expect(RUNTIME_SUITE).toMatch(/^node\d+$/)
  })
  it('reports a module that cannot load, with the runtime in the reason', () => {
    expect(addonUnavailable('arrowseal-no-such-addon')).toContain(RUNTIME_SUITE)
    expect(addonUnavailable('fflate')).toBeUndefined()
  })
})
