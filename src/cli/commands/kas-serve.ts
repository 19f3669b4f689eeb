/**
 * `arrowseal kas serve`: runs the key-access gateway over one store (SQLite file or PostgreSQL URL), with the
 * identity its service stanzas are wrapped to. Options on the command line win over the config file.
 * @module
 */
import { parsePublicKey } from '../../keys/public-key.js'
import type { Command } from '../args.js'
import { listOption, stringOption } from '../args.js'
import { CliError } from '../errors.js'
import { readTextFile } from '../io.js'
import { loadIdentity, loadTrusted } from '../keys.js'

const HELP = `Usage: arrowseal kas serve --store PATH|URL --identity FILE --listen HOST:PORT [options]

Runs the key-access gateway: readers that are not direct recipients of a stream's roles ask it for the group
keys; it answers those entitled (arrowseal kas grant), audits every decision in the store's audit log, and
returns a receipt with each grant.
  --store PATH|URL    SQLite file or postgres:// URL (?schema=NAME): audit log, entitlements, nonces
  --identity FILE     the gateway's identity (the key writers name as the service recipient)
  --listen HOST:PORT  address to listen on (default 127.0.0.1:8420)
  --config FILE       JSON: origin, publicUrl, admins, trust, bodyLimit, skewSeconds, oidc, throttle, anomaly
  --admin KEY         an admin's public key (aseal1… or a file), may send grant/revoke/… (repeatable)
  --trust KEY         a writer whose headers the gateway accepts (aseal1… or a file) (repeatable)
  --origin NAME       the audit log's name (default: kas config "origin", else "arrowseal-kas")
  --entitlement-cache-ttl MS
                      reuse a principal's roles and suspension for MS ms (default 0: read them on every
                      request). With MS > 0 a revocation made through another replica bites within MS ms here.
  --workers N         run N gateway processes sharing the port over the one store, to use N cores (default
                      1; at most 64). Safe on SQLite (one host) and PostgreSQL; the throttle, the anomaly
                      monitor and the caches are per process, as they are per replica.
  -h, --help          show this help
Prints one line "listening on http://HOST:PORT" when ready; stops on SIGINT/SIGTERM after in-flight requests (with --workers, the workers exit at once).
`

/** What the config file may hold. */
interface KasConfig {
  origin?: string
  publicUrl?: string
  admins?: string[]
  trust?: string[]
  bodyLimit?: number
  skewSeconds?: number
  oidc?: import('../../kas/types.js').OidcConfig
  throttle?: import('../../kas/types.js').ThrottleConfig
  anomaly?: import('../../kas/types.js').AnomalyConfig
}

async function readConfig(path: string | undefined): Promise<KasConfig> {
  if (path === undefined) return {}
  let c: unknown
  try {
    c = JSON.parse(await readTextFile(path))
  } catch (err) {
    if (err instanceof CliError) throw err
    throw new CliError('INPUT_INVALID', `${path} is not JSON`, 'fix the config file', { cause: err })
  }
  if (c === null || typeof c !== 'object' || Array.isArray(c)) {
    throw new CliError('INPUT_INVALID', `${path} must hold a JSON object`, 'see docs/guides/gateway.md')
  }
  const known = new Set([
    'origin',
    'publicUrl',
    'admins',
    'trust',
    'bodyLimit',
    'skewSeconds',
    'oidc',
    'throttle',
    'anomaly',
  ])
  for (const k of Object.keys(c)) {
    if (!known.has(k)) throw new CliError('INPUT_INVALID', `${path}: unknown key "${k}"`, 'see docs/guides/gateway.md')
  }
  return c as KasConfig
}

/**
 * The `kas serve` command.
 *
 * @example
 * ```ts
 * await kasServe.run(parseCommandArgs(kasServe, argv)!)
 * ```
 */
