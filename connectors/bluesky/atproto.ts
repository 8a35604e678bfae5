import type { Agent, XRPCError } from '@atproto/api'

/**
 * `@atproto/api` loaded on first use, once per process. Its index evaluates every lexicon and generated
 * client class (about 420 modules, 1–3 s on a busy 2-core machine), and every web and worker process
 * builds the Bluesky connector whether or not it ever talks to a PDS: a static import made each of them
 * pay that at start (decision 070). Only type imports of the package may appear elsewhere.
 */
export type Atproto = typeof import('@atproto/api')

/** A signed-in account: its PDS, DID, agent, and the loaded package. */
export type Session = { service: string; did: string; agent: Agent; api: Atproto }

let loaded: Atproto | undefined
let loading: Promise<Atproto> | undefined

export function loadAtproto(): Promise<Atproto> {
  loading ??= import('@atproto/api').then(
    (api) => (loaded = api),
    (error: unknown) => {
      // A failed load (a broken install) is not cached: the next use tries again and reports it again.
      loading = undefined
      throw error
    },
  )
  return loading
}

/** Whether this process has loaded `@atproto/api` (a worker that never posted to Bluesky has not). */
export function atprotoLoaded(): boolean {
  return loaded !== undefined
}

/** An XRPCError can only exist once the package is loaded: before that, nothing is one. */
export function isXrpcError(error: unknown): error is XRPCError {
  return loaded !== undefined && error instanceof loaded.XRPCError
}
