// Child process of processes.test.ts (bundled by esbuild for a fast start). Modes, from argv[2] (JSON):
//  - read: joins reader group `group` and reads claimed streams for ever; for each batch it appends one line
//    `B <streamId> <index> <first id>` to `out` with a single write (the application's effect and its checkpoint
//    in one atomic step: the checkpoint is the count of that stream's lines), and `D <streamId>` when a stream
//    completes. Prints `ready` once joined and `C <streamId> <startIndex>` per claim.
//  - write: publishes `streams` sealed streams of `batches` batches of 10 rows, printing `S <streamId>` for each.
import { appendFileSync, existsSync, readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { connect } from '@nats-io/transport-node'
import { tableFromArrays } from 'apache-arrow'
import { identityFromSeed } from '../../src/keys/identity.js'
import { NatsStreamReader, publishSealed } from '../../src/nats/index.js'

interface Args {
  mode: 'read' | 'write'
  server: string
  subject: string
  group?: string
  out?: string
  delayMs?: number
  streams?: number
  batches?: number
  seed?: number
}
const args = JSON.parse(process.argv[2]!) as Args
const writer = identityFromSeed(new Uint8Array(32).fill(21))
const reader = identityFromSeed(new Uint8Array(32).fill(22))
const nc = await connect({ servers: args.server })

if (args.mode === 'write') {
  for (let s = 0; s < args.streams!; s++) {
    const base = (args.seed ?? 0) + s * 1000
    const t = tableFromArrays({ id: Int32Array.from({ length: 10 * args.batches! }, (_, i) => base + i) })
    const batches = Array.from({ length: args.batches! }, (_, i) => t.slice(i * 10, (i + 1) * 10).batches[0]!)
    const sent = await publishSealed(nc, args.subject, batches, {
      signer: writer,
      recipients: { r: [reader.publicKey] },
      policy: { fields: { id: ['r'] } },
    })
    process.stdout.write(`S ${sent.streamId}\n`)
  }
  await nc.close()
} else {
  const out = args.out!
  const done = (id: string) =>
    existsSync(out)
      ? readFileSync(out, 'utf8')
          .split('\n')
          .filter((l) => l.startsWith(`B ${id} `)).length
      : 0
  const r = await NatsStreamReader.join(nc, {
    subject: args.subject,
    group: args.group!,
    identity: reader,
    trustedSigners: [writer.publicKey],
    ackWaitMs: 1000,
    checkpoint: done,
  })
  process.stdout.write('ready\n')
  for (;;) {
    const s = await r.next(1000)
    if (!s) continue
    process.stdout.write(`C ${s.streamId} ${s.startIndex}\n`)
    let index = s.startIndex
    for await (const batch of s) {
      if (args.delayMs) await sleep(args.delayMs)
      appendFileSync(out, `B ${s.streamId} ${index++} ${batch.getChild('id')!.get(0)}\n`)
    }
    appendFileSync(out, `D ${s.streamId}\n`)
  }
}
