// A real OpenID provider (oidc-provider) on 127.0.0.1 for the OIDC tests: client-credentials grants that issue
// JWT access tokens for a resource (RFC 8707 resource indicators), DPoP-bound (cnf.jkt) when the token request
// carries a DPoP proof (RFC 9449 §5).
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, generateKeyPair } from 'jose'
import Provider, { errors } from 'oidc-provider'
import { dpopProof } from '../../src/kas/dpop.js'

export const CLIENT_ID = 'reader-app'
const CLIENT_SECRET = 'a-test-only-client-secret-of-some-length'

export interface TestIdp {
  readonly issuer: string
  readonly tokenEndpoint: string
  /** A token for `resource`; DPoP-bound to `key` when given, a plain bearer token otherwise. */
  token(resource: string, key?: CryptoKeyPair): Promise<string>
  close(): Promise<void>
}

/** Starts a provider that serves tokens for the given resources (each its own audience). */
export async function startIdp(resources: readonly string[]): Promise<TestIdp> {
  let handler: ((req: never, res: never) => void) | undefined
  const server: Server = createServer((req, res) => handler!(req as never, res as never))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const issuer = `http://127.0.0.1:${port}`
  const signing = await generateKeyPair('ES256', { extractable: true })
  const rsa = await generateKeyPair('RS256', { extractable: true })
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        grant_types: ['client_credentials'],
        redirect_uris: [],
        response_types: [],
        token_endpoint_auth_method: 'client_secret_post',
      },
    ],
    jwks: {
      keys: [
        { ...(await exportJWK(signing.privateKey)), kid: 'es', alg: 'ES256', use: 'sig' },
        { ...(await exportJWK(rsa.privateKey)), kid: 'rs', alg: 'RS256', use: 'sig' },
      ],
    },
    ttl: { ClientCredentials: 300 },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      dPoP: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => resources[0],
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: unknown, resource: string) => {
          if (!resources.includes(resource)) throw new errors.InvalidTarget()
          return {
            scope: 'kas',
            audience: resource,
            accessTokenFormat: 'jwt',
            accessTokenTTL: 300,
            jwt: { sign: { alg: 'ES256' } },
          }
        },
      },
    },
  })
  handler = provider.callback()
  const tokenEndpoint = `${issuer}/token`
  return {
    issuer,
    tokenEndpoint,
    async token(resource, key) {
      const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' }
      if (key) headers['dpop'] = await dpopProof({ key, method: 'POST', url: tokenEndpoint })
      const res = await fetch(tokenEndpoint, {
        method: 'POST',
        headers,
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: CLIENT_ID,
          client_secret: CLIENT_SECRET,
          resource,
          scope: 'kas',
        }),
      })
      const body = (await res.json()) as { access_token?: string; token_type?: string; error?: string }
      if (res.status !== 200 || !body.access_token) throw new Error(`token request failed: ${JSON.stringify(body)}`)
      if (body.token_type !== (key ? 'DPoP' : 'Bearer')) throw new Error(`unexpected token_type ${body.token_type}`)
      return body.access_token
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
