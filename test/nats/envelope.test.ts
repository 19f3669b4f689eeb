// The NATS envelope and locations, without a server: every header is parsed strictly (a malformed or lying
// envelope is BROKER_MISMATCH, never a crash), and bad arguments are TypeErrors naming what is wrong.
import { headers } from '@nats-io/nats-core'
import { describe, expect, it } from 'vitest'
import { BrokerError } from '../../src/errors.js'
import { checkRoute, envelopeHeaders, pipelineSubjects, readEnvelope, readRoute } from '../../src/nats/envelope.js'
import { parseNatsUrl } from '../../src/nats/url.js'

const id = '00112233445566778899aabbccddeeff'
const s = pipelineSubjects('orders.eu')

describe('pipeline subjects and locations', () => {
  it('lays a pipeline out under its subject', () => {
    expect(s).toMatchObject({ stream: 'ASEAL_orders_eu', headers: 'orders.eu.h.*', framesAll: 'orders.eu.f.*' })
    expect(s.header(id)).toBe(`orders.eu.h.${id}`)
  })
  it('refuses wildcards, empty tokens and non-strings as subjects', () => {
    for (const bad of ['', 'a.*', 'a.>', 'a..b', 'a b', 7, null, 'x'.repeat(201)])
      expect(() => pipelineSubjects(bad as string)).toThrow(TypeError)
  })
  it('parses nats:// locations and refuses credentials and other schemes', () => {
    expect(parseNatsUrl('nats://127.0.0.1:4222/sensors')).toEqual({ servers: '127.0.0.1:4222', subject: 'sensors' })
    expect(parseNatsUrl('nats://broker/a.b')).toEqual({ servers: 'broker:4222', subject: 'a.b' })
    for (const bad of ['http://h/x', 'nats://u:p@h/x', 'nats://h/', 'nats://h/a.*', 'not a url'])
      expect(() => parseNatsUrl(bad)).toThrow(TypeError)
  })
  it('refuses routing keys and values that are not header-safe', () => {
    expect(() => checkRoute({ 'a b': 'x' })).toThrow(TypeError)
    expect(() => checkRoute({ a: 'line\nbreak' })).toThrow(TypeError)
    expect(() => checkRoute({ a: 'x'.repeat(257) })).toThrow(TypeError)
    expect(() => checkRoute({ tenant: 'acme-1' })).not.toThrow()
  })
})

describe('reading an envelope', () => {
  it('reads what the publisher writes', () => {
    const h = envelopeHeaders(id, 'batch', 7, { index: 1, count: 3 })
    expect(readEnvelope(s.frames(id), h, s)).toEqual({ stream: id, kind: 'batch', slot: 7, part: 1, parts: 3 })
    expect(h.get('Nats-Msg-Id')).toBe(`${id}.7.1`)
    const r = envelopeHeaders(id, 'header', undefined, undefined, { tenant: 'acme' })
    expect(readRoute(r)).toEqual({ tenant: 'acme' })
  })
  it('refuses every malformed or inconsistent envelope with BROKER_MISMATCH', () => {
    const cases: [string, ReturnType<typeof headers> | undefined][] = []
    const make = (f: Record<string, string>) => {
      const h = headers()
      for (const [k, v] of Object.entries(f)) h.set(k, v)
      return h
    }
    const ok = { 'Arrowseal-Stream': id, 'Arrowseal-Kind': 'batch', 'Arrowseal-Index': '0', 'Arrowseal-Part': '0/1' }
    cases.push([s.frames(id), undefined])
    cases.push([s.frames(id), make({ ...ok, 'Arrowseal-Stream': id.toUpperCase() })])
    cases.push([s.frames(id), make({ ...ok, 'Arrowseal-Kind': 'evil' })])
    cases.push([s.frames(id), make({ ...ok, 'Arrowseal-Index': '01' })])
    cases.push([s.frames(id), make({ ...ok, 'Arrowseal-Index': '-1' })])
    cases.push([s.frames(id), make({ ...ok, 'Arrowseal-Index': '99999999999999999' })])
    cases.push([s.frames(id), make({ ...ok, 'Arrowseal-Part': '1/1' })])
    cases.push([s.frames(id), make({ ...ok, 'Arrowseal-Part': '0/0' })])
    cases.push([s.frames(id), make({ ...ok, 'Arrowseal-Part': '0/999999' })])
    cases.push([s.frames(id.replace('0', '1')), make(ok)]) // the subject names another stream
    cases.push([s.header(id), make(ok)]) // a frame on the header subject
    for (const [subject, h] of cases) {
      let err: unknown
      try {
        readEnvelope(subject, h, s)
      } catch (e) {
        err = e
      }
      expect(err, `${subject} ${JSON.stringify(h ? [...h.keys()].map((k) => h.get(k)) : h)}`).toBeInstanceOf(
        BrokerError,
      )
      expect((err as BrokerError).code).toBe('BROKER_MISMATCH')
    }
  })
  it('refuses a malformed routing header', () => {
    const h = headers()
    h.set('Arrowseal-Route-x', 'ok')
    h.set('Arrowseal-Route-long', 'v'.repeat(300))
    expect(() => readRoute(h)).toThrow(BrokerError)
  })
})
