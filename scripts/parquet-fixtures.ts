/**
 * Writes the Parquet files in test/fixtures/parquet/ with hyparquet-writer, a Parquet writer independent of
 * parquet-wasm (pure JavaScript, its own encoders), so that `seal` is tested on files that parquet-wasm did not
 * write. Deterministic: the same files each run. Run: `npx tsx scripts/parquet-fixtures.ts`.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parquetWriteBuffer } from 'hyparquet-writer'

type Options = Parameters<typeof parquetWriteBuffer>[0]
const DIR = join(import.meta.dirname, '..', 'test', 'fixtures', 'parquet')

// A small deterministic generator (xorshift), so the files do not change between runs.
let seed = 0x2545f491
function rand(): number {
  seed ^= seed << 13
  seed ^= seed >>> 17
  seed ^= seed << 5
  return (seed >>> 0) / 2 ** 32
}
const n = (count: number) => Array.from({ length: count }, (_, i) => i)
const maybe = <T>(v: T, nullEvery = 7): T | null => (rand() * nullEvery < 1 ? null : v)

const files: Record<string, Options> = {
  'basic-snappy.parquet': {
    columnData: [
      { name: 'id', data: n(200), type: 'INT32', nullable: false },
      { name: 'big', data: n(200).map((i) => BigInt(i) * 10_000_000_000n - 5n), type: 'INT64' },
      { name: 'score', data: n(200).map(() => maybe(rand() * 1000)), type: 'DOUBLE' },
      { name: 'ok', data: n(200).map((i) => maybe(i % 3 === 0)), type: 'BOOLEAN' },
      { name: 'name', data: n(200).map((i) => maybe(`name-${i}-ä€😀`)), type: 'STRING' },
    ],
  },
  'uncompressed.parquet': {
    codec: 'UNCOMPRESSED',
    columnData: [
      { name: 'k', data: n(100).map((i) => `k${i}`), type: 'STRING' },
      { name: 'v', data: n(100).map((i) => i * 1.5), type: 'DOUBLE' },
    ],
  },
  'many-row-groups.parquet': {
    rowGroupSize: 700,
    columnData: [
      { name: 'row', data: n(5000), type: 'INT32' },
      { name: 'text', data: n(5000).map((i) => maybe(`t${i % 97}`)), type: 'STRING' },
    ],
  },
  'timestamps.parquet': {
    columnData: [
      { name: 'at', data: n(50).map((i) => maybe(new Date(Date.UTC(2020, 0, 1) + i * 3_600_123))), type: 'TIMESTAMP' },
      { name: 'label', data: n(50).map((i) => `e${i}`), type: 'STRING' },
    ],
  },
  'dates-decimals.parquet': {
    columnData: [
      { name: 'day', data: n(40).map((i) => maybe(18_000 + i)) },
      { name: 'price', data: n(40).map((i) => maybe(i * 1234 - 20_000)) },
    ],
    schema: [
      { name: 'root', num_children: 2 },
      { name: 'day', type: 'INT32', converted_type: 'DATE', repetition_type: 'OPTIONAL' },
      {
        name: 'price',
        type: 'INT32',
        converted_type: 'DECIMAL',
        scale: 2,
        precision: 9,
        repetition_type: 'OPTIONAL',
      },
    ],
  },
  'delta-binary-packed.parquet': {
    columnData: [
      { name: 'seq', data: n(3000).map((i) => i * 3 - 1000), type: 'INT32', encoding: 'DELTA_BINARY_PACKED' },
      {
        name: 'wide',
        data: n(3000).map((i) => BigInt(i) ** 3n - 7n),
        type: 'INT64',
        encoding: 'DELTA_BINARY_PACKED',
      },
    ],
  },
  'byte-stream-split.parquet': {
    columnData: [
      { name: 'f64', data: n(500).map(() => rand() * 1e6 - 5e5), type: 'DOUBLE', encoding: 'BYTE_STREAM_SPLIT' },
      { name: 'f32', data: n(500).map((i) => Math.fround(i / 7)), type: 'FLOAT', encoding: 'BYTE_STREAM_SPLIT' },
    ],
  },
  'dictionary-strings.parquet': {
    columnData: [
      { name: 'country', data: n(4000).map((i) => ['SE', 'NO', 'DK', 'FI', 'IS'][i % 5]!), type: 'STRING' },
      { name: 'city', data: n(4000).map((i) => maybe(['Oslo', 'Umeå', 'Åbo'][i % 3]!)), type: 'STRING' },
    ],
  },
  'kv-metadata.parquet': {
    kvMetadata: [
      { key: 'lineage', value: 'crm-export v3' },
      { key: 'owner', value: 'data-platform' },
    ],
    columnData: [{ name: 'x', data: n(10), type: 'INT32' }],
  },
  'json-column.parquet': {
    columnData: [
      { name: 'id', data: n(30), type: 'INT32' },
      { name: 'doc', data: n(30).map((i) => maybe({ i, tags: ['a', String(i)] })), type: 'JSON' },
    ],
  },
  'all-nulls.parquet': {
    columnData: [
      { name: 'id', data: n(20), type: 'INT32' },
      { name: 'empty', data: n(20).map(() => null), type: 'STRING' },
    ],
  },
  'binary-uuid.parquet': {
    columnData: [
      { name: 'raw', data: n(25).map((i) => maybe(Uint8Array.from([i, 255 - i, 0, 7]))), type: 'BYTE_ARRAY' },
      {
        name: 'uuid',
        data: n(25).map((i) => Uint8Array.from({ length: 16 }, (_, j) => (i * 16 + j) & 255)),
        type: 'UUID',
      },
    ],
  },
}

for (const [name, options] of Object.entries(files)) {
  writeFileSync(join(DIR, name), new Uint8Array(parquetWriteBuffer(options)))
  console.log(`wrote ${name}`)
}
