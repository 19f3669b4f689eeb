/**
 * Side-effect module of the Node entry: installs the native post-quantum provider (src/node/pq.ts) into the key
 * layer's seam (src/keys/pq.ts) where the runtime has it and `ARROWSEAL_PQ_BACKEND` allows it. An invalid value,
 * or `native` on a runtime without it, throws `BACKEND_UNAVAILABLE` here, at import: a forced choice that cannot
 * be honoured must not be silently replaced by the other backend.
 *
 * @module
 */
import { installPostQuantum, noblePostQuantum } from '../keys/pq.js'
import { nativePostQuantum, nativeProvider } from './pq.js'

const native = nativePostQuantum()
installPostQuantum(native === undefined ? noblePostQuantum : nativeProvider(native))
