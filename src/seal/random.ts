/**
 * The source of randomness. Sealing uses `crypto.getRandomValues`; tests that make frozen golden files inject a
 * deterministic source through the internal `Sealer.create` parameter, which no public API exposes.
 * @module
 */

/** Returns n random bytes. */
export type RandomSource = (n: number) => Uint8Array

/** Web Crypto randomness, in chunks of 65,536 bytes (the getRandomValues limit). */
export const webRandom: RandomSource = (n) => {
  const out = new Uint8Array(n)
  for (let o = 0; o < n; o += 65_536) crypto.getRandomValues(out.subarray(o, Math.min(n, o + 65_536)))
  return out
}
