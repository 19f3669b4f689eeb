/**
 * The CLI's side of `--to nats://…` and `--from nats://…`: parses the location and loads the NATS client and
 * `arrowseal/nats` only when asked, so the CLI works without the optional NATS packages installed.
 * @module
 */
import type { NatsConnection } from '@nats-io/nats-core'
import { BrokerError } from '../errors.js'
import type { NatsUrl } from '../nats/url.js'
import { CliError } from './errors.js'

/** `nats://host:port/SUBJECT` as a location, or a usage error. */
export async function natsLocation(option: string, text: string): Promise<NatsUrl> {
  const { parseNatsUrl } = await import('../nats/url.js')
  try {
    return parseNatsUrl(text)
  } catch (err) {
    throw new CliError(
      'USAGE',
      `${option}: ${(err as Error).message}`,
      `for example ${option} nats://127.0.0.1:4222/sensors`,
    )
  }
}

/**
 * Connects to the server of `where`, runs `work`, and closes the connection whatever happens.
 *
 * @example
 * ```ts
 * await withNats(where, async (nc, nats) => nats.publishSealed(nc, where.subject, batches, options))
 * ```
 */
export async function withNats<T>(
  where: NatsUrl,
  work: (nc: NatsConnection, nats: typeof import('../nats/index.js')) => Promise<T>,
): Promise<T> {
  let transport: typeof import('@nats-io/transport-node')
  let nats: typeof import('../nats/index.js')
  try {
    transport = await import('@nats-io/transport-node')
    nats = await import('../nats/index.js')
  } catch (err) {
    throw new CliError(
      'USAGE',
      'nats:// needs the NATS client packages',
      'npm install @nats-io/transport-node @nats-io/jetstream @nats-io/nats-core',
      { cause: err },
    )
  }
  let nc: NatsConnection
  try {
    nc = await transport.connect({ servers: where.servers, timeout: 5000 })
  } catch (err) {
    throw new BrokerError('BROKER_UNAVAILABLE', `cannot connect to the NATS server at ${where.servers}`, { cause: err })
  }
  try {
    return await work(nc, nats)
  } finally {
    await nc.close().catch(() => {})
  }
}
