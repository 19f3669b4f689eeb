/**
 * `nats://host:port/SUBJECT` locations, as the CLI's `--to` and `--from` take them. Parsed here, not in the CLI,
 * so that the library and the CLI agree on what a location means.
 * @module
 */
import { checkSubject } from './envelope.js'

/**
 * A parsed NATS location: the server to connect to and the pipeline subject.
 *
 * @example
 * ```ts
 * const url: NatsUrl = { servers: '127.0.0.1:4222', subject: 'sensors' }
 * ```
 */
export interface NatsUrl {
  readonly servers: string
  readonly subject: string
}

/**
 * Parses `nats://host[:port]/SUBJECT` (port 4222 by default). Credentials in the URL are refused: they would end up
 * in shell history and process lists; use the NATS client's own options for them.
 *
 * @example
 * ```ts
 * import { parseNatsUrl } from 'arrowseal/nats'
 * console.log(parseNatsUrl('nats://127.0.0.1:4222/sensors')) // { servers: '127.0.0.1:4222', subject: 'sensors' }
 * ```
 */
export function parseNatsUrl(text: string): NatsUrl {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new TypeError('expected nats://host:port/SUBJECT')
  }
  if (url.protocol !== 'nats:') throw new TypeError('expected nats://host:port/SUBJECT')
  if (url.username || url.password) throw new TypeError('nats URL: put no credentials in the URL')
  if (!url.hostname) throw new TypeError('nats URL: no host')
  const subject = decodeURIComponent(url.pathname.replace(/^\//, ''))
  checkSubject(subject)
  return { servers: `${url.hostname}:${url.port || '4222'}`, subject }
}
