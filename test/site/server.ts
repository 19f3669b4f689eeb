/**
 * A tiny static file server for the built docs site, bound to 127.0.0.1 on a free port.
 * It serves only files under `root`, answers 404 for anything else, and never lists directories.
 */
import { createReadStream, existsSync, statSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { extname, join, normalize, resolve, sep } from 'node:path'

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.xml': 'application/xml',
}

/** Maps a URL path to a file the way a static host serving a VitePress build does (`/a/` → `/a/index.html`). */
export function resolveFile(siteRoot: string, urlPath: string): string | null {
  const root = resolve(siteRoot)
  let path: string
  try {
    path = decodeURIComponent(urlPath.split('?')[0]?.split('#')[0] ?? '/')
  } catch {
    return null
  }
  if (path.endsWith('/')) path += 'index.html'
  const file = normalize(join(root, path))
  if (file !== root && !file.startsWith(root + sep)) return null
  if (existsSync(file) && statSync(file).isFile()) return file
  if (!extname(file) && existsSync(`${file}.html`)) return `${file}.html`
  return null
}

/** Starts the server and resolves with its origin, e.g. `http://127.0.0.1:40123`. */
export async function serve(root: string): Promise<{ origin: string; server: Server }> {
  const server = createServer((req, res) => {
    const file = resolveFile(root, req.url ?? '/')
    if (!file) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found')
      return
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' })
    createReadStream(file).pipe(res)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return { origin: `http://127.0.0.1:${port}`, server }
}
