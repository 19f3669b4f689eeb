/**
 * Anomaly detection over the gateway's decision stream: a few simple detectors, each of which an operator can
 * explain from its alert alone (every {@link KasAlert} carries the value, the threshold and a sentence).
 *
 * - **denial-burst**: `count` denials for one principal within `windowSeconds` (credential stuffing, a revoked
 *   reader retrying, probing for roles). Throttled requests (reason {@link THROTTLED_REASON}) are not counted here;
 *   they raise **throttled** instead, once per window.
 * - **fan-out**: a principal touching more distinct streams, or more distinct roles, in one window than
 *   `factor` × its own baseline (an EWMA of its past windows), and never fewer than `minDistinct` (bulk exfiltration
 *   through one account).
 * - **rate**: a principal's request rate over the last minute above `factor` × its own baseline rate (an EWMA of its
 *   per-minute rates with half-life `halfLifeSeconds`), and never below `minRate` per second.
 *
 * Baselines learn from capped values (a window's count never enters above its threshold), so a principal cannot
 * teach the detector its new habit in one go. Each kind alerts once per window per principal (the rate detector once per episode: again only after the rate
 * fell back under its threshold), not on every request.
 * Time comes from the observations (a clock that steps back counts as no time passing), so the detectors are tested
 * on synthetic streams. Memory is bounded: `maxPrincipals` states, least recently seen forgotten first, each of
 * bounded size (at most `count` denial times and {@link ANOMALY_MAX_DISTINCT} distinct streams and roles).
 *
 * @module
 */
import { BoundedMap } from '../util/bounded-map.js'
import { orDefault } from './or-default.js'
import type { AnomalyConfig, AnomalyMonitor, DecisionObservation, KasAlert, PrincipalName } from './types.js'

/**
 * The monitor's defaults (see docs/guides/gateway.md for how to tune them).
 *
 * @example
 * ```ts
 * import { ANOMALY_DEFAULTS } from 'arrowseal/kas'
 * console.log(ANOMALY_DEFAULTS.denialBurst.count) // 10
 * ```
 */
export const ANOMALY_DEFAULTS = {
  denialBurst: { count: 10, windowSeconds: 60 },
  fanOut: { factor: 4, minDistinct: 20, windowSeconds: 3600 },
  rate: { factor: 10, halfLifeSeconds: 3600, minRate: 5 },
  suspendOn: [] as readonly KasAlert['kind'][],
  maxPrincipals: 10_000,
} as const

/**
 * The audit reason (the code without `KAS_`) of a request the throttle refused: raises `throttled`, not
 * `denial-burst`.
 *
 * @example
 * ```ts
 * import { THROTTLED_REASON } from 'arrowseal/kas'
 * console.log(THROTTLED_REASON) // 'RATE_LIMITED'
 * ```
 */
export const THROTTLED_REASON = 'RATE_LIMITED'
/** Distinct streams (and, separately, roles) remembered per principal and window; a threshold above never fires. */
export const ANOMALY_MAX_DISTINCT = 1024
/** The rate detector measures over a sliding minute. */
export const ANOMALY_RATE_WINDOW_SECONDS = 60
/** Weight of the newest window in the fan-out baseline (an EWMA over windows). */
export const ANOMALY_FAN_OUT_WEIGHT = 0.25

const KINDS: readonly KasAlert['kind'][] = ['denial-burst', 'fan-out', 'rate', 'throttled']

interface Distinct {
  readonly items: Set<string>
  baseline: number
}

interface State {
  last: number
  /** Times of the latest denials, oldest first, at most `count`. */
  readonly denials: number[]
  denialQuietUntil: number
  throttledStart: number
  throttledCount: number
  throttledAlerted: boolean
  fanStart: number
  readonly streams: Distinct
  readonly roles: Distinct
  fanAlerted: boolean
  rateStart: number
  rateCount: number
  ratePrevious: number
  rateBaseline: number
  /** An alert was raised and the rate has not yet fallen back under its threshold. */
  rateAlerting: boolean
}

