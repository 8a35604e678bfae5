import { createBlueskyConnector } from '../../connectors/bluesky/index'
import { createLoopbackConnector } from '../../connectors/loopback/index'
import { createMastodonConnector } from '../../connectors/mastodon/index'
import type { Connector } from '../../connectors/types'
import { createXConnector } from '../../connectors/x/index'
import { createThreadsConnector } from '../../connectors/threads/index'
import type { PipelineOptions } from '../../core/publishing/publish.server'
import type { FailureKind } from '../../domain/delivery'
import { exponential, when } from '../../domain/retry'

/**
 * What a pipeline worker process of the tests needs (test/pipeline/fixtures/worker.ts): the timings and
 * the connectors from its environment, and nothing of the fixture (test servers, database set-up, the
 * MongoDB driver). The crash test starts about 80 workers per store, so their start-up time is its
 * running time.
 */

/** Short timings so recovery paths run in seconds. */
export const TEST_OPTIONS: PipelineOptions = {
  leaseMs: 3_000,
  connectorTimeoutMs: 1_000,
  // Videos get no longer here; test/pipeline/video.test.ts sets its own.
  videoConnectorTimeoutMs: 1_000,
  videoLeaseMs: 3_000,
  maxAttempts: 5,
  retry: when((kind: FailureKind) => kind === 'transient', exponential({ base: 200, max: 1_000, maxRetries: 3 })),
  lookupDelayMs: 300,
  random: () => 0.5,
}
export const TEST_RECONCILE_EVERY_MS = 500
export const TEST_STALL_GRACE_MS = 1_000

/**
 * The connector a worker publishes with for an account of `kind`, from the environment a child worker
 * also gets (X_API_URL, MASTODON_URL, BLUESKY_URL and LOOPBACK_URL may all be set: one fixture, several
 * networks). Mastodon and Bluesky accounts carry their server in their credentials, as in production.
 */
export function connectorsFromEnv(env: Record<string, string | undefined>, timeoutMs: number): (kind: string) => Connector {
  const x = env.X_API_URL
    ? createXConnector({ clientId: env.X_CLIENT_ID!, clientSecret: env.X_CLIENT_SECRET, apiBaseUrl: env.X_API_URL, uploadBaseUrl: env.X_API_URL, timeoutMs })
    : undefined
  const mastodon = env.MASTODON_URL ? createMastodonConnector({ allowInsecureInstances: true, allowPrivateNetworkHosts: true, timeoutMs }) : undefined
  // Building it loads nothing of @atproto/api: a worker pays for that on its first Bluesky request only.
  const bluesky = env.BLUESKY_URL ? createBlueskyConnector({ allowInsecureServices: true, allowPrivateNetworkHosts: true, timeoutMs }) : undefined
  const threads = env.THREADS_API_URL ? createThreadsConnector({ clientId: env.THREADS_APP_ID!, clientSecret: env.THREADS_APP_SECRET!, apiBaseUrl: env.THREADS_API_URL, timeoutMs }) : undefined
  const loopback = env.LOOPBACK_URL ? createLoopbackConnector({ baseUrl: env.LOOPBACK_URL, timeoutMs }) : undefined
  return (kind) => {
    const connector = kind === 'x' ? x : kind === 'mastodon' ? mastodon : kind === 'bluesky' ? bluesky : kind === 'threads' ? threads : loopback
    if (!connector) throw new Error(`no ${kind} network in this environment`)
    return connector
  }
}

