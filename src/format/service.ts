/**
 * The header's service section (format.md §Service recipients): which roles a key-access gateway serves, where,
 * for which dataset, and the stream's frame key. Bytes and structure only; the header signature, which covers
 * the section, is checked by whoever uses it. Writers and readers share the text checks, so a writer can never
 * produce a section that a reader refuses.
 * @module
 */
import { FormatError } from '../errors.js'
import { type ByteReader, ByteWriter } from './bytes.js'
import { FRAME_KEY_BYTES, GROUP_KIND_SEALED, SERVICE_LIMITS } from './constants.js'

/**
 * One role as a service entry lists it: its name and the sealed groups it may read, ascending.
 *
 * @example
 * ```ts
 * const role: ServiceRole = { name: 'analysts', groups: [1, 2] }
 * ```
 */
export interface ServiceRole {
  readonly name: string
  readonly groups: readonly number[]
}

/**
 * One service (gateway) recipient: the stanza wrapped to its key, its URL, the dataset, and its roles.
 *
 * @example
 * ```ts
 * const entry: ServiceEntry = { stanzaIndex: 1, url: 'https://kas.example', dataset: 'sales', roles: [role] }
 * ```
 */
export interface ServiceEntry {
  /** Index of the gateway's stanza in the header. */
  readonly stanzaIndex: number
  readonly url: string
  readonly dataset: string
  /** Strictly ascending by name; the union of their groups is exactly the stanza's groups. */
  readonly roles: readonly ServiceRole[]
}

/**
 * The whole section: the stream's frame key (Ed25519 public key) and the service entries.
 *
 * @example
 * ```ts
 * const section: ServiceSection = { frameKey, services: [entry] }
 * ```
 */
export interface ServiceSection {
  readonly frameKey: Uint8Array
  readonly services: readonly ServiceEntry[]
}

/** The policy's role grammar (src/policy/policy.ts), which the audit log's role fields use too. */
const ROLE_RE = /^[A-Za-z0-9_.:-]{1,128}$/
// C0 controls, DEL and C1 controls: never in a URL or dataset a gateway logs, shows or matches on.
// biome-ignore lint/suspicious/noControlCharactersInRegex: that is the point of this pattern
const CONTROL_RE = /[\u0000-\u001f\u007f-\u009f]/
const utf8 = new TextEncoder()
const strictUtf8 = new TextDecoder('utf-8', { fatal: true })

/**
 * Why `url` cannot name a service, or null when it can: 1 … 2,048 bytes of UTF-8, no control character or space,
 * an absolute `http:` or `https:` URL, with no user name or password (the header is readable by everyone).
 *
 * @example
 * ```ts
 * serviceUrlProblem('https://kas.example') // null
 * serviceUrlProblem('ftp://kas.example') // 'must be an http: or https: URL'
 * ```
 */
export function serviceUrlProblem(url: string): string | null {
  const bytes = utf8.encode(url).length
  if (bytes < 1 || bytes > SERVICE_LIMITS.maxUrlBytes) return `must be 1 to ${SERVICE_LIMITS.maxUrlBytes} bytes`
  if (CONTROL_RE.test(url) || /\s/.test(url)) return 'must not contain spaces or control characters'
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return 'is not an absolute URL'
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return 'must be an http: or https: URL'
  if (parsed.username !== '' || parsed.password !== '') return 'must not carry a user name or password'
  return null
}

/**
 * Why `dataset` cannot name a dataset, or null when it can: 0 … 256 bytes of UTF-8 without control characters.
 *
 * @example
 * ```ts
 * datasetProblem('sales/eu') // null
 * ```
 */
export function datasetProblem(dataset: string): string | null {
  if (utf8.encode(dataset).length > SERVICE_LIMITS.maxDatasetBytes)
    return `must be at most ${SERVICE_LIMITS.maxDatasetBytes} bytes`
  if (CONTROL_RE.test(dataset)) return 'must not contain control characters'
  if (/\p{Cs}/u.test(dataset)) return 'must be valid Unicode'
  return null
}

/**
 * Bytes the section takes.
 *
 * @example
 * ```ts
 * const n = serviceSectionSize(section)
 * ```
 */
export function serviceSectionSize(section: ServiceSection): number {
  let n = FRAME_KEY_BYTES + 2
  for (const s of section.services) {
    n += 2 + 2 + utf8.encode(s.url).length + 2 + utf8.encode(s.dataset).length + 2
    for (const r of s.roles) n += 1 + r.name.length + 2 + 2 * r.groups.length
  }
  return n
}

/**
 * Writes the section (the writer has checked every bound).
 *
 * @example
 * ```ts
 * writeServiceSection(writer, section)
 * ```
 */
export function writeServiceSection(w: ByteWriter, section: ServiceSection): void {
  w.put(section.frameKey).u16(section.services.length)
  for (const s of section.services) {
    const url = utf8.encode(s.url)
    const dataset = utf8.encode(s.dataset)
    w.u16(s.stanzaIndex).u16(url.length).put(url).u16(dataset.length).put(dataset).u16(s.roles.length)
    for (const r of s.roles) {
      w.u8(r.name.length).put(utf8.encode(r.name)).u16(r.groups.length)
      for (const g of r.groups) w.u16(g)
    }
  }
}

/**
 * Encodes the section alone (tests and tools).
 *
 * @example
 * ```ts
 * const bytes = encodeServiceSection(section)
 * ```
 */
