/**
 * arrowseal/node: the Duplex adapters inside stream.pipeline (including bytes split one at a time and an
 * authentication failure surfacing as the pipeline's error), the file helpers and identity files.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { type RecordBatch, Table, tableToIPC } from 'apache-arrow'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sampleTransactions } from '../../src/cli/sample-data.js'
import { ArrowSealError, generateIdentity, type Identity, type Policy } from '../../src/index.js'
import {
  createAtomicFile,
  createOpenStream,
  createSealStream,
  nodeBackend,
  openFile,
  readIdentityFile,
  sealFile,
  writeFileAtomic,
  writeIdentityFile,
} from '../../src/node/index.js'

let dir: string
let writer: Identity
let reader: Identity
const policy: Policy = { fields: { id: 'public', national_id: 'drop' }, default: ['reader'] }
const table = sampleTransactions({ rows: 30, batchRows: 10 })
const rows = (t: Table) => t.toArray().map((r) => r.toJSON())

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'arrowseal-node-'))
  ;[writer, reader] = await Promise.all([generateIdentity(), generateIdentity()])
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function collect<T>(into: T[]): Writable {
  return new Writable({
    objectMode: true,
    write(chunk: T, _enc, cb) {
      into.push(chunk)
      cb()
    },
  })
}

async function sealToBytes(): Promise<Uint8Array> {
  const chunks: Uint8Array[] = []
  await pipeline(
    Readable.from(table.batches),
    createSealStream({ signer: writer, recipients: { reader: [reader.publicKey] }, policy, backend: nodeBackend() }),
    collect(chunks),
  )
  return Buffer.concat(chunks)
}

describe('stream adapters', () => {
  it('seal and open through stream.pipeline, input split one byte at a time', async () => {
    const sealed = await sealToBytes()
    const oneByte = Readable.from(
      (function* () {
        for (let i = 0; i < sealed.length; i++) yield sealed.subarray(i, i + 1)
      })(),
    )
    const batches: RecordBatch[] = []
    await pipeline(
      oneByte,
      createOpenStream({ identity: reader, trustedSigners: [writer.publicKey] }),
      collect(batches),
    )
    const opened = new Table(batches)
    const expected = table.schema.fields.map((f) => f.name).filter((n) => n !== 'national_id')
    expect(opened.schema.fields.map((f) => f.name)).toEqual(expected)
    expect(rows(opened)).toEqual(rows(table.select(expected)))
  })

  it('a tampered stream rejects the pipeline with the library error code', async () => {
    const sealed = (await sealToBytes()).slice()
    sealed[sealed.length - 100]! ^= 1
    const batches: RecordBatch[] = []
    const run = pipeline(
      Readable.from([sealed]),
      createOpenStream({ identity: reader, trustedSigners: [writer.publicKey] }),
      collect(batches),
    )
    await expect(run).rejects.toSatisfy((e: unknown) => e instanceof ArrowSealError && e.code === 'AUTH_FAILED')
  })
})

describe('file helpers', () => {
  it('writeIdentityFile writes mode 0600, refuses to overwrite, and reads back', async () => {
    const path = join(dir, 'me.key')
    await writeIdentityFile(path, reader)
    expect(statSync(path).mode & 0o777).toBe(0o600)
    expect(readFileSync(path, 'utf8')).toContain(`# public key: ${reader.publicKey}`)
    await expect(writeIdentityFile(path, writer)).rejects.toMatchObject({ code: 'EEXIST' })
    expect((await readIdentityFile(path)).publicKey).toBe(reader.publicKey)
    await writeIdentityFile(path, writer, { overwrite: true })
    expect((await readIdentityFile(path)).publicKey).toBe(writer.publicKey)
  })

  it('readIdentityFile refuses a file with two keys or none, without echoing them', async () => {
    const path = join(dir, 'two.key')
    writeFileSync(path, '# nothing here\n')
    await expect(readIdentityFile(path)).rejects.toMatchObject({ code: 'KEY_INVALID' })
    writeFileSync(path, 'ASEAL-SECRET-KEY-1AAAA\nASEAL-SECRET-KEY-1BBBB\n')
    await expect(readIdentityFile(path)).rejects.toSatisfy(
      (e: unknown) => e instanceof ArrowSealError && e.code === 'KEY_INVALID' && !e.message.includes('AAAA'),
    )
  })

  it.each(['file', 'stream'] as const)('sealFile and openFile round-trip an Arrow IPC %s', async (format) => {
    writeFileSync(join(dir, `in.${format}`), tableToIPC(table, format))
    await sealFile(join(dir, `in.${format}`), join(dir, 'out.aseal'), {
      signer: writer,
      recipients: { reader: [reader.publicKey] },
      policy,
    })
    const opened = await openFile(join(dir, 'out.aseal'), { identity: reader, trustedSigners: [writer.publicKey] })
    const expected = table.schema.fields.map((f) => f.name).filter((n) => n !== 'national_id')
    expect(rows(opened)).toEqual(rows(table.select(expected)))
  })

  it('sealFile of a missing file rejects and writes nothing', async () => {
    await expect(
      sealFile(join(dir, 'missing.arrow'), join(dir, 'never.aseal'), {
        signer: writer,
        recipients: { reader: [reader.publicKey] },
        policy,
      }),
    ).rejects.toMatchObject({ code: 'ENOENT' })
    expect(readdirSync(dir).filter((n) => n.startsWith('never') || n.includes('never.aseal'))).toEqual([])
  })

  it('atomic files: abort leaves nothing, commit replaces, overwrite:false keeps the old file', async () => {
    const target = join(dir, 'atomic.txt')
    writeFileSync(target, 'old')
    const f = await createAtomicFile(target)
    await f.write('partial')
    await f.abort()
    expect(readFileSync(target, 'utf8')).toBe('old')
    await expect(writeFileAtomic(target, 'new', { overwrite: false })).rejects.toMatchObject({ code: 'EEXIST' })
    expect(readFileSync(target, 'utf8')).toBe('old')
    await writeFileAtomic(target, 'new')
    expect(readFileSync(target, 'utf8')).toBe('new')
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([])
  })
})
