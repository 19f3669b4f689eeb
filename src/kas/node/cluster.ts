/**
 * `kas serve --workers N`: N gateway processes (node:cluster) sharing one listening port over one store, so that a
 * gateway host uses more than one core. Each worker is a complete gateway, exactly like a replica behind a load
 * balancer (docs/guides/gateway.md, "Scale out"): it reads entitlements and suspensions from the store on every
 * request, claims nonces through the store's primary key, and appends to the one audit tree under the store's
 * write lock (SQLite `BEGIN IMMEDIATE` on one file of one host, PostgreSQL's row lock), reloading the tree's right
 * edge when another process moved it. What is per worker, as per replica: the unwrapped-header cache, the throttle,
 * the anomaly monitor and the optional entitlement cache.
 *
 * The primary only supervises: it accepts connections and hands them to the workers (Node's round-robin), prints
 * the "listening" line once every worker listens, and stops the workers when it is stopped. A worker that dies
 * stops the whole gateway (exit code 1): a supervisor (systemd, Kubernetes) restarts it, rather than this process
 * forking again and again around a broken store.
 * @module
 */
import cluster, { type Worker } from 'node:cluster'

/** The message a worker sends once it listens. */
interface Listening {
  readonly arrowsealKas: 'listening'
  readonly port: number
}

const isListening = (m: unknown): m is Listening =>
  typeof m === 'object' && m !== null && (m as Listening).arrowsealKas === 'listening'

/** True in a process forked by {@link superviseWorkers}. */
export function isGatewayWorker(): boolean {
  return cluster.isWorker
}

/** Tells the primary that this worker listens on `port` (a no-op outside a cluster worker). */
export function reportListening(port: number): void {
  if (cluster.isWorker && process.send) process.send({ arrowsealKas: 'listening', port } satisfies Listening)
}

/** Options of {@link superviseWorkers}. */
export interface SuperviseOptions {
  /** Called once, when every worker listens, with the port they share. */
  readonly onListening: (port: number) => void
  /** Resolves when the gateway should stop (a signal). */
  readonly stop: Promise<void>
}

/**
 * Forks `n` workers running this same command line, waits until each listens, then until `stop` resolves or a
 * worker dies. Resolves once every worker has exited; rejects if a worker died first (after stopping the rest).
 *
 * @example
 * ```ts
 * await superviseWorkers(2, { onListening: (port) => console.log(port), stop: signalled })
 * ```
 */
export async function superviseWorkers(n: number, options: SuperviseOptions): Promise<void> {
  const workers: Worker[] = []
  const exits: Promise<void>[] = []
  let stopping = false
  let died: ((why: string) => void) | undefined
  const death = new Promise<never>((_, reject) => {
    died = (why) => reject(new Error(why))
  })
  death.catch(() => {})
  let listening = 0
  let ready: (() => void) | undefined
  const allListening = new Promise<void>((resolve) => {
    ready = resolve
  })
  for (let i = 0; i < n; i++) {
    const w = cluster.fork()
    workers.push(w)
    w.on('message', (m: unknown) => {
      if (!isListening(m)) return
      listening++
      if (listening === n) {
        options.onListening(m.port)
        ready?.()
      }
    })
    exits.push(
      new Promise<void>((resolve) => {
        w.once('exit', (code, signal) => {
          if (!stopping) died?.(`gateway worker ${w.id} exited (${signal ?? `code ${code}`})`)
          resolve()
        })
      }),
    )
  }
  const stopAll = async () => {
    stopping = true
    for (const w of workers) if (!w.isDead()) w.process.kill('SIGTERM')
    await Promise.all(exits)
  }
  try {
    await Promise.race([allListening.then(() => options.stop), death])
  } catch (err) {
    await stopAll()
    throw err
  }
  await stopAll()
}
