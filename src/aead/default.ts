/**
 * Picks the best backend available in the current runtime, without any global registry.
 *
 * @module
 */

import { nobleBackend } from './noble.js'
import type { CryptoBackend } from './types.js'
import { webCryptoBackend } from './webcrypto.js'

/**
 * Returns a new WebCrypto backend when `globalThis.crypto.subtle` exists, otherwise the pure-JS noble backend.
 * On Node, `nodeBackend()` from the `arrowseal/node` entry is faster for large units; pass it explicitly.
 *
 * Each call returns a fresh backend; keys are bound to the instance that imported them, so create one and reuse it.
 *
 * @example
 * ```ts
 * import { defaultBackend } from './default.js'
 * const backend = defaultBackend()
 * console.log(backend.name) // 'webcrypto' in browsers and Node, 'noble' elsewhere
 * ```
 */
export function defaultBackend(): CryptoBackend {
  const subtle = globalThis.crypto?.subtle
  return subtle ? webCryptoBackend(subtle) : nobleBackend()
}
