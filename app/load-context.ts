import type { Services } from './utils/services.server'

declare module '@remix-run/node' {
  interface AppLoadContext {
    services: Services
  }
}

export {}
