/**
 * Called once by the Node entry at import: installs the native post-quantum provider (src/node/pq.ts) into the key
 * layer's seam (src/keys/pq.ts) where the runtime has it and `ARROWSEAL_PQ_BACKEND` allows it. An invalid value,
 * or `native` on a runtime without it, throws `BACKEND_UNAVAILABLE` here, at import: a forced choice that cannot
 * be honoured must not be silently replaced by the other backend.
 *
 * @module
 */
import { installPostQuantum, noblePostQuantum } from '../keys/pq.js'
import { nativePostQuantum, nativeProvider } from './pq.js'

/**
 * Installs the provider `ARROWSEAL_PQ_BACKEND` (default `auto`) selects. A call, not a side-effect import: the
 * package is `"sideEffects": false`, so the bundler dropped a bare `import './node/install-pq.js'` from the built
 * entry and the shipped package stayed on noble on Node 24 (test/node/dist-pq.test.ts).
 *
 * @throws ArrowSealError `BACKEND_UNAVAILABLE` as {@link nativePostQuantum}.
 * @example
 * ```ts
 * installNodePostQuantum()
 * ```
 * @internal
 */
export function installNodePostQuantum(): void {
  const native = nativePostQuantum()
  installPostQuantum(native === undefined ? noblePostQuantum : nativeProvider(native))
}
