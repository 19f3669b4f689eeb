// One-off throughput measurement of every AEAD backend: `npx tsx test/aead/bench.ts`.
// Not a test and asserts nothing: timings depend on the machine. Reports MB/s (10^6 bytes/s) of seal and open.
import { allBackends } from './helpers.js'

const SIZES = [
  ['64KiB', 64 * 1024],
  ['1MiB', 1024 * 1024],
] as const
const TARGET_MS = 400

async function rate(fn: () => Promise<unknown>, bytes: number): Promise<number> {
  for (let i = 0; i < 3; i++) await fn() // warm up the JIT and OpenSSL
  let n = 0
  const start = performance.now()
  while (performance.now() - start < TARGET_MS) {
    await fn()
    n++
  }
  return (n * bytes) / ((performance.now() - start) / 1000) / 1e6
}

const key32 = crypto.getRandomValues(new Uint8Array(32))
const nonce = crypto.getRandomValues(new Uint8Array(12))
const aad = crypto.getRandomValues(new Uint8Array(64))
const rows: string[] = []
for (const backend of allBackends()) {
  const key = await backend.importKey(key32)
  for (const [label, size] of SIZES) {
    const plaintext = new Uint8Array(size).fill(0x5a)
    const sealed = await backend.seal(key, nonce, aad, plaintext)
    const seal = await rate(() => backend.seal(key, nonce, aad, plaintext), size)
    const open = await rate(() => backend.open(key, nonce, aad, sealed), size)
    rows.push(`aead/${backend.name}/${label}\tseal ${seal.toFixed(0)} MB/s\topen ${open.toFixed(0)} MB/s`)
  }
}
console.log(`node ${process.version} ${process.arch}`)
console.log(rows.join('\n'))
