/**
 * HTTP transfer: a Node server streams sealed record batches; a client reads them with `fetch` and `OpenStream`.
 *
 * The server holds the writer's identity and the readers' *public* keys only: it can seal, but it can neither read
 * what it sends after sealing nor impersonate a reader. Batches are sealed as they are produced and opened as they
 * arrive; the client gets each batch only after it has been authenticated, and a stream cut short fails.
 *
 * Run: npm run build && npx tsx examples/http-transfer.ts
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { pathToFileURL } from 'node:url'
import { Float64, Int32, type RecordBatch, Table, Utf8, vectorFromArray } from 'apache-arrow'
import { generateIdentity, type Identity, OpenStream, type Policy, SealStream } from 'arrowseal'

/** What the server is given: a signer, and for each role the readers' public keys. No reader secrets. */
export interface ServerConfig {
  readonly signer: Identity
  readonly recipients: Record<string, string[]>
  readonly policy: Policy
  readonly batches: () => Iterable<RecordBatch>
}

/** Starts the server on 127.0.0.1 with an ephemeral port; GET /transactions streams a sealed table. */
export async function startServer(config: ServerConfig): Promise<{ url: string; server: Server }> {
  const server = createServer(async (req, res) => {
    if (req.url !== '/transactions') {
      res.writeHead(404).end()
      return
    }
    const source = config.batches()[Symbol.iterator]()
    const batches = new ReadableStream<RecordBatch>({
      pull(controller) {
        const next = source.next()
        if (next.done) controller.close()
        else controller.enqueue(next.value)
      },
    })
    const sealed = batches.pipeThrough(
      new SealStream({ signer: config.signer, recipients: config.recipients, policy: config.policy }),
    )
    res.writeHead(200, { 'content-type': 'application/vnd.arrowseal' })
    try {
      for await (const chunk of sealed as unknown as AsyncIterable<Uint8Array>) res.write(chunk)
      res.end()
    } catch (err) {
      // Abort the response so the client sees a failed stream, never a short valid one.
      console.error('sealing failed:', err instanceof Error ? err.message : err)
      res.destroy()
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}/transactions`, server }
}

/** The client: fetch, open as it streams in, and collect the authenticated batches. */
export async function fetchTable(url: string, identity: Identity, trustedWriter: string): Promise<Table> {
  const res = await fetch(url)
  if (!res.ok || !res.body) throw new Error(`GET ${url}: HTTP ${res.status}`)
  const batches: RecordBatch[] = []
  const opened = res.body.pipeThrough(new OpenStream({ identity, trustedSigners: [trustedWriter] }))
  for await (const batch of opened as unknown as AsyncIterable<RecordBatch>) batches.push(batch)
  return new Table(batches)
}

/** Sample batches: three batches of orders, all with one schema (a stream's schema cannot change). */
export function* orderBatches(): Generator<RecordBatch> {
  for (let b = 0; b < 3; b++) {
    const ids = Array.from({ length: 100 }, (_, i) => b * 100 + i + 1)
    const table = new Table({
      id: vectorFromArray(ids, new Int32()),
      customer: vectorFromArray(
        ids.map((id) => `customer-${id}`),
        new Utf8(),
      ),
      amount: vectorFromArray(
        ids.map((id) => (id * 7919) % 1000),
        new Float64(),
      ),
    })
    yield* table.batches
  }
}

/** The whole example: writer and reader keys, a server, a client for each reader. */
export async function main(log: (line: string) => void = console.log): Promise<Record<string, Table>> {
  const writer = await generateIdentity()
  const analyst = await generateIdentity()
  const support = await generateIdentity()
  const { url, server } = await startServer({
    signer: writer,
    recipients: { analyst: [analyst.publicKey], support: [support.publicKey] },
    policy: { fields: { id: 'public', amount: ['analyst'], customer: ['support'] } },
    batches: orderBatches,
  })
  try {
    log(`server: ${url} (holds the writer key and readers' public keys only)`)
    const seen: Record<string, Table> = {}
    for (const [role, identity] of [
      ['analyst', analyst],
      ['support', support],
    ] as const) {
      const table = await fetchTable(url, identity, writer.publicKey)
      seen[role] = table
      log(`${role}: ${table.numRows} rows, columns ${table.schema.fields.map((f) => f.name).join(', ')}`)
    }
    return seen
  } finally {
    server.close()
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main()
