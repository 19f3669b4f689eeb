// End-to-end flow of the key-access gateway with real processes on loopback and the real format: the CLI seals
// for a service recipient, `kas serve` runs as a child process over a store, admins grant and revoke with the
// CLI, readers open with `open --key-access`, and `audit verify --url` rehashes the whole history. Shared by
// e2e-sqlite.test.ts and e2e-postgres.test.ts (one file per backend keeps each well under a minute).
import { type ChildProcess, spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { sha256 } from '@noble/hashes/sha2.js'
import { expect } from 'vitest'
import { decodeAuditEvent } from '../../src/audit/event.js'
import type { KeyAccessError } from '../../src/errors.js'
import { inspect } from '../../src/inspect.js'
import { signAdminCommand } from '../../src/kas/admin-command.js'
import { keyAccessClient } from '../../src/kas/client.js'
import {
  b64u,
  createRequestSession,
  encodeRequest,
  ephemeralKey,
  keyPrincipal,
  signRequest,
} from '../../src/kas/protocol.js'
import type { KeyAccessRequest } from '../../src/kas/types.js'
import { exportIdentity, type Identity, identityFromSeed } from '../../src/keys/identity.js'
import { buildCli, runCli, tempDir } from '../cli/helpers.js'

export interface World {
  readonly dir: string
  readonly cli: string
  readonly at: (name: string) => string
  readonly ids: { writer: Identity; reader: Identity; gateway: Identity; admin: Identity; burster: Identity }
  readonly loaders: readonly Identity[]
  readonly sealed: Uint8Array
  readonly header: Uint8Array
  cleanup(): void
}

export async function makeWorld(port: number): Promise<World> {
  const cli = await buildCli()
  const { dir, cleanup } = tempDir('arrowseal-kas-e2e-')
  const at = (n: string) => join(dir, n)
  const ids = {
    writer: identityFromSeed(new Uint8Array(32).fill(61)),
    reader: identityFromSeed(new Uint8Array(32).fill(62)),
    gateway: identityFromSeed(new Uint8Array(32).fill(63)),
    admin: identityFromSeed(new Uint8Array(32).fill(64)),
    burster: identityFromSeed(new Uint8Array(32).fill(65)),
  }
  // Load comes from several principals: each has its own bucket of 1 request/s (burst 5).
  const loaders = Array.from({ length: 8 }, (_, i) => identityFromSeed(new Uint8Array(32).fill(70 + i)))
  for (const [name, id] of Object.entries(ids)) {
    writeFileSync(at(`${name}.key`), `${exportIdentity(id)}\n`, { mode: 0o600 })
    writeFileSync(at(`${name}.pub`), `${id.publicKey}\n`)
  }
  writeFileSync(
    at('recipients.json'),
    JSON.stringify({ analyst: [{ service: `http://127.0.0.1:${port}`, key: ids.gateway.publicKey }] }),
  )
  writeFileSync(at('policy.json'), JSON.stringify({ fields: { id: 'public' }, default: ['analyst'] }))
  writeFileSync(at('data.csv'), 'id,amount\n1,9.50\n2,120\n')
  // Tight per-principal bucket (the burster hits it); the per-source bucket is wide: every test request is local.
  writeFileSync(
    at('kas.json'),
    JSON.stringify({
      origin: 'kas.e2e/audit',
      throttle: { perPrincipal: { rate: 1, burst: 5 }, perSource: { rate: 100000, burst: 100000 } },
    }),
  )
  const seal = await runCli(cli, [
    'seal',
    '--policy',
    at('policy.json'),
    '--recipients',
    at('recipients.json'),
    '--signer',
    at('writer.key'),
    '--dataset',
    'sales',
    '-o',
    at('data.aseal'),
    at('data.csv'),
  ])
  expect(seal.stderr).toBe('')
  expect(seal.code).toBe(0)
  const { readFileSync } = await import('node:fs')
  const sealed = new Uint8Array(readFileSync(at('data.aseal')))
  const header = sealed.subarray(0, inspect(sealed).headerBytes)
  return { dir, cli, at, ids, loaders, sealed, header, cleanup }
}

export interface Replica {
  readonly url: string
  readonly child: ChildProcess
  stop(signal?: NodeJS.Signals): Promise<void>
}

/** Starts `arrowseal kas serve` as a child process and waits for its "listening" line. */
export async function serve(w: World, store: string, port: number, extra: readonly string[] = []): Promise<Replica> {
  const child = spawn(
    process.execPath,
    [
      w.cli,
      'kas',
      'serve',
      '--store',
      store,
      '--identity',
      w.at('gateway.key'),
      '--listen',
      `127.0.0.1:${port}`,
      '--config',
      w.at('kas.json'),
      '--admin',
      w.at('admin.pub'),
      '--trust',
      w.at('writer.pub'),
      ...extra,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } },
  )
  let err = ''
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString()
  })
  await new Promise<void>((resolve, reject) => {
    let out = ''
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString()
      if (out.includes('listening on')) resolve()
    })
    child.once('exit', (code) => reject(new Error(`kas serve exited ${code}: ${err}`)))
  })
  const exited = new Promise<void>((r) => child.once('exit', () => r()))
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      await exited
    },
  }
}