export function encodeServiceSection(section: ServiceSection): Uint8Array {
  const w = new ByteWriter(serviceSectionSize(section))
  writeServiceSection(w, section)
  return w.done()
}

function readText(r: ByteReader, length: number, field: string): string {
  const bytes = r.bytes(length, field)
  try {
    return strictUtf8.decode(bytes)
  } catch {
    throw new FormatError('FORMAT_INVALID', `service section: ${field} is not valid UTF-8`)
  }
}

/**
 * Reads the section at the reader's position. Every count and length is bounded before anything is read for
 * it; stanza indexes must name distinct stanzas, roles must be ascending and follow the role grammar, and group
 * ids must be ascending sealed groups of this header.
 *
 * @param groups - the header's groups (their kinds), already parsed.
 * @param stanzaCount - the header's number of stanzas.
 * @example
 * ```ts
 * const section = readServiceSection(reader, header.groups, header.stanzas.length)
 * ```
 */
export function readServiceSection(
  r: ByteReader,
  groups: readonly { readonly kind: number }[],
  stanzaCount: number,
): ServiceSection {
  const frameKey = r.bytes(FRAME_KEY_BYTES, 'frame key')
  const count = r.u16('service count')
  if (count === 0) throw new FormatError('FORMAT_INVALID', 'service section: a service section needs a service')
  if (count > SERVICE_LIMITS.maxServices)
    throw new FormatError('LIMIT_EXCEEDED', `${count} services exceed the limit of ${SERVICE_LIMITS.maxServices}`)
  const services: ServiceEntry[] = []
  const stanzasSeen = new Set<number>()
  for (let i = 0; i < count; i++) {
    const stanzaIndex = r.u16('service stanza index')
    if (stanzaIndex >= stanzaCount)
      throw new FormatError('FORMAT_INVALID', `service ${i} names stanza ${stanzaIndex}, which does not exist`)
    if (stanzasSeen.has(stanzaIndex))
      throw new FormatError('FORMAT_INVALID', `service ${i} names stanza ${stanzaIndex}, as an earlier service does`)
    stanzasSeen.add(stanzaIndex)
    const urlLength = r.u16('service URL length')
    if (urlLength < 1 || urlLength > SERVICE_LIMITS.maxUrlBytes)
      throw new FormatError('LIMIT_EXCEEDED', `service ${i}: a URL of ${urlLength} bytes is outside 1 … 2,048`)
    const url = readText(r, urlLength, 'service URL')
    const urlWhy = serviceUrlProblem(url)
    if (urlWhy) throw new FormatError('FORMAT_INVALID', `service ${i}: the URL ${urlWhy}`)
    const datasetLength = r.u16('dataset length')
    if (datasetLength > SERVICE_LIMITS.maxDatasetBytes)
      throw new FormatError('LIMIT_EXCEEDED', `service ${i}: a dataset of ${datasetLength} bytes exceeds 256`)
    const dataset = readText(r, datasetLength, 'dataset')
    const datasetWhy = datasetProblem(dataset)
    if (datasetWhy) throw new FormatError('FORMAT_INVALID', `service ${i}: the dataset ${datasetWhy}`)
    const roleCount = r.u16('role count')
    if (roleCount === 0) throw new FormatError('FORMAT_INVALID', `service ${i} lists no roles`)
    if (roleCount > SERVICE_LIMITS.maxRolesPerService)
      throw new FormatError('LIMIT_EXCEEDED', `service ${i}: ${roleCount} roles exceed the limit of 1,024`)
    const roles: ServiceRole[] = []
    let lastRole = ''
    for (let j = 0; j < roleCount; j++) {
      const nameLength = r.u8('role name length')
      const name = readText(r, nameLength, 'role name')
      if (!ROLE_RE.test(name)) throw new FormatError('FORMAT_INVALID', `service ${i}: role ${j} is not a role name`)
      // Strictly ascending (the grammar is ASCII, so code-unit order is byte order): one encoding per section.
      if (j > 0 && name <= lastRole)
        throw new FormatError('FORMAT_INVALID', `service ${i}: roles must be strictly ascending`)
      lastRole = name
      const groupCount = r.u16('role group count')
      if (groupCount > groups.length)
        throw new FormatError('FORMAT_INVALID', `service ${i}: role ${name} lists more groups than the header has`)
      const ids: number[] = []
      for (let k = 0; k < groupCount; k++) {
        const g = r.u16('role group id')
        if (g >= groups.length || groups[g]!.kind !== GROUP_KIND_SEALED || (k > 0 && g <= ids[k - 1]!))
          throw new FormatError(
            'FORMAT_INVALID',
            `service ${i}: role ${name} must list sealed groups of this stream, ascending`,
          )
        ids.push(g)
      }
      roles.push(Object.freeze({ name, groups: Object.freeze(ids) }))
    }
    services.push(Object.freeze({ stanzaIndex, url, dataset, roles: Object.freeze(roles) }))
  }
  return Object.freeze({ frameKey, services: Object.freeze(services) })
}

/**
 * The sealed groups of `roles` in a service entry (their union), ascending.
 *
 * @example
 * ```ts
 * groupsOfRoles(entry, ['analysts']) // [1, 2]
 * ```
 */
export function groupsOfRoles(entry: ServiceEntry, roles: readonly string[]): number[] {
  const out = new Set<number>()
  for (const r of entry.roles) if (roles.includes(r.name)) for (const g of r.groups) out.add(g)
  return [...out].sort((a, b) => a - b)
}