/**
 * Creates the gateway's {@link AnomalyMonitor}. `observe` takes one decision and returns the alerts it raises (most
 * often none); the server writes each alert to the audit log and its metrics, and suspends the principal when
 * `alert.suspend` is set (kinds listed in `suspendOn`).
 *
 * @example
 * ```ts
 * import { createAnomalyMonitor } from 'arrowseal/kas'
 * const monitor = createAnomalyMonitor({ denialBurst: { count: 3, windowSeconds: 60 }, suspendOn: ['denial-burst'] })
 * const deny = (time: number) =>
 *   monitor.observe({ time, principal: 'key:ab', source: '10.0.0.1', roles: ['analysts'], decision: 'deny', reason: 'DENIED' })
 * deny(0)
 * deny(1000)
 * const [alert] = deny(2000)
 * console.log(alert?.kind, alert?.value, alert?.threshold, alert?.suspend) // 'denial-burst' 3 3 true
 * ```
 */
export function createAnomalyMonitor(config: AnomalyConfig = {}): AnomalyMonitor {
  for (const [v, name] of [
    [config, 'the configuration'],
    [config?.denialBurst, 'denialBurst'],
    [config?.fanOut, 'fanOut'],
    [config?.rate, 'rate'],
  ] as const) {
    if (v !== undefined && (typeof v !== 'object' || v === null || Array.isArray(v))) {
      throw new TypeError(`anomaly: ${name} must be an object`)
    }
  }
  if (config.suspendOn !== undefined && !Array.isArray(config.suspendOn)) {
    throw new TypeError('anomaly: suspendOn must be a list of alert kinds')
  }
  const burstCount = int(
    orDefault(config.denialBurst?.count, ANOMALY_DEFAULTS.denialBurst.count),
    'denialBurst.count',
    1,
    10_000,
  )
  const burstWindow = seconds(
    orDefault(config.denialBurst?.windowSeconds, ANOMALY_DEFAULTS.denialBurst.windowSeconds),
    'denialBurst.windowSeconds',
  )
  const fanFactor = factor(orDefault(config.fanOut?.factor, ANOMALY_DEFAULTS.fanOut.factor), 'fanOut.factor')
  const fanMin = int(
    orDefault(config.fanOut?.minDistinct, ANOMALY_DEFAULTS.fanOut.minDistinct),
    'fanOut.minDistinct',
    1,
    ANOMALY_MAX_DISTINCT - 1,
  )
  const fanWindow = seconds(
    orDefault(config.fanOut?.windowSeconds, ANOMALY_DEFAULTS.fanOut.windowSeconds),
    'fanOut.windowSeconds',
  )
  const rateFactor = factor(orDefault(config.rate?.factor, ANOMALY_DEFAULTS.rate.factor), 'rate.factor')
  const halfLife = seconds(
    orDefault(config.rate?.halfLifeSeconds, ANOMALY_DEFAULTS.rate.halfLifeSeconds),
    'rate.halfLifeSeconds',
  )
  const minRate = orDefault(config.rate?.minRate, ANOMALY_DEFAULTS.rate.minRate)
  if (!Number.isFinite(minRate) || minRate <= 0) throw new RangeError('anomaly: rate.minRate must be a positive number')
  const suspendOn = new Set<KasAlert['kind']>(
    orDefault<readonly KasAlert['kind'][]>(config.suspendOn, ANOMALY_DEFAULTS.suspendOn),
  )
  for (const k of suspendOn) if (!KINDS.includes(k)) throw new RangeError(`anomaly: suspendOn has an unknown kind ${k}`)
  const maxPrincipals = int(
    orDefault(config.maxPrincipals, ANOMALY_DEFAULTS.maxPrincipals),
    'maxPrincipals',
    1,
    10_000_000,
  )

  const burstMs = burstWindow * 1000
  const fanMs = fanWindow * 1000
  const rateMs = ANOMALY_RATE_WINDOW_SECONDS * 1000
  // Per-minute EWMA weight for the given half-life: after halfLife seconds, old minutes weigh half.
  const rateWeight = 1 - 2 ** (-ANOMALY_RATE_WINDOW_SECONDS / halfLife)
  const states = new BoundedMap<PrincipalName, State>(maxPrincipals)

  const fanThreshold = (d: Distinct) => Math.max(fanMin, fanFactor * d.baseline)
  const rateThreshold = (s: State) => Math.max(minRate, rateFactor * s.rateBaseline)

  function alert(
    kind: KasAlert['kind'],
    principal: PrincipalName,
    time: number,
    why: string,
    value: number,
    threshold: number,
  ): KasAlert {
    return { kind, principal, time, why, value, threshold, suspend: suspendOn.has(kind) }
  }

  function fresh(t: number): State {
    return {
      last: t,
      denials: [],
      denialQuietUntil: -Infinity,
      throttledStart: t,
      throttledCount: 0,
      throttledAlerted: false,
      fanStart: t,
      streams: { items: new Set(), baseline: 0 },
      roles: { items: new Set(), baseline: 0 },
      fanAlerted: false,
      rateStart: t,
      rateCount: 0,
      ratePrevious: 0,
      rateBaseline: 0,
      rateAlerting: false,
    }
  }

  /** Closes the fan-out windows that ended before `t`, folding their capped counts into the baselines. */
  function rollFanOut(s: State, t: number): void {
    if (t < s.fanStart + fanMs) return
    const k = Math.floor((t - s.fanStart) / fanMs)
    for (const d of [s.streams, s.roles]) {
      const counted = Math.min(d.items.size, fanThreshold(d))
      d.baseline = (1 - ANOMALY_FAN_OUT_WEIGHT) * d.baseline + ANOMALY_FAN_OUT_WEIGHT * counted
      // Windows with no activity at all count as zero.
      d.baseline *= (1 - ANOMALY_FAN_OUT_WEIGHT) ** (k - 1)
      d.items.clear()
    }
    s.fanStart += k * fanMs
    s.fanAlerted = false
  }

  function rollRate(s: State, t: number): void {
    if (t < s.rateStart + rateMs) return
    const k = Math.floor((t - s.rateStart) / rateMs)
    const minuteRate = Math.min(s.rateCount / ANOMALY_RATE_WINDOW_SECONDS, rateThreshold(s))
    s.rateBaseline = (1 - rateWeight) * s.rateBaseline + rateWeight * minuteRate
    s.rateBaseline *= (1 - rateWeight) ** (k - 1)
    s.ratePrevious = k === 1 ? s.rateCount : 0
    s.rateCount = 0
    s.rateStart += k * rateMs
  }

  return {
    observe(o: DecisionObservation): readonly KasAlert[] {
      checkObservation(o)
      let s = states.get(o.principal)
      if (s === undefined) {
        s = fresh(o.time)
        states.set(o.principal, s)
      }
      // Out-of-order observations (replicas, clock steps) count at the latest time seen.
      const t = Math.max(s.last, o.time)
      s.last = t
      const p = o.principal
      const out: KasAlert[] = []

      if (o.decision === 'deny' && o.reason === THROTTLED_REASON) {
        if (t >= s.throttledStart + burstMs) {
          s.throttledStart = t
          s.throttledCount = 0
          s.throttledAlerted = false
        }
        s.throttledCount++
        if (!s.throttledAlerted) {
          s.throttledAlerted = true
          out.push(alert('throttled', p, t, `${p} is being throttled: over its rate limit`, s.throttledCount, 1))
        }
      } else if (o.decision === 'deny') {
        s.denials.push(t)
        if (s.denials.length > burstCount) s.denials.shift()
        const inWindow = s.denials.filter((d) => d > t - burstMs).length
        if (inWindow >= burstCount && t >= s.denialQuietUntil) {
          s.denialQuietUntil = t + burstMs
          out.push(
            alert(
              'denial-burst',
              p,
              t,
              `${p} was denied ${inWindow} times within ${burstWindow} s (threshold ${burstCount})`,
              inWindow,
              burstCount,
            ),
          )
        }
      }

      rollFanOut(s, t)
      const touched: [Distinct, string, string | undefined][] = [[s.streams, 'streams', o.stream]]
      for (const role of o.roles) touched.push([s.roles, 'roles', `${o.dataset ?? ''}\u0000${role}`])
      for (const [d, what, item] of touched) {
        if (item === undefined) continue
        const threshold = fanThreshold(d)
        if (d.items.size < ANOMALY_MAX_DISTINCT) d.items.add(item)
        if (!s.fanAlerted && d.items.size > threshold) {
          s.fanAlerted = true
          out.push(
            alert(
              'fan-out',
              p,
              t,
              `${p} touched ${d.items.size} distinct ${what} within ${fanWindow} s, more than ${fmt(threshold)} ` +
                `(${fanFactor}× its baseline of ${fmt(d.baseline)}, at least ${fanMin})`,
              d.items.size,
              threshold,
            ),
          )
        }
      }

      rollRate(s, t)
      s.rateCount++
      // Sliding-minute estimate: the current minute plus the part of the previous one still inside the window.
      const into = (t - s.rateStart) / rateMs
      const rate = (s.rateCount + s.ratePrevious * (1 - into)) / ANOMALY_RATE_WINDOW_SECONDS
      const threshold = rateThreshold(s)
      if (rate <= threshold) s.rateAlerting = false
      else if (!s.rateAlerting) {
        s.rateAlerting = true
        out.push(
          alert(
            'rate',
            p,
            t,
            `${p} made ${fmt(rate)} requests/s over the last ${ANOMALY_RATE_WINDOW_SECONDS} s, more than ${fmt(threshold)} ` +
              `(${rateFactor}× its baseline of ${fmt(s.rateBaseline)}/s, at least ${minRate}/s)`,
            rate,
            threshold,
          ),
        )
      }
      return out
    },
  }
}

