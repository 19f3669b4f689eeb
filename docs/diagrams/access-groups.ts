/**
 * Picture 1 (docs/concepts/access-groups.md): how fields become access groups, which group keys exist and which
 * recipient stanza carries which key. Drawn from the policy of that page's first example, grouped by the same rule
 * the sealer applies (fields with the same set of roles share a group; 'public' is group 0; 'drop' is not written).
 */
import { arrow, box, curve, type Diagram, label, textWidth, wrap } from './svg.js'

type Rule = 'public' | 'drop' | readonly string[]

/** The policy and recipients of the access-groups page's first example. */
export const EXAMPLE = {
  fields: {
    id: 'public',
    amount: ['analysts', 'auditors'],
    region: ['auditors', 'analysts'],
    email: ['auditors'],
    internal_note: 'drop',
  } satisfies Record<string, Rule>,
  recipients: { analysts: ['analyst'], auditors: ['auditor'] } as Record<string, string[]>,
}

interface Group {
  id: number
  fields: string[]
  roles: string[] | null
}

/** Groups the fields as the sealer does: public first, then one group per distinct role set, in field order. */
export function groupFields(fields: Record<string, Rule>): { groups: Group[]; dropped: string[] } {
  const groups: Group[] = []
  const dropped: string[] = []
  const pub = Object.entries(fields).filter(([, r]) => r === 'public')
  if (pub.length) groups.push({ id: 0, fields: pub.map(([f]) => f), roles: null })
  const byRoles = new Map<string, Group>()
  for (const [field, rule] of Object.entries(fields)) {
    if (rule === 'public') continue
    if (rule === 'drop') {
      dropped.push(field)
      continue
    }
    const roles = [...new Set(rule)].sort()
    const key = roles.join('\u0000')
    let g = byRoles.get(key)
    if (!g) {
      g = { id: groups.length, fields: [], roles }
      byRoles.set(key, g)
      groups.push(g)
    }
    g.fields.push(field)
  }
  return { groups, dropped }
}

export function accessGroupsDiagram(example = EXAMPLE): Diagram {
  const { groups, dropped } = groupFields(example.fields)
  const recipients = [...new Set(Object.values(example.recipients).flat())]
  const keysOf = (who: string) =>
    groups.filter((g) => g.roles?.some((role) => example.recipients[role]?.includes(who))).map((g) => g.id)

  const fieldRule = (f: string) => {
    const r = example.fields[f as keyof typeof example.fields] as Rule
    return typeof r === 'string' ? r : r.join(', ')
  }
  const fieldLines = Object.keys(example.fields).map((f) => [f, fieldRule(f)])
  const groupLines = groups.map((g) => [
    g.roles ? `group ${g.id}: sealed` : `group ${g.id}: public`,
    `{${g.fields.join(', ')}}`,
  ])
  const keyLines = groups.map((g) =>
    g.roles ? [`group key ${g.id}`, 'random 32 B, this stream only'] : ['no key', 'signed + MACed, not encrypted'],
  )
  const stanzaLines = recipients.map((r) => [`stanza for ${r}`, `X-Wing → keys of group ${keysOf(r).join(', ')}`])

  const colW = (rows: string[][]) => Math.max(...rows.flat().map((t) => textWidth(t))) + 24
  const widths = [colW(fieldLines), colW(groupLines), colW(keyLines), colW(stanzaLines)]
  const gap = 56
  const xs: number[] = []
  for (let i = 0; i < widths.length; i++) xs.push(i ? xs[i - 1]! + widths[i - 1]! + gap : 16)
  const h = 44
  const pitch = 58
  const top = 40
  const heads = ['Fields and their rules', 'Access groups', 'Group keys', 'Recipient stanzas']
  let body = heads.map((t, i) => label(xs[i]!, 16, t)).join('')

  const fieldY = new Map<string, number>()
  Object.keys(example.fields).forEach((f, i) => {
    const y = top + i * pitch
    fieldY.set(f, y + h / 2)
    body += box(xs[0]!, y, widths[0]!, h, fieldLines[i]!, dropped.includes(f) ? 'dropped' : 'field')
  })
  const groupY = new Map<number, number>()
  groups.forEach((g, i) => {
    const y = top + i * pitch
    groupY.set(g.id, y + h / 2)
    body += box(xs[1]!, y, widths[1]!, h, groupLines[i]!, g.roles ? 'sealed' : 'public')
    body += box(xs[2]!, y, widths[2]!, h, keyLines[i]!, g.roles ? 'key' : 'public')
    body += arrow(curve(xs[1]! + widths[1]!, y + h / 2, xs[2]! - 2, y + h / 2))
    for (const f of g.fields) body += arrow(curve(xs[0]! + widths[0]!, fieldY.get(f)!, xs[1]! - 2, y + h / 2))
  })
  const dropY = top + groups.length * pitch + h / 2
  for (const f of dropped) {
    body += arrow(curve(xs[0]! + widths[0]!, fieldY.get(f)!, xs[1]! - 2, dropY), 'edge-dropped')
    body += label(xs[1]!, dropY, 'dropped: not written at all')
  }
  recipients.forEach((r, i) => {
    const y = top + (i + 1) * pitch
    body += box(xs[3]!, y, widths[3]!, h, stanzaLines[i]!, 'stanza')
    for (const id of keysOf(r)) body += arrow(curve(xs[2]! + widths[2]!, groupY.get(id)!, xs[3]! - 2, y + h / 2))
  })

  const width = xs[3]! + widths[3]! + 16
  const height = top + Object.keys(example.fields).length * pitch
  const alt =
    `Fields become access groups: ${groups.map((g) => `group ${g.id} (${g.roles ? 'sealed' : 'public'}) holds ${g.fields.join(' and ')}`).join('; ')}; ${dropped.join(', ')} is dropped. ` +
    `Each sealed group has its own random group key for this stream; the public group has none. ` +
    `${recipients.map((r, i) => `${i ? 'the' : 'The'} ${r}'s stanza carries the key${keysOf(r).length > 1 ? 's' : ''} of group ${keysOf(r).join(' and ')}`).join('; ')}.`
  return wrap('access-groups', 'Fields, access groups, group keys and recipient stanzas', alt, width, height, body)
}