export async function adminCli(w: World, url: string, verb: string, ...rest: string[]) {
  return runCli(w.cli, [
    'kas',
    verb,
    '--url',
    url,
    '--identity',
    w.at('admin.key'),
    '--gateway',
    w.at('gateway.pub'),
    ...rest,
  ])
}

export async function grant(w: World, url: string, who = 'reader') {
  const r = await adminCli(
    w,
    url,
    'grant',
    '--principal',
    w.at(`${who}.pub`),
    '--role',
    'analyst',
    '--dataset',
    'sales',
  )
  expect([r.code, r.stderr]).toEqual([0, ''])
}

export async function revoke(w: World, url: string, who = 'reader') {
  const r = await adminCli(
    w,
    url,
    'revoke',
    '--principal',
    w.at(`${who}.pub`),
    '--role',
    'analyst',
    '--dataset',
    'sales',
  )
  expect([r.code, r.stderr]).toEqual([0, ''])
}

export async function openCli(w: World, url: string, who = 'reader') {
  return runCli(w.cli, [
    'open',
    '--identity',
    w.at(`${who}.key`),
    '--trust',
    w.at('writer.pub'),
    '--key-access',
    url,
    '--gateway',
    w.at('gateway.pub'),
    '--format',
    'csv',
    w.at('data.aseal'),
  ])
}

/** The opener's request for this world's stream, for driving the client directly. */
export function keyRequest(w: World, identity: Identity = w.ids.reader): KeyAccessRequest {
  const info = inspect(w.sealed)
  return {
    header: w.header,
    headerDigest: sha256(w.header),
    streamId: Uint8Array.from(Buffer.from(info.streamId, 'hex')),
    service: { url: 'unused', dataset: 'sales', roles: ['analyst'] },
    identity,
  }
}

export function client(w: World, url: string) {
  return keyAccessClient({ url, gatewayKey: w.ids.gateway.publicKey, retries: 0 })
}

