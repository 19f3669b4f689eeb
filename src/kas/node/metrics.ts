/**
 * The gateway's Prometheus metrics (prom-client), on a registry of its own so two gateways in one process (tests,
 * benchmarks) do not collide. Labels are codes and kinds only: never a principal, a stream or a key.
 * @module
 */
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client'

/** The gateway's metrics. */
export interface KasMetrics {
  readonly registry: Registry
  /** Answers by code (`OK` for a grant). */
  readonly requests: Counter<'code'>
  readonly grants: Counter
  readonly throttled: Counter<'scope'>
  readonly alerts: Counter<'kind'>
  readonly latency: Histogram
}

/** Creates the metrics on a fresh registry, with Node's default process metrics. */
export function createKasMetrics(): KasMetrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  return {
    registry,
    requests: new Counter({
      name: 'arrowseal_kas_requests_total',
      help: 'Rewrap requests answered, by code (OK for a grant)',
      labelNames: ['code'],
      registers: [registry],
    }),
    grants: new Counter({ name: 'arrowseal_kas_grants_total', help: 'Grants returned', registers: [registry] }),
    throttled: new Counter({
      name: 'arrowseal_kas_throttled_total',
      help: 'Requests refused by the throttle, by bucket scope',
      labelNames: ['scope'],
      registers: [registry],
    }),
    alerts: new Counter({
      name: 'arrowseal_kas_alerts_total',
      help: 'Anomaly alerts raised, by kind',
      labelNames: ['kind'],
      registers: [registry],
    }),
    latency: new Histogram({
      name: 'arrowseal_kas_request_seconds',
      help: 'Rewrap request handling time',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
  }
}
