/**
 * `arrowseal/nats`: sealed pipelines over NATS JetStream (Node only). Writers publish sealed streams with
 * {@link publishSealed}; readers join a reader group with {@link NatsStreamReader.join} and share the streams
 * between their processes through one durable pull consumer, each stream read in order by one member, each batch
 * verified before it is released and acknowledged only after. The NATS client packages (`@nats-io/transport-node`,
 * `@nats-io/jetstream`, `@nats-io/nats-core` 3.x) are optional peer dependencies: install them to use this entry.
 * Delivery guarantees and what the broker sees: docs/guides/pipelines.md.
 *
 * @example
 * ```ts
 * import { connect } from '@nats-io/transport-node'
 * import { tableFromArrays } from 'apache-arrow'
 * import { generateIdentity } from 'arrowseal'
 * import { NatsStreamReader, publishSealed } from 'arrowseal/nats'
 * const writer = await generateIdentity()
 * const alice = await generateIdentity()
 * const nc = await connect({ servers: '127.0.0.1:4222' })
 * const subject = `example-${Date.now()}`
 * await publishSealed(nc, subject, tableFromArrays({ id: Int32Array.from([1, 2]) }), {
 *   signer: writer, recipients: { analysts: [alice.publicKey] }, policy: { fields: { id: ['analysts'] } },
 * })
 * const reader = await NatsStreamReader.join(nc, {
 *   subject, group: 'analytics', identity: alice, trustedSigners: [writer.publicKey],
 * })
 * const stream = await reader.next()
 * for await (const batch of stream!) console.log(batch.numRows) // 2
 * await nc.close()
 * ```
 * @module
 */
export { BrokerError } from '../errors.js'
export { pipelineSubjects } from './envelope.js'
export { type NatsPublishOptions, type PublishedStream, publishSealed } from './publish.js'
export { type NatsReaderOptions, NatsStreamReader } from './reader.js'
export { SealedNatsStream } from './sealed-stream.js'
export { type NatsUrl, parseNatsUrl } from './url.js'