/** The whole common flow on one replica: grant, open, revoke, refused open, hostile requests, audit verify. */
export async function mainFlow(w: World, r: Replica): Promise<void> {
  const burster = createRequestSession(w.ids.burster)
  const eph = ephemeralKey()
  await grant(w, r.url)
  const ok = await openCli(w, r.url)
  expect([ok.code, ok.stderr]).toEqual([0, ''])
  expect(ok.stdout).toBe('id,amount\n1,9.5\n2,120\n')

  await revoke(w, r.url)
  const refused = await openCli(w, r.url)
  expect(refused.code).toBe(7)
  expect(refused.stderr).toContain('KAS_DENIED')

  // Hostile requests against the real format: a header cut short, another stream's id, an unknown principal.
  const c = client(w, r.url)
  const base = keyRequest(w)
  const code = async (req: KeyAccessRequest) =>
    ((await c.requestKeys(req).catch((e: unknown) => e)) as KeyAccessError).code
  const cut = w.header.subarray(0, w.header.length - 1)
  expect(await code({ ...base, header: cut, headerDigest: sha256(cut) })).toBe('KAS_REQUEST_INVALID')
  expect(await code({ ...base, headerDigest: new Uint8Array(32) })).toBe('KAS_HEADER_MISMATCH')
  expect(await code({ ...base, streamId: new Uint8Array(16) })).toBe('KAS_HEADER_MISMATCH')
  expect(await code(keyRequest(w, w.ids.admin))).toBe('KAS_DENIED')

  // A burst over the per-principal rate limit, all signed first and then sent at once: the first ones pass the
  // throttle (burst 5), the rest get 429 + Retry-After.
  await grant(w, r.url, 'burster')
  const bodies = Array.from({ length: 30 }, () => {
    const bytes = encodeRequest({
      version: 1,
      nonce: crypto.getRandomValues(new Uint8Array(16)),
      time: Date.now(),
      audience: w.ids.gateway.fingerprint,
      streamId: base.streamId,
      headerDigest: base.headerDigest,
      roles: ['analyst'],
      ephemeralKey: eph.publicKey,
      header: w.header,
    })
    return JSON.stringify({ request: b64u(bytes), auth: signRequest(bytes, burster) })
  })
  const burst = await Promise.all(
    bodies.map(async (body) => {
      const res = await fetch(`${r.url}/v1/rewrap`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      })
      return [res.status, res.headers.get('retry-after') !== null] as const
    }),
  )
  expect(burst.filter(([s]) => s === 200).length).toBeGreaterThan(0)
  expect(burst.filter(([s, retry]) => s === 429 && retry).length).toBeGreaterThan(0)
  expect(burst.every(([s]) => s === 200 || s === 429)).toBe(true)
}

/** `audit verify --url` over the whole history; returns the decoded decisions it reports. */
export async function auditVerify(w: World, url: string): Promise<string> {
  const v = await runCli(w.cli, [
    'audit',
    'verify',
    '--url',
    url,
    '--key',
    w.at('gateway.pub'),
    '--origin',
    'kas.e2e/audit',
  ])
  expect([v.code, v.stderr]).toEqual([0, ''])
  expect(v.stdout).toContain('ok history')
  return v.stdout
}

/** Every grant a client saw must be in the log, byte for byte, at its receipt's index. */
export async function expectGrantsDurable(url: string, grants: { index: number; entry: Uint8Array }[]): Promise<void> {
  for (const g of grants) {
    const j = (await (await fetch(`${url}/v1/log/entries/${g.index}`)).json()) as { entry: string }
    expect(Buffer.from(j.entry, 'base64url').equals(Buffer.from(g.entry))).toBe(true)
    expect(decodeAuditEvent(g.entry).decision).toBe('grant')
  }
}

/** Load from one loop per loader principal until `stop()`; records every grant and when each request started. */
export function load(w: World, url: () => string) {
  const grants: { index: number; entry: Uint8Array; started: number }[] = []
  const refusals: { code: string; started: number }[] = []
  let running = true
  const loops = w.loaders.map(async (identity) => {
    while (running) {
      const started = Date.now()
      try {
        const c = keyAccessClient({ url: url(), gatewayKey: w.ids.gateway.publicKey, retries: 0, timeoutMs: 5000 })
        const r = await c.requestKeys(keyRequest(w, identity))
        grants.push({ index: r.receipt!.index, entry: r.receipt!.entry, started })
      } catch (e) {
        const code = (e as KeyAccessError).code
        refusals.push({ code, started })
        if (code === 'KAS_UNREACHABLE' || code === 'KAS_RATE_LIMITED') await sleep(100)
      }
    }
  })
  return {
    grants,
    refusals,
    async stop() {
      running = false
      await Promise.all(loops)
    },
  }
}

/** Grants or revokes the analyst role of every loader, through the admin endpoint. */
export async function adminLoaders(w: World, url: string, action: 'grant' | 'revoke'): Promise<void> {
  for (const l of w.loaders) {
    const body = signAdminCommand(
      { action, principal: keyPrincipal(l.publicKeyObject), role: 'analyst', dataset: 'sales' },
      w.ids.admin,
      w.ids.gateway.fingerprint,
    )
    const res = await fetch(`${url}/v1/admin`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
    expect(res.status).toBe(200)
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Waits until `n` grants were seen (or throws after `ms`). */
export async function until(cond: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting for the load')
    await sleep(20)
  }
}
