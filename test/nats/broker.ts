// The real NATS server for the arrowseal/nats tests: 127.0.0.1:4222 (ARROWSEAL_TEST_NATS overrides), JetStream on.
// In CI (.ci/run starts the server) an unreachable server fails the tests; outside CI they skip with the reason
// printed. They run in the node20 suite only: the client is plain JavaScript, and CI's time is short.
import { randomBytes } from 'node:crypto'
import { jetstreamManager } from '@nats-io/jetstream'
import type { NatsConnection } from '@nats-io/nats-core'
import { connect } from '@nats-io/transport-node'
import { RUNTIME_SUITE } from '../helpers/runtime-suite.js'

export const NATS_SERVER = process.env['ARROWSEAL_TEST_NATS'] ?? '127.0.0.1:4222'

async function probe(): Promise<string | null> {
  if (process.env['CI'] && RUNTIME_SUITE !== 'node20')
    return `the NATS tests run once, in CI's node20 suite (this is ${RUNTIME_SUITE}): the client is plain JavaScript`
  try {
    const nc = await connect({ servers: NATS_SERVER, timeout: 2000 })
    try {
      await (await jetstreamManager(nc)).getAccountInfo()
    } finally {
      await nc.close()
    }
    return null
  } catch (err) {
    if (process.env['CI']) throw new Error(`CI: the NATS server at ${NATS_SERVER} (JetStream) is not reachable: ${err}`)
    return `no NATS server with JetStream at ${NATS_SERVER} (${(err as Error).message})`
  }
}

export const natsSkip: string | null = await probe()
if (natsSkip) console.log(`[nats tests] skipped: ${natsSkip}`)

/** A subject no other test run uses. */
export function uniqueSubject(tag: string): string {
  return `aseal-test-${tag}-${randomBytes(5).toString('hex')}`
}

export async function connectTest(): Promise<NatsConnection> {
  return connect({ servers: NATS_SERVER })
}

/** Deletes the JetStream stream of a test subject (its consumers go with it). */
export async function dropPipeline(nc: NatsConnection, stream: string): Promise<void> {
  const jsm = await jetstreamManager(nc)
  await jsm.streams.delete(stream).catch(() => {})
}
