/**
 * Fetching a log over a gateway's HTTP endpoints for `audit verify --url`, and the RFC 9162 root of a list of
 * leaf hashes (the auditor recomputes it rather than trusting the gateway's tree).
 * @module
 */
import { emptyRoot, nodeHash } from '../../audit/merkle.js'
import { AuditError } from '../../errors.js'

async function get(url: string): Promise<Response> {
  let res: Response
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(30_000) })
  } catch (err) {
    throw new AuditError('PROOF_INVALID', `cannot fetch ${url}`, { cause: err })
  }
  if (res.status !== 200) throw new AuditError('PROOF_INVALID', `${url} answered HTTP ${res.status}`)
  return res
}

/** GET a text body (at most 1 MiB). */
export async function fetchText(url: string): Promise<string> {
  const text = await (await get(url)).text()
  if (text.length > 1024 * 1024) throw new AuditError('PROOF_INVALID', `${url} answered too much`)
  return text
}

/** GET a JSON object. */
export async function fetchJson(url: string): Promise<Record<string, unknown>> {
  const text = await fetchText(url)
  try {
    const v = JSON.parse(text) as unknown
    if (v === null || typeof v !== 'object') throw new TypeError()
    return v as Record<string, unknown>
  } catch {
    throw new AuditError('PROOF_INVALID', `${url} did not answer JSON`)
  }
}

/** MTH(D[0:n]) of RFC 9162 §2.1.1 over leaf hashes, computed level by level. */
export function rootOfLeaves(leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return emptyRoot()
  const split = (from: number, to: number): Uint8Array => {
    const n = to - from
    if (n === 1) return leaves[from]!
    let k = 1
    while (k * 2 < n) k *= 2
    return nodeHash(split(from, from + k), split(from + k, to))
  }
  return split(0, leaves.length)
}
