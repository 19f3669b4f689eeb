/**
 * Worker-thread entry: runs the crypto phase of one stream (sealing encoded batches into frames, or verifying
 * and decrypting frames) on `node:crypto`. Started by `parallel.ts`; one init message, then jobs.
 * @module
 */
import { parentPort } from 'node:worker_threads'
import { FrameOpener } from '../seal/frame-opener.js'
import { FrameSealer } from '../seal/frame-sealer.js'
import { nodeBackend } from './backend.js'
import { owned, type Reply, type Request, toWire, transferables } from './worker-protocol.js'

const port = parentPort
if (!port) throw new Error('arrowseal worker: must run in a worker thread')

let sealer: FrameSealer | undefined
let opener: FrameOpener | undefined

const reply = (r: Reply, transfer: ArrayBuffer[] = []): void => port.postMessage(r, transfer)

port.on('message', async (req: Request) => {
  try {
    switch (req.type) {
      case 'seal-init':
        sealer = await FrameSealer.fromKeys(nodeBackend(), req.keys)
        wipeSealKeys(req)
        reply({ type: 'ready' })
        return
      case 'open-init':
        opener = await FrameOpener.fromKeys(nodeBackend(), req.keys)
        req.keys.macKey.fill(0)
        for (const g of req.keys.groups) g.encKey?.fill(0)
        reply({ type: 'ready' })
        return
      case 'seal': {
        if (!sealer) throw new Error('not initialised')
        const frame = await sealer.seal(req.batch)
        reply({ type: 'sealed', id: req.id, frame }, transferables([frame]))
        return
      }
      case 'open': {
        if (!opener) throw new Error('not initialised')
        const opened = await opener.open(req.frame, req.expected)
        if (opened.kind === 'end') {
          reply({ type: 'opened', id: req.id, opened })
          return
        }
        const plains = opened.plains.map(owned)
        reply({ type: 'opened', id: req.id, opened: { ...opened, plains } }, transferables(plains))
        return
      }
    }
  } catch (err) {
    reply({ type: 'error', id: 'id' in req ? req.id : -1, error: toWire(err) })
  }
})

function wipeSealKeys(req: Extract<Request, { type: 'seal-init' }>): void {
  for (const k of req.keys.macKeys) k.fill(0)
  for (const k of req.keys.encKeys) k?.fill(0)
}