function checkObservation(o: DecisionObservation): void {
  if (typeof o !== 'object' || o === null) throw new TypeError('anomaly: observation must be an object')
  if (!Number.isFinite(o.time)) throw new TypeError('anomaly: observation.time must be a finite number')
  if (typeof o.principal !== 'string' || o.principal === '')
    throw new TypeError('anomaly: observation.principal must be a non-empty string')
  if (o.decision !== 'grant' && o.decision !== 'deny')
    throw new TypeError('anomaly: observation.decision must be grant or deny')
  if (!Array.isArray(o.roles) || !o.roles.every((r) => typeof r === 'string')) {
    throw new TypeError('anomaly: observation.roles must be a list of strings')
  }
  for (const f of ['stream', 'dataset'] as const) {
    if (o[f] !== undefined && typeof o[f] !== 'string')
      throw new TypeError(`anomaly: observation.${f} must be a string`)
  }
  if (typeof o.reason !== 'string') throw new TypeError('anomaly: observation.reason must be a string')
}

function int(v: number, name: string, min: number, max: number): number {
  if (!Number.isSafeInteger(v) || v < min || v > max)
    throw new RangeError(`anomaly: ${name} must be an integer from ${min} to ${max}`)
  return v
}

function seconds(v: number, name: string): number {
  if (!Number.isFinite(v) || v <= 0 || v > 30 * 86_400)
    throw new RangeError(`anomaly: ${name} must be from 0 to 30 days, in seconds`)
  return v
}

function factor(v: number, name: string): number {
  if (!Number.isFinite(v) || v < 1) throw new RangeError(`anomaly: ${name} must be at least 1`)
  return v
}

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(2)
}
