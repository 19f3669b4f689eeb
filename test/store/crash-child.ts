// Child process of crash.test.ts: appends under load (64 concurrent appenders) and reports on stdout every append
// that resolved (`A index id`) and every checkpoint it signed (`C base64(note)`), until it is killed. Pipes are
// written synchronously on Linux, so a line the parent reads was written before the kill.
import { identityFromSeed } from '../../src/keys/identity.js'
import { openAuditLog } from '../../src/store/log.js'

const [locJson, runId] = process.argv.slice(2)
const identity = identityFromSeed(new Uint8Array(32).fill(11))
const log = await openAuditLog(JSON.parse(locJson!), { origin: 'example.com/crash', identity })
process.stdout.write(`R ${await log.size()}\n`)
let seq = 0
let sinceCheckpoint = 0
async function appender(): Promise<void> {
  for (;;) {
    const id = `${runId}-${seq++}`
    const { index } = await log.append(new TextEncoder().encode(id))
    process.stdout.write(`A ${index} ${id}\n`)
    if (++sinceCheckpoint >= 200) {
      sinceCheckpoint = 0
      const note = await log.checkpoint()
      process.stdout.write(`C ${Buffer.from(note).toString('base64')}\n`)
    }
  }
}
await Promise.all(Array.from({ length: 64 }, appender))
