/**
 * Wires the page: read the chosen file, open it with the pasted identity (WebCrypto, in this tab only: nothing
 * is uploaded), show the readable columns, or the error code if the file is refused.
 */
import { ArrowSealError } from 'arrowseal'
import { openSealed, renderTable } from './open-sealed.js'

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T

$<HTMLFormElement>('open-form').addEventListener('submit', async (event) => {
  event.preventDefault()
  const status = $('status')
  const output = $('output')
  output.innerHTML = ''
  const file = $<HTMLInputElement>('file').files?.[0]
  if (!file) {
    status.textContent = 'Choose a sealed file first.'
    return
  }
  status.textContent = 'Opening…'
  try {
    const bytes = new Uint8Array(await file.arrayBuffer())
    const secret = $<HTMLTextAreaElement>('identity').value
    const writer = $<HTMLInputElement>('writer').value
    const table = await openSealed(bytes, secret, writer)
    status.textContent = `${table.numRows} rows; you may read: ${table.schema.fields.map((f) => f.name).join(', ')}`
    output.innerHTML = renderTable(table)
  } catch (err) {
    // Error messages never carry key material or plaintext, so they are safe to show.
    status.textContent =
      err instanceof ArrowSealError ? `Refused: ${err.code} — ${err.message}` : `Error: ${String(err)}`
  } finally {
    $<HTMLTextAreaElement>('identity').value = '' // do not keep the secret on screen
  }
})
