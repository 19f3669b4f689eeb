// oidc-provider ships no types; this declares only the part the tests use (a real provider on loopback).
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http'

  export class Provider {
    constructor(issuer: string, configuration: Record<string, unknown>)
    callback(): (req: IncomingMessage, res: ServerResponse) => void
    on(event: string, listener: (...args: unknown[]) => void): this
  }
  export const errors: { InvalidTarget: new (description?: string) => Error }
  export default Provider
}
