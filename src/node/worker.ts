/**
 * Worker-thread entry: runs the crypto phase of streams (sealing encoded batches into frames, or verifying and
 * decrypting frames) on `node:crypto`. Started by `parallel.ts`. Each stream's keys live in their own slot from
 * its init message until its release message, which drops them.
 * @module
 */
import { parentPort } from 'node:worker_threads'
import { FrameOpener } from '../seal/frame-opener.js'
import { FrameSealer } from '../seal/frame-sealer.js'
import { nodeBackend } from './backend.js'
import { nodeEd25519 } from './ed25519.js'
import { clock, threadId, threadSched, type WorkerTimes } from './pool-trace.js'
import { owned, type Reply, type Request, toWire, transferables } from './worker-protocol.js'

const port = parentPort
if (!port) throw new Error('arrowseal worker: must run in a worker thread')

const sealers = new Map<number, FrameSealer>()
const openers = new Map<number, FrameOpener>()

const reply = (r: Reply, transfer: ArrayBuffer[] = []): void => port.postMessage(r, transfer)

function slot<T>(map: Map<number, T>, stream: number): T {
  const found = map.get(stream)
  if (!found) throw new Error('no keys for this stream in the worker')
  return found
}

/** Bench-only: what this worker measured of a traced job (see pool-trace.ts). */
function measured(got: number, before: WorkerTimes['before']): { times: WorkerTimes } {
  tid ??= threadId()
  return { times: { tid, got, done: clock(), before, after: threadSched() } }
}
let tid: number | undefined

port.on('message', async (req: Request) => {
  const traced = 'trace' in req && req.trace
  const got = traced ? clock() : 0
  const before = traced ? threadSched() : null
  try {
    switch (req.type) {
      case 'seal-init':
        sealers.set(req.stream, await FrameSealer.fromKeys(nodeBackend(), req.keys, nodeEd25519))
        for (const k of req.keys.macKeys) k.fill(0)
        for (const k of req.keys.encKeys) k?.fill(0)
        req.keys.frameSeed?.fill(0)
        reply({ type: 'ready', id: req.id })
        return
      case 'open-init':
        openers.set(req.stream, await FrameOpener.fromKeys(nodeBackend(), req.keys, nodeEd25519))
        req.keys.macKey?.fill(0)
        for (const g of req.keys.groups) g.encKey?.fill(0)
        reply({ type: 'ready', id: req.id })
        return
      case 'release':
        sealers.get(req.stream)?.wipe()
        sealers.delete(req.stream)
        openers.delete(req.stream)
        return
      case 'seal': {
        const frame = await slot(sealers, req.stream).seal(req.batch)
        // The units' buffer goes back to the writer, which joins the next batch into it (fresh memory per batch
        // cost more than the copy on the benchmark VM); the writer wipes it when the stream ends.
        const part = req.batch.units[0]?.parts[0]
        const units = part && part.buffer instanceof ArrayBuffer ? part.buffer : null
        const times = traced ? measured(got, before) : {}
        reply({ type: 'sealed', id: req.id, frame, units, ...times }, [
          ...transferables([frame]),
          ...(units ? [units] : []),
        ])
        return
      }
      case 'open': {
        const opened = await slot(openers, req.stream).open(req.frame, req.expected, req.budget)
        // No plaintext refers to the frame's bytes (public units are copied out), so a lent buffer can go back.
        const frame = req.lent ? (req.frame.buffer as ArrayBuffer) : null
        const back = frame ? [frame] : []
        if (opened.kind === 'end') {
          reply({ type: 'opened', id: req.id, opened, frame, ...(traced ? measured(got, before) : {}) }, back)
          return
        }
        const plains = opened.plains.map(owned)
        const times = traced ? measured(got, before) : {}
        reply({ type: 'opened', id: req.id, opened: { ...opened, plains }, frame, ...times }, [
          ...transferables(plains),
          ...back,
        ])
        return
      }
    }
  } catch (err) {
    if ('id' in req) reply({ type: 'error', id: req.id, error: toWire(err) })
  }
})
