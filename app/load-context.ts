import type { Services } from './core.server'

declare module '@remix-run/node' {
  interface AppLoadContext {
    services: Services
    /** The peer address (Express `req.ip`: honours `trust proxy` when set); recorded with consent. */
    clientIp?: string | null
    /** This response's Content-Security-Policy nonce for inline scripts (app/utils/security-headers.server.ts). */
    cspNonce?: string
  }
}

export {}

// remix.config.js enables v3_singleFetch: loaders return raw objects or data(); type useLoaderData accordingly.
declare module '@remix-run/server-runtime' {
  interface Future {
    v3_singleFetch: true
  }
}
