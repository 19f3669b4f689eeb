/**
 * Header checks shared by every party that acts on a header: the reader (`Opener`) and a key-access gateway
 * (`unwrapForService`). One implementation, so a gateway can never accept a header a reader would refuse:
 * who signed it, whether the signature verifies, opening one stanza, and each group key's commitment.
 * @module
 */
import { AuthError, FormatError } from '../errors.js'
import { concatBytes, constantTimeEqual } from '../format/bytes.js'
import { HEADER_FLAG_ANONYMOUS, LABEL, SESSION_CLOCK_SKEW_SECONDS } from '../format/constants.js'
import { deriveGroupKeys } from '../format/derive.js'
import type { ParsedHeader } from '../format/header.js'
import type { SessionCredential } from '../format/session.js'
import { setupBaseR } from '../keys/hpke.js'
import type { Identity } from '../keys/identity.js'
import type { PublicKey } from '../keys/public-key.js'
import { verifyCredential, verifySessionHeader } from '../keys/session.js'
import { hybridVerify } from '../keys/sign.js'
import type { SessionPolicy } from './options.js'
import type { Runtime } from './runtime.js'
import { parseStanzaPayload } from './stanza.js'

/**
 * Finds the trusted signer of `header` and verifies its signature over the exact bytes parsed: hybrid (both
 * halves) in suite 1; in suite 2 the session certificate (hybrid) and the header's Ed25519 signature.
 *
 * @throws AuthError `SIGNER_UNTRUSTED`, `SIGNATURE_INVALID`, `SESSION_REJECTED`, `SESSION_EXPIRED`.
 * @example
 * ```ts
 * const signer = verifyOrigin(header, signers, 'accept', webRuntime)
 * ```
 */
export function verifyOrigin(
  header: Pick<ParsedHeader, 'signer' | 'session' | 'signed' | 'signature'>,
  signers: readonly PublicKey[],
  sessions: SessionPolicy,
  runtime: Runtime,
): PublicKey {
  const signer = signers.find((s) => constantTimeEqual(s.fingerprint, header.signer))
  if (!signer) throw new AuthError('SIGNER_UNTRUSTED', 'the stream is signed by a key that is not in trustedSigners')
  if (header.session) checkSession(header.session, signer, header.signed, header.signature, sessions, runtime)
  else if (!hybridVerify(signer, LABEL.headerSignature, header.signed, header.signature, runtime.ed25519)) {
    throw new AuthError('SIGNATURE_INVALID', 'the header signature does not verify: the header was changed or forged')
  }
  return signer
}

/** Suite 2: the reader's session policy, the certificate by the trusted signer, the header signature, the clock. */
function checkSession(
  session: SessionCredential,
  signer: PublicKey,
  signed: Uint8Array,
  signature: Uint8Array,
  policy: SessionPolicy,
  runtime: Runtime,
): void {
  if (policy === 'reject') {
    throw new AuthError(
      'SESSION_REJECTED',
      "the stream is signed by a writer session and this reader set sessions: 'reject'",
    )
  }
  if (!verifyCredential(signer, session, runtime.ed25519)) {
    throw new AuthError('SIGNATURE_INVALID', 'the writer session certificate does not verify: it was changed or forged')
  }
  if (!verifySessionHeader(session, signed, signature, runtime.ed25519)) {
    throw new AuthError('SIGNATURE_INVALID', 'the header signature does not verify: the header was changed or forged')
  }
  if (policy === 'current') {
    const now = Date.now() / 1000
    if (now < session.notBefore - SESSION_CLOCK_SKEW_SECONDS || now > session.notAfter + SESSION_CLOCK_SKEW_SECONDS) {
      throw new AuthError('SESSION_EXPIRED', "the writer session's validity window does not include the current time")
    }
  }
}

/**
 * Opens stanza `index` of a verified header with `identity`: HPKE with `aad = SHA-256(preamble)`, then its
 * group list. Returns the raw group keys (the caller checks and wipes them) and the frame MAC key.
 *
 * @throws AuthError `AUTH_FAILED`; FormatError `FORMAT_INVALID` for a malformed group list.
 * @example
 * ```ts
 * const { groupKeys, macKey } = await openStanza(identity, header, myIndex, preambleDigest, webRuntime)
 * ```
 */
export function openStanza(
  identity: Identity,
  header: ParsedHeader,
  index: number,
  preambleDigest: Uint8Array,
  runtime: Runtime,
): { groupKeys: Map<number, Uint8Array>; macKey: Uint8Array } {
  const stanza = header.stanzas[index]!
  const ctx = setupBaseR(identity, stanza.enc, concatBytes(LABEL.stanzaInfo, header.streamId), {
    x25519: runtime.x25519,
  })
  const groupKeys = parseStanzaPayload(ctx.open(preambleDigest, stanza.payload), header)
  return { groupKeys, macKey: ctx.export(LABEL.macExport, 32) }
}

/**
 * Finds and opens this identity's stanza among `candidates` (stanza indices). By fingerprint when the header names
 * its recipients; by trial decryption when it does not (anonymous recipients): a stanza wrapped to another key
 * fails its AEAD tag and the next one is tried, so the cost is at most one X-Wing decapsulation per stanza,
 * bounded by the recipient limit. Returns null when no stanza is this identity's.
 *
 * @throws FormatError `FORMAT_INVALID` when the header names this key twice.
 */
export async function findStanza(
  identity: Identity,
  header: ParsedHeader,
  candidates: readonly number[],
  preambleDigest: () => Promise<Uint8Array>,
  runtime: Runtime,
): Promise<{ index: number; groupKeys: Map<number, Uint8Array>; macKey: Uint8Array } | null> {
  if ((header.flags & HEADER_FLAG_ANONYMOUS) === 0) {
    const me = identity.publicKeyObject.fingerprint
    let index = -1
    for (const i of candidates) {
      if (!constantTimeEqual(header.stanzas[i]!.fingerprint, me)) continue
      if (index !== -1) throw new FormatError('FORMAT_INVALID', 'the header lists the same recipient twice')
      index = i
    }
    if (index === -1) return null
    return { index, ...openStanza(identity, header, index, await preambleDigest(), runtime) }
  }
  const digest = await preambleDigest()
  const info = concatBytes(LABEL.stanzaInfo, header.streamId)
  for (const index of candidates) {
    const stanza = header.stanzas[index]!
    const ctx = setupBaseR(identity, stanza.enc, info, { x25519: runtime.x25519 })
    let plain: Uint8Array
    try {
      plain = ctx.open(digest, stanza.payload)
    } catch (err) {
      // Not ours (or not authentic): either way, not a stanza this identity can use. Try the next.
      if (err instanceof AuthError) continue
      throw err
    }
    return { index, groupKeys: parseStanzaPayload(plain, header), macKey: ctx.export(LABEL.macExport, 32) }
  }
  return null
}

/**
 * Derives a group's AES key from its group key after checking the key against the header's commitment, in
 * constant time (DESIGN property 6: every reader of a group provably holds the same key).
 *
 * @throws AuthError `AUTH_FAILED` when the key does not reproduce the commitment.
 * @example
 * ```ts
 * const encKey = committedKey(groupKey, header.streamId, header.groups[id]!.commitment!)
 * ```
 */
export function committedKey(groupKey: Uint8Array, streamId: Uint8Array, commitment: Uint8Array): Uint8Array {
  const { encKey, commitment: derived } = deriveGroupKeys(groupKey, streamId)
  if (!constantTimeEqual(derived, commitment)) {
    encKey.fill(0)
    throw new AuthError('AUTH_FAILED')
  }
  return encKey
}
