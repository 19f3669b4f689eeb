/**
 * The browser example's logic, free of the DOM so it can be tested anywhere: open a sealed file with WebCrypto
 * and render what the reader may see as an HTML table (every value escaped: sealed data is untrusted input
 * until opened, and its *content* stays untrusted after).
 */
import type { Table } from 'apache-arrow'
import { importIdentity, openTable, webCryptoBackend } from 'arrowseal'

/** Opens `bytes` as the identity in `secretText`, accepting only `trustedWriter`. Uses the WebCrypto backend. */
export async function openSealed(bytes: Uint8Array, secretText: string, trustedWriter: string): Promise<Table> {
  const identity = await importIdentity(secretText.trim())
  return openTable(bytes, { identity, trustedSigners: [trustedWriter.trim()], backend: webCryptoBackend() })
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }
/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!)
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return ''
  if (typeof value === 'bigint') return value.toString()
  if (value instanceof Uint8Array) return `${value.length} bytes`
  if (typeof value === 'object') return JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))
  return String(value)
}

/** The first `limit` rows of `table` as an HTML table. */
export function renderTable(table: Table, limit = 50): string {
  const names = table.schema.fields.map((f) => f.name)
  const head = `<tr>${names.map((n) => `<th>${escapeHtml(n)}</th>`).join('')}</tr>`
  const body: string[] = []
  for (let r = 0; r < Math.min(limit, table.numRows); r++) {
    const cells = names.map((_, i) => `<td>${escapeHtml(cell(table.getChildAt(i)?.get(r)))}</td>`)
    body.push(`<tr>${cells.join('')}</tr>`)
  }
  return `<table><thead>${head}</thead><tbody>${body.join('')}</tbody></table>`
}
