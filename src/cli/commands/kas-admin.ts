/**
 * `arrowseal kas grant | revoke | list | suspend | unsuspend`: signed admin commands sent to a running gateway.
 * @module
 */
import { KeyAccessError, type KeyAccessErrorCode } from '../../errors.js'
import type { AdminAction } from '../../kas/admin-command.js'
import { parsePublicKey } from '../../keys/public-key.js'
import type { Command, Invocation } from '../args.js'
import { requiredOption, stringOption } from '../args.js'
import { CliError } from '../errors.js'
import { writeStdout } from '../io.js'
import { loadIdentity, loadTrusted } from '../keys.js'

type Verb = 'grant' | 'revoke' | 'list' | 'suspend' | 'unsuspend'

const COMMON = `  --url URL           the gateway's base URL (http://127.0.0.1:8420)
  --identity FILE     your admin identity (the gateway must trust its key: kas serve --admin)
  --gateway KEY       the gateway's public key (aseal1… or a file): the command is addressed to it
  -h, --help          show this help`

const PRINCIPAL = `  --principal P       aseal1… public key (or a file holding one), key:<hex fingerprint>, or oidc:<issuer>#<subject>`

const HELP: Record<Verb, string> = {
  grant: `Usage: arrowseal kas grant --url URL --identity FILE --gateway KEY --principal P --role ROLE --dataset NAME [options]

Entitles a principal to a role of a dataset ("*": every dataset), from --not-before to --not-after.
${PRINCIPAL}
  --role ROLE         a policy role name
  --dataset NAME      the dataset the writer named (seal --dataset), or "*"
  --not-before TIME   ISO 8601 time (default: now)
  --not-after TIME    ISO 8601 time (default: no end)
${COMMON}
`,
  revoke: `Usage: arrowseal kas revoke --url URL --identity FILE --gateway KEY --principal P --role ROLE --dataset NAME

Removes an entitlement. It holds from the very next request, on every replica.
${PRINCIPAL}
  --role ROLE
  --dataset NAME
${COMMON}
`,
  list: `Usage: arrowseal kas list --url URL --identity FILE --gateway KEY [--principal P]

Prints the entitlements and suspensions, as JSON lines.
${PRINCIPAL}
${COMMON}
`,
  suspend: `Usage: arrowseal kas suspend --url URL --identity FILE --gateway KEY --principal P [--reason TEXT]

Suspends a principal: every request it makes is refused (KAS_SUSPENDED) until kas unsuspend.
${PRINCIPAL}
  --reason TEXT
${COMMON}
`,
  unsuspend: `Usage: arrowseal kas unsuspend --url URL --identity FILE --gateway KEY --principal P

Lifts a suspension.
${PRINCIPAL}
${COMMON}
`,
}

async function principalOf(value: string): Promise<string> {
  if (/^(key:[0-9a-f]{64}|oidc:.+#.+)$/.test(value)) return value
  const [text] = await loadTrusted([value])
  const { keyPrincipal } = await import('../../kas/protocol.js')
  return keyPrincipal(parsePublicKey(text!))
}

function time(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined
  const t = Date.parse(value)
  if (!Number.isFinite(t) || t < 0)
    throw new CliError('USAGE', `--${name} must be an ISO 8601 time`, 'e.g. 2026-12-31T23:59:59Z')
  return t
}

async function action(verb: Verb, inv: Invocation): Promise<AdminAction> {
  const cmd = `kas ${verb}`
  const p = stringOption(inv, 'principal')
  if (verb === 'list') return p === undefined ? { action: 'list' } : { action: 'list', principal: await principalOf(p) }
  const principal = await principalOf(requiredOption(inv, 'principal', cmd))
  if (verb === 'suspend') {
    const reason = stringOption(inv, 'reason')
    return reason === undefined ? { action: 'suspend', principal } : { action: 'suspend', principal, reason }
  }
  if (verb === 'unsuspend') return { action: 'unsuspend', principal }
  const role = requiredOption(inv, 'role', cmd)
  const dataset = stringOption(inv, 'dataset')
  if (dataset === undefined) throw new CliError('USAGE', 'missing --dataset', `see \`arrowseal ${cmd} --help\``)
  if (verb === 'revoke') return { action: 'revoke', principal, role, dataset }
  const notBefore = time(stringOption(inv, 'not-before'), 'not-before')
  const notAfter = time(stringOption(inv, 'not-after'), 'not-after')
  return {
    action: 'grant',
    principal,
    role,
    dataset,
    ...(notBefore === undefined ? {} : { notBefore }),
    ...(notAfter === undefined ? {} : { notAfter }),
  }
}

function adminCommand(verb: Verb): Command {
  return {
    name: `kas ${verb}`,
    help: HELP[verb],
    options: {
      url: { type: 'string' },
      identity: { type: 'string' },
      gateway: { type: 'string' },
      principal: { type: 'string' },
      role: { type: 'string' },
      dataset: { type: 'string' },
      'not-before': { type: 'string' },
      'not-after': { type: 'string' },
      reason: { type: 'string' },
    },
    maxPositionals: 0,
    async run(inv) {
      const cmd = `kas ${verb}`
      const url = requiredOption(inv, 'url', cmd).replace(/\/+$/, '')
      const identity = await loadIdentity(requiredOption(inv, 'identity', cmd))
      const [gatewayText] = await loadTrusted([requiredOption(inv, 'gateway', cmd)])
      const gateway = parsePublicKey(gatewayText!)
      const { signAdminCommand } = await import('../../kas/admin-command.js')
      const body = JSON.stringify(signAdminCommand(await action(verb, inv), identity, gateway.fingerprint))
      let res: Response
      try {
        res = await fetch(`${url}/v1/admin`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          signal: AbortSignal.timeout(30_000),
        })
      } catch (err) {
        throw new KeyAccessError('KAS_UNREACHABLE', `the gateway at ${url} cannot be reached`, { cause: err })
      }
      const json = (await res.json().catch(() => null)) as Record<string, unknown> | null
      if (res.status !== 200 || json === null) {
        const e = (json?.error ?? {}) as { code?: string; message?: string; requestId?: string }
        const code = (
          typeof e.code === 'string' && e.code.startsWith('KAS_') ? e.code : 'KAS_UNAVAILABLE'
        ) as KeyAccessErrorCode
        throw new KeyAccessError(
          code,
          `the gateway refused: ${String(e.message ?? `HTTP ${res.status}`).slice(0, 300)}`,
          {
            ...(typeof e.requestId === 'string' ? { requestId: e.requestId } : {}),
          },
        )
      }
      if (verb === 'list') {
        const lines = [
          ...((json.entitlements as unknown[]) ?? []).map((e) => JSON.stringify({ entitlement: e })),
          ...((json.suspensions as unknown[]) ?? []).map((s) => JSON.stringify({ suspension: s })),
        ]
        await writeStdout(lines.length ? `${lines.join('\n')}\n` : '')
        return
      }
      await writeStdout(`ok ${verb} (request ${String(json.requestId)})\n`)
    },
  }
}

/** The admin commands. */
export const kasGrant = adminCommand('grant')
export const kasRevoke = adminCommand('revoke')
export const kasList = adminCommand('list')
export const kasSuspend = adminCommand('suspend')
export const kasUnsuspend = adminCommand('unsuspend')
