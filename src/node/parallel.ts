/**
 * Worker-thread pools for the crypto phase of one stream (`workers` option of the Node entry's SealStream and
 * OpenStream). Jobs go round-robin to the workers; the stream awaits results in submission order, so output
 * order and bytes are those of the single-threaded path.
 * @module
 */
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import type { CryptoPool, PoolInit } from '../seal/crypto-pool.js'
import type { OpenedFrame } from '../seal/frame-opener.js'
import type { EncodedBatch } from '../seal/frame-sealer.js'
import { fromWire, owned, type Reply, type Request, transferables } from './worker-protocol.js'

/**
 * The worker script next to this module: `worker.js` in the built package (`dist/node/worker.js` when this
 * code is bundled into `dist/index.node.js`), or `worker.ts` when running from source under tsx or vitest,
 * where a small bootstrap registers tsx in the worker first (a worker does not inherit the loader hooks).
 */
function startWorker(): Worker {
  const here = import.meta.url
  if (here.endsWith('.ts')) {
    const url = new URL('./worker.ts', here).href
    const bootstrap = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(url)}) })`
    return new Worker(bootstrap, { eval: true })
  }
  for (const c of ['./worker.js', './node/worker.js']) {
    const url = new URL(c, here)
    if (existsSync(fileURLToPath(url))) return new Worker(url)
  }
  throw new Error('arrowseal: the worker script (node/worker.js) is missing from this installation')
}

interface Pending {
  resolve(reply: Reply): void
  reject(err: Error): void
}

/**
 * Starts `size` workers holding one stream's crypto-phase keys. The caller wipes `init` afterwards (each worker
 * got its own structured-clone copy, and wipes it once imported).
 *
 * @example
 * ```ts
 * const pool = await startWorkerPool(2, { seal: keys })
 * const frame = await pool.seal(sealer.encodeBatch(batch))
 * pool.close()
 * ```
 */
export async function startWorkerPool(size: number, init: PoolInit): Promise<CryptoPool> {
  const pending = new Map<number, Pending>()
  let closed = false
  let nextId = 0
  let turn = 0
  const failAll = (err: Error) => {
    for (const p of pending.values()) p.reject(err)
    pending.clear()
  }
  const workers = Array.from({ length: size }, () => {
    const w = startWorker()
    // Never keep the process alive for an idle pool: a stream that is dropped unfinished must not hang exit.
    w.unref()
    w.on('message', (reply: Reply) => {
      if (reply.type === 'ready') return
      const p = pending.get(reply.id)
      if (!p) return
      pending.delete(reply.id)
      if (reply.type === 'error') p.reject(fromWire(reply.error))
      else p.resolve(reply)
    })
    w.on('error', () => failAll(new Error('arrowseal: a worker thread failed')))
    w.on('exit', () => {
      if (!closed) failAll(new Error('arrowseal: a worker thread exited'))
    })
    return w
  })
  const request: Request =
    'seal' in init ? { type: 'seal-init', keys: init.seal } : { type: 'open-init', keys: init.open }
  await Promise.all(
    workers.map(
      (w) =>
        new Promise<void>((resolve, reject) => {
          const onMessage = (reply: Reply) => {
            if (reply.type === 'ready') {
              w.off('message', onMessage)
              resolve()
            } else if (reply.type === 'error') reject(fromWire(reply.error))
          }
          w.on('message', onMessage)
          w.once('error', () => reject(new Error('arrowseal: a worker thread failed to start')))
          w.postMessage(request)
        }),
    ),
  )
  const run = (message: (id: number) => Request, transfer: ArrayBuffer[]): Promise<Reply> => {
    if (closed) return Promise.reject(new Error('arrowseal: the worker pool is closed'))
    const id = nextId++
    const worker = workers[turn++ % size]!
    return new Promise<Reply>((resolve, reject) => {
      pending.set(id, { resolve, reject })
      worker.postMessage(message(id), transfer)
    })
  }
  return {
    async seal(batch: EncodedBatch): Promise<Uint8Array> {
      // The encoded units are not used here again: move their buffers instead of copying them.
      const units = batch.units.map((u) => ({ ...u, plain: owned(u.plain) }))
      const reply = await run(
        (id) => ({ type: 'seal', id, batch: { ...batch, units } }),
        transferables(units.map((u) => u.plain)),
      )
      if (reply.type !== 'sealed') throw new Error('arrowseal: unexpected worker reply')
      return reply.frame
    },
    async open(frame: Uint8Array, expected: number): Promise<OpenedFrame> {
      // A frame is usually a view into the caller's chunk: copy it (a clone would copy the whole chunk).
      const mine = owned(frame)
      const transfer = mine === frame ? [] : transferables([mine])
      const reply = await run((id) => ({ type: 'open', id, frame: mine, expected }), transfer)
      if (reply.type !== 'opened') throw new Error('arrowseal: unexpected worker reply')
      return reply.opened
    },
    close(): void {
      if (closed) return
      closed = true
      failAll(new Error('arrowseal: the worker pool is closed'))
      for (const w of workers) void w.terminate()
    },
  }
}