export const kasServe: Command = {
  name: 'kas serve',
  help: HELP,
  options: {
    store: { type: 'string' },
    identity: { type: 'string' },
    listen: { type: 'string' },
    config: { type: 'string' },
    admin: { type: 'string', multiple: true },
    trust: { type: 'string', multiple: true },
    origin: { type: 'string' },
    'entitlement-cache-ttl': { type: 'string' },
    workers: { type: 'string' },
  },
  maxPositionals: 0,
  async run(inv) {
    const config = await readConfig(stringOption(inv, 'config'))
    const storeText = stringOption(inv, 'store')
    const identityPath = stringOption(inv, 'identity')
    if (!storeText || !identityPath) {
      throw new CliError('USAGE', 'kas serve needs --store and --identity', 'see `arrowseal kas serve --help`')
    }
    const workersText = stringOption(inv, 'workers') ?? '1'
    if (!/^[1-9][0-9]?$/.test(workersText) || Number(workersText) > 64) {
      throw new CliError('USAGE', '--workers must be a whole number from 1 to 64', 'e.g. --workers 2 on two cores')
    }
    const workers = Number(workersText)
    const listen = stringOption(inv, 'listen') ?? '127.0.0.1:8420'
    const m = /^(.+):(\d{1,5})$/.exec(listen)
    if (!m || Number(m[2]) > 65535) throw new CliError('USAGE', '--listen must be HOST:PORT', 'e.g. 127.0.0.1:8420')
    const host = m[1]!.replace(/^\[(.*)\]$/, '$1')
    const identity = await loadIdentity(identityPath)
    const trusted = await loadTrusted([...(config.trust ?? []), ...listOption(inv, 'trust')])
    if (trusted.length === 0) {
      throw new CliError('USAGE', 'kas serve needs at least one --trust writer key', 'see `arrowseal kas serve --help`')
    }
    const admins = await loadTrusted([...(config.admins ?? []), ...listOption(inv, 'admin')])
    const origin = stringOption(inv, 'origin') ?? config.origin ?? 'arrowseal-kas'
    const ttlText = stringOption(inv, 'entitlement-cache-ttl') ?? '0'
    if (!/^(0|[1-9][0-9]{0,8})$/.test(ttlText)) {
      throw new CliError('USAGE', '--entitlement-cache-ttl must be whole milliseconds (0 to 999999999)', 'e.g. 5000')
    }

    // A call, not a bare import: the bundle drops side-effect imports ("sideEffects": false), and without the call
    // the gateway signed checkpoints and sealed responses with the JavaScript ML-DSA/ML-KEM on Node 24 as well.
    const { installNodePostQuantum } = await import('../../node/install-pq.js')
    installNodePostQuantum()
    const { nodeEd25519 } = await import('../../node/ed25519.js')
    const { nodeX25519 } = await import('../../node/x25519.js')
    const { openAuditLog, parseStoreLocation } = await import('../../store/index.js')
    const { openKasStore } = await import('../../kas/node/store.js')
    const { createKasServer } = await import('../../kas/node/server.js')
    const { unwrapForService } = await import('../../kas/service-view.js')
    const { nodeRuntime } = await import('../../node/runtime.js')
    const hooks = await loadHooks(config)

    const location = parseStoreLocation(storeText)
    const { isGatewayWorker, reportListening, superviseWorkers } = await import('../../kas/node/cluster.js')
    const stopped = new Promise<void>((resolve) => {
      const stop = () => resolve()
      if (isGatewayWorker()) {
        // A worker whose primary is gone has nobody to hand it connections or to stop it. A worker leaves SIGTERM to
        // the CLI's default (exit at once): a graceful close of a cluster worker's shared handle did not finish
        // once a sibling had died, and the primary waits for every worker to exit. Nothing is answered before it
        // is durable, so exiting at once loses no acknowledged grant.
        process.once('disconnect', stop)
      } else {
        // The CLI then leaves the signal to this command (src/cli/run.ts): stop listening, finish, close.
        process.once('SIGINT', stop)
        process.once('SIGTERM', stop)
      }
    })
    const print = (port: number) =>
      process.stdout.write(`listening on http://${host.includes(':') ? `[${host}]` : host}:${port}\n`)
    if (workers > 1 && !isGatewayWorker()) {
      // Created once here, before the workers race to create the same tables and the log's first row.
      await (await openAuditLog(location, { origin, identity })).close()
      await (await openKasStore(location)).close()
      try {
        await superviseWorkers(workers, { onListening: print, stop: stopped })
      } catch (err) {
        throw new CliError('INTERNAL', (err as Error).message, "see the worker's error above; restart the gateway", {
          cause: err,
        })
      }
      return
    }
    const log = await openAuditLog(location, { origin, identity, ed25519: nodeEd25519 })
    // One location for both: a nonce is made durable by the audit commit that follows it (see KasStoreOptions).
    const store = await openKasStore(location, { nonceSync: 'with-log' })
    const server = await createKasServer({
      identity,
      log,
      store,
      trustedWriters: trusted.map(parsePublicKey),
      admins: admins.map(parsePublicKey),
      unwrap: (header, gateway, writers) => unwrapForService(header, gateway, writers, { runtime: nodeRuntime }),
      hooks,
      ed25519: nodeEd25519,
      x25519: nodeX25519,
      entitlementCacheTtlMs: Number(ttlText),
      ...(config.publicUrl ? { publicUrl: config.publicUrl.replace(/\/+$/, '') } : {}),
      ...(config.bodyLimit ? { bodyLimit: config.bodyLimit } : {}),
      ...(config.skewSeconds ? { skewMs: config.skewSeconds * 1000 } : {}),
      onAlert: (a) => process.stderr.write(`arrowseal kas: alert ${a.kind} ${a.principal}: ${a.why}\n`),
    })
    await server.app.listen({ host, port: Number(m[2]) })
    const address = server.app.server.address()
    const port = typeof address === 'object' && address ? address.port : Number(m[2])
    if (isGatewayWorker()) reportListening(port)
    else print(port)
    await stopped
    await server.close()
    await store.close()
    await log.close()
  },
}

async function loadHooks(config: KasConfig): Promise<import('../../kas/types.js').KasServerHooks> {
  const hooks: {
    tokens?: import('../../kas/types.js').TokenAuthenticator
    throttle?: import('../../kas/types.js').Throttle
    monitor?: import('../../kas/types.js').AnomalyMonitor
  } = {}
  if (config.oidc) hooks.tokens = (await import('../../kas/oidc.js')).createOidcAuthenticator(config.oidc)
  if (config.throttle) hooks.throttle = (await import('../../kas/throttle.js')).createThrottle(config.throttle)
  if (config.anomaly) hooks.monitor = (await import('../../kas/anomaly.js')).createAnomalyMonitor(config.anomaly)
  return hooks
}
