/**
 * Plain-text rendering of the `inspect` result, one fact a line.
 * @module
 */

type Facts = import('../index.js').InspectResult
type Field = Facts['publicFields'][number]

const fieldText = (f: Field) =>
  f.tokenDataset === undefined
    ? `${f.name} ${f.type}${f.nullable ? '' : ' not null'}`
    : `${f.name} (tokens only, dataset ${JSON.stringify(f.tokenDataset)})`

/**
 * The human-readable `inspect` report: one fact a line, key ids instead of full fingerprints.
 * `names` labels known key ids (the demo uses it to show which role is which).
 *
 * @example
 * ```ts
 * process.stdout.write(renderInspect(inspect(bytes)))
 * ```
 */
export function renderInspect(r: Facts, indent = '', names: Record<string, string> = {}): string {
  const label = (keyId: string | null) =>
    keyId === null ? 'anonymous' : names[keyId] ? `${keyId} (${names[keyId]})` : keyId
  const lines: [string, string][] = [
    ['format', `${r.format} v${r.version} — not verified: inspect reads structure only`],
    ['suite', r.suite.name],
    ['stream id', r.streamId],
    ['signer', label(r.signer.keyId)],
    // Oldest first: a reader must trust the writer and every rewrapper listed here.
    ...(r.rewraps ?? []).map((w, i): [string, string] => [
      `rewrap ${i + 1}`,
      `by ${label(w.signer.keyId)}${w.session ? ` (session ${w.session.keyId})` : ''}: kept ${w.kept} ` +
        `recipient${w.kept === 1 ? '' : 's'}, added ${w.added}` +
        (w.frameKeyId ? `; frame key ${w.frameKeyId} (signs every frame)` : ''),
    ]),
    ...(r.session
      ? ([['session', `${r.session.keyId}, valid ${r.session.notBefore} to ${r.session.notAfter}`]] as [
          string,
          string,
        ][])
      : []),
    [
      'recipients',
      r.anonymousRecipients
        ? `${r.recipients.length}, anonymous (the header names no recipient key)`
        : `${r.recipients.length}: ${r.recipients.map((x) => label(x.keyId)).join(', ')}`,
    ],
    ...(r.services ?? []).map((s): [string, string] => [
      'service',
      `${s.roles.map((x) => `${x.name} (groups ${x.groups.join(', ') || 'none'})`).join(', ')} through ${s.url}, ` +
        `dataset ${JSON.stringify(s.dataset)}, key ${label(s.recipient.keyId)}` +
        (s.layer ? ` (added by rewrap ${s.layer})` : ''),
    ]),
    ...(r.frameKeyId ? ([['frame key', `${r.frameKeyId} (signs every frame)`]] as [string, string][]) : []),
    ['public', r.publicFields.length === 0 ? '(none)' : r.publicFields.map(fieldText).join(', ')],
  ]
  for (const g of r.groups) {
    const what =
      g.kind === 'public'
        ? 'public'
        : g.fields
          ? `sealed: ${g.fields.map(fieldText).join(', ')}`
          : `sealed, fields hidden (${g.schemaBytes} B schema)`
    lines.push([`group ${g.id}`, what])
  }
  lines.push(['header', `${r.headerBytes.toLocaleString('en-US')} bytes`])
  if (r.frames) {
    const f = r.frames
    lines.push([
      'frames',
      `${f.batches} batches, ${f.rows.toLocaleString('en-US')} rows, ${f.bytes.toLocaleString('en-US')} bytes, ` +
        (f.ended ? 'end marker present' : 'NO end marker (truncated?)'),
    ])
  }
  const width = Math.max(...lines.map(([k]) => k.length))
  return lines.map(([k, v]) => `${indent}${k.padEnd(width)}  ${v}\n`).join('')
}
