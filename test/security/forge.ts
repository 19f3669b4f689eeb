/**
 * A hostile (buggy or compromised) writer for tests: the stream's real header and keys, exported through the
 * internal `Sealer.create` hook, seal and MAC frames whose unit plaintexts are whatever the test says. Such frames
 * pass every cryptographic check, so what a reader does with them is up to its limits and decoders alone.
 */
import { gcm } from '@noble/ciphers/aes.js'
import { sha256 } from '@noble/hashes/sha2.js'
import type { RecordBatch, Schema } from 'apache-arrow'
import { deflateSync } from 'fflate'
import { ByteWriter } from '../../src/format/bytes.js'
import { FRAME_KIND_BATCH, FRAME_KIND_END, MAC_BYTES, UNIT_FLAG_DEFLATE } from '../../src/format/constants.js'
import { frameMac, unitAad, unitNonce } from '../../src/format/derive.js'
import { parseFrame, writeFrame } from '../../src/format/frame.js'
import { parseHeader } from '../../src/format/header.js'
import type { FrameSealerKeys } from '../../src/seal/frame-sealer.js'
import type { SealOptions } from '../../src/seal/options.js'
import { Sealer } from '../../src/seal/sealer.js'
import { seededRandom } from '../helpers/identities.js'
import { join } from '../helpers/streams.js'

/** One unit as the forger seals it: a plaintext, sent as it is or flagged as deflate-compressed. */
export interface ForgedUnit {
  readonly plain: Uint8Array
  readonly deflate: boolean
}

/** A writer whose frames carry any unit plaintexts, authentically sealed for every recipient. */
export interface Forger {
  readonly header: Uint8Array
  readonly groupCount: number
  /** The unit plaintexts the honest writer makes for `batch` (IPC, or u32 size ‖ DEFLATE when compressed). */
  honest(batch: RecordBatch): Promise<ForgedUnit[]>
  /** A batch frame at `index` declaring `rows` rows, with one unit per group. */
  frame(index: number, rows: number, units: readonly ForgedUnit[]): Uint8Array
  /** The end frame after `batches` batch frames. */
  end(batches: number): Uint8Array
}

/** A compressed unit's plaintext: the size it declares (by default the true one), then raw DEFLATE of `ipc`. */
export function deflated(ipc: Uint8Array, declared = ipc.length): ForgedUnit {
  return { plain: join(new ByteWriter(4).u32(declared).done(), deflateSync(ipc, { level: 1 })), deflate: true }
}

/** Starts a forger for streams of `schema` sealed with `options`. */
export async function forger(schema: Schema, options: SealOptions, seed = 7): Promise<Forger> {
  let keys: FrameSealerKeys | undefined
  const sealer = await Sealer.create(schema, options, seededRandom(seed), undefined, (k) => {
    keys = k
  })
  const k = keys!
  const h = parseHeader(sealer.header)
  const macCount = h.stanzas.length
  const mac = (w: ReturnType<typeof writeFrame>) => {
    const digest = sha256(w.body)
    k.macKeys.forEach((mk, i) => {
      w.macs.set(frameMac(mk, k.headerDigest, digest), i * MAC_BYTES)
    })
    return w.frame
  }
  return {
    header: sealer.header,
    groupCount: h.groups.length,
    async honest(batch) {
      const bytes = await sealer.sealBatch(batch)
      const p = parseFrame(bytes.subarray(4), h.groups.length, macCount)
      return p.units.map((u, g) => {
        const key = k.encKeys[g]
        const aad = unitAad(k.headerDigest, p.index, g, p.rows, false, u.flags)
        const plain = key ? gcm(key, unitNonce(p.index), aad).decrypt(u.payload) : u.payload.slice()
        return { plain, deflate: (u.flags & UNIT_FLAG_DEFLATE) !== 0 }
      })
    },
    frame(index, rows, units) {
      const sealed = units.map((u, g) => {
        const flags = u.deflate ? UNIT_FLAG_DEFLATE : 0
        const key = k.encKeys[g]
        const aad = unitAad(k.headerDigest, index, g, rows, false, flags)
        const payload = key ? gcm(key, unitNonce(index), aad).encrypt(u.plain) : u.plain
        return { groupId: g, flags, payload }
      })
      return mac(writeFrame(FRAME_KIND_BATCH, index, rows, sealed, macCount))
    },
    end(batches) {
      return mac(writeFrame(FRAME_KIND_END, batches, 0, [], macCount))
    },
  }
}
