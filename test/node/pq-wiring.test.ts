/**
 * The native post-quantum provider is wired into the Node entry (issue 12, part 2): on Node 24 it is the one in
 * use and sealing/opening call it; streams sealed with it open with noble forced (`ARROWSEAL_PQ_BACKEND=noble`,
 * in a child process) and the other way round; golden files are covered by test/golden on each runtime.
 */
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { tableFromArrays } from 'apache-arrow'
import { afterEach, describe, expect, it } from 'vitest'
import { exportIdentity, generateIdentity, openTable, pqBackend, sealTable } from '../../src/index.node.js'
import { installPostQuantum, type PostQuantum, postQuantum } from '../../src/keys/pq.js'

const major = Number(process.versions.node.split('.')[0])
const root = join(import.meta.dirname, '../..')
const child = join(import.meta.dirname, 'fixtures/runtime-child.ts')
const run = (backend: string, args: string[], input?: string) =>
  execFileSync(process.execPath, ['--import', 'tsx', child, ...args], {
    cwd: root,
    input,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, ARROWSEAL_PQ_BACKEND: backend },
  })
const installed = postQuantum()
afterEach(() => installPostQuantum(installed))

describe('post-quantum provider of the Node entry', () => {
  it('is native exactly where node:crypto has ML-DSA-65 / ML-KEM-768 (Node 24)', () => {
    expect(pqBackend()).toBe(major >= 24 ? 'native' : 'noble')
  })

  it('sealing and opening go through the installed provider', async () => {
    const calls: string[] = []
    const counting: PostQuantum = {
      name: installed.name,
      mldsaKeygen: (s) => {
        calls.push('keygen')
        return installed.mldsaKeygen(s)
      },
      mldsaVerify: (sig, m, pk) => {
        calls.push('verify')
        return installed.mldsaVerify(sig, m, pk)
      },
      mlkemKeygen: (s) => {
        calls.push('kem')
        return installed.mlkemKeygen(s)
      },
    }
    installPostQuantum(counting)
    const writer = await generateIdentity()
    const reader = await generateIdentity()
    const sealed = await sealTable(tableFromArrays({ id: Int32Array.from([7]) }), {
      signer: writer,
      recipients: { r: [reader.publicKey] },
      policy: { fields: { id: ['r'] } },
    })
    const table = await openTable(sealed, { identity: reader, trustedSigners: [writer.publicKey] })
    expect(table.numRows).toBe(1)
    expect(calls).toContain('verify')
    expect(calls.filter((c) => c === 'keygen')).toHaveLength(2)
  })

  it('sealing with the default randomness encapsulates through the provider, injected randomness does not', async () => {
    // A provider with a fresh-encapsulation hook on every runtime (noble's own, made fresh), so the check runs on
    // Node 20 and 22 too: the sealer must leave the randomness to the provider when none was injected.
    const { ml_kem768 } = await import('@noble/post-quantum/ml-kem.js')
    let encapsulations = 0
    installPostQuantum({
      ...installed,
      mlkemEncapsulate: (pk) => {
        encapsulations++
        return installed.mlkemEncapsulate?.(pk) ?? ml_kem768.encapsulate(pk)
      },
    })
    const writer = await generateIdentity()
    const readers = [await generateIdentity(), await generateIdentity()]
    const sealed = await sealTable(tableFromArrays({ id: Int32Array.from([7]) }), {
      signer: writer,
      recipients: { r: readers.map((r) => r.publicKey) },
      policy: { fields: { id: ['r'] } },
    })
    expect(encapsulations).toBe(2)
    for (const reader of readers) {
      const table = await openTable(sealed, { identity: reader, trustedSigners: [writer.publicKey] })
      expect(table.getChild('id')?.get(0)).toBe(7)
    }
    // Injected randomness (golden files) must stay on the message-taking path, or the bytes would change.
    const { Sealer } = await import('../../src/seal/sealer.js')
    const { webRuntime } = await import('../../src/seal/runtime.js')
    const t = tableFromArrays({ id: Int32Array.from([7]) })
    const before = encapsulations
    await Sealer.create(
      t.schema,
      { signer: writer, recipients: { r: [readers[0]!.publicKey] }, policy: { fields: { id: ['r'] } } },
      (n) => new Uint8Array(n).fill(1),
      webRuntime,
    )
    expect(encapsulations).toBe(before)
  })

  it('a one-time raw recipient key is expanded lazily, and one failing the ML-KEM modulus check is still refused', async () => {
    const { prepareXWingPublicKey, xwingEncapsulate, xwingKeygen } = await import('../../src/keys/xwing.js')
    const { setupBaseS } = await import('../../src/keys/hpke.js')
    const { KeyError } = await import('../../src/errors.js')
    const bad = xwingKeygen(new Uint8Array(32).fill(4)).publicKey.slice()
    bad[0] = 0xff
    bad[1] = (bad[1] ?? 0) | 0x0f // first 12-bit coefficient of t-hat = 4095 >= q (FIPS 203 §7.2)
    // Preparing does no ML-KEM work now; each encapsulation path checks the key itself: the provider's fresh one
    // (native import on Node 24, noble's encapsulate here otherwise) and noble's expansion for injected randomness.
    const prepared = prepareXWingPublicKey(bad)
    const { ml_kem768 } = await import('@noble/post-quantum/ml-kem.js')
    installPostQuantum({ ...installed, mlkemEncapsulate: installed.mlkemEncapsulate ?? ml_kem768.encapsulate })
    expect(() => xwingEncapsulate(prepared)).toThrow()
    expect(() => xwingEncapsulate(prepared, new Uint8Array(64).fill(1))).toThrow()
    expect(() => setupBaseS(bad, new Uint8Array(1))).toThrow(KeyError)
    installPostQuantum(installed)
    expect(() => setupBaseS(bad, new Uint8Array(1))).toThrow(KeyError)
  })

  it('a stream sealed with each backend opens with the other', { timeout: 120_000 }, async () => {
    const writer = await generateIdentity()
    const reader = await generateIdentity()
    for (const [from, to] of [
      ['auto', 'noble'],
      ['noble', 'auto'],
    ] as const) {
      const bytes = run(from, ['seal', exportIdentity(writer), reader.publicKey])
      const opened = JSON.parse(run(to, ['open', exportIdentity(reader), writer.publicKey], bytes))
      expect(opened.rows, `${from} → ${to}`).toHaveLength(3)
    }
  })

  it('forcing native where the runtime lacks it fails at import with a typed error', () => {
    if (major >= 24) return
    expect(() => run('native', ['seal', 'x', 'y'])).toThrow(/BACKEND_UNAVAILABLE|no native ML-DSA-65/)
  })
})
