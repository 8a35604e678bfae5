import path from 'node:path'
import { createConnectors, type ConnectorConfigs, type Connectors } from '../connectors/registry'
import { openDatabase, type Database } from '../db/client'
import { createKeyring, type Keyring } from '../db/vault'
import type { Clock } from '../domain/clock'
import { systemClock } from './clock'
import { openJobStore, type JobStore } from '../jobs/store'
import type { AccountEventListener } from './account-events'
import { blueskyOAuthAvailable, configWarnings, type Config } from './env.server'
import { createBlueskyOAuthStore } from './bluesky-oauth-store.server'
import type { BlueskyOAuthStore } from '../connectors/bluesky/oauth'
import { createLogger, type Logger } from './logger'
import { allAccountEventListeners, logAccountEvents } from './account-events'
import { auditAccountEvent } from './audit.server'

/** Everything a request or a job needs, built once per process and handed to Remix as load context. */
export type Services = {
  config: Config
  database: Database
  jobs: JobStore
  clock: Clock
  /** The configured channels (X only when X_CLIENT_ID is set, Slack, LinkedIn, Threads, Pinterest, Reddit, Facebook and Instagram only with their app's id and secret; Mastodon and Bluesky always, each account naming its server; Telegram, Discord and webhooks always, each account bringing its bot or webhook; email always: each sender brings its SMTP server). */
  connectors: Connectors
  /** Seals and opens account credentials (TOKEN_ENCRYPTION_KEY and the previous keys). */
  keyring: Keyring
  /** The process's logger (core/logger.ts): redacts secrets, never logs a failed query's parameters. */
  logger: Logger
  /** Told about log-ins, password changes and second-factor changes (core/account-events.ts); feeds the log and the audit log. */
  onAccountEvent?: AccountEventListener
}

/** The connectors' configuration from the environment (connectors never read it themselves). */
export function connectorConfigsFrom(config: Config, clock: Clock, blueskyOAuthStore?: BlueskyOAuthStore): Partial<ConnectorConfigs> {
  const configs: Partial<ConnectorConfigs> = {
    mastodon: {
      appName: config.MASTODON_APP_NAME,
      website: config.APP_URL,
      allowInsecureInstances: config.MASTODON_ALLOW_HTTP,
      allowPrivateNetworkHosts: config.ALLOW_PRIVATE_NETWORK_HOSTS,
      clock,
    },
    // Bluesky needs no configuration: accounts sign in with an app password on their own server (PDS).
    bluesky: {
      defaultService: config.BLUESKY_DEFAULT_SERVICE,
      // No `appUrl`: the connector's is the Bluesky web app its post links open (https://bsky.app), not Trickle's APP_URL.
      allowInsecureServices: config.BLUESKY_ALLOW_HTTP,
      allowPrivateNetworkHosts: config.ALLOW_PRIVATE_NETWORK_HOSTS,
      clock,
      // And OAuth besides, with a public https APP_URL and a client key (decision 115).
      oauth:
        blueskyOAuthStore && blueskyOAuthAvailable(config)
          ? {
              appUrl: config.APP_URL,
              privateKeyJwk: config.BLUESKY_OAUTH_PRIVATE_KEY!,
              store: blueskyOAuthStore,
              handleResolverUrl: config.BLUESKY_HANDLE_RESOLVER_URL,
              plcDirectoryUrl: config.BLUESKY_PLC_URL,
            }
          : undefined,
    },
    // Telegram needs no configuration: each account brings its bot token and channel (a token form).
    telegram: { apiRoot: config.TELEGRAM_API_URL, clock },
    // Nor does Discord: each account is a channel's incoming webhook (a token form).
    discord: { apiBaseUrl: config.DISCORD_API_URL, clock },
    // A generic webhook: each account is a URL and a signing secret; the URL goes through the SSRF guard.
    webhook: { allowPrivateNetworkHosts: config.ALLOW_PRIVATE_NETWORK_HOSTS, clock },
    // EMAIL_POOL_CONNECTIONS connections per SMTP setting (default 5); the SMTP servers are the senders' own.
    email: { allowPrivateNetworkHosts: config.ALLOW_PRIVATE_NETWORK_HOSTS, maxConnections: config.EMAIL_POOL_CONNECTIONS },
    // SMS: each workspace's Twilio account travels in its credentials (Settings → SMS).
    sms: { apiBaseUrl: config.TWILIO_API_BASE_URL, clock },
    // Direct mail: each workspace's Lob API key travels in its credentials.
    mail: { apiBaseUrl: config.LOB_API_BASE_URL, clock },
  }
  if (config.SLACK_CLIENT_ID && config.SLACK_CLIENT_SECRET) {
    configs.slack = { clientId: config.SLACK_CLIENT_ID, clientSecret: config.SLACK_CLIENT_SECRET, apiUrl: config.SLACK_API_URL, authorizeUrl: config.SLACK_AUTHORIZE_URL, clock }
  }
  if (config.LINKEDIN_CLIENT_ID && config.LINKEDIN_CLIENT_SECRET) {
    configs.linkedin = {
      clientId: config.LINKEDIN_CLIENT_ID,
      clientSecret: config.LINKEDIN_CLIENT_SECRET,
      apiBaseUrl: config.LINKEDIN_API_URL,
      oauthBaseUrl: config.LINKEDIN_OAUTH_URL,
      version: config.LINKEDIN_VERSION,
      organizations: config.LINKEDIN_ORGANIZATIONS,
      clock,
    }
  }
  if (config.THREADS_APP_ID && config.THREADS_APP_SECRET) {
    configs.threads = { clientId: config.THREADS_APP_ID, clientSecret: config.THREADS_APP_SECRET, apiBaseUrl: config.THREADS_API_URL, authorizeUrl: config.THREADS_AUTHORIZE_URL, clock }
  }
  if (config.PINTEREST_APP_ID && config.PINTEREST_APP_SECRET) {
    configs.pinterest = { clientId: config.PINTEREST_APP_ID, clientSecret: config.PINTEREST_APP_SECRET, apiBaseUrl: config.PINTEREST_API_URL, authorizeUrl: config.PINTEREST_AUTHORIZE_URL, clock }
  }
  if (config.FACEBOOK_APP_ID && config.FACEBOOK_APP_SECRET) {
    // One Meta app, one Facebook Login: a Page, or the Instagram account linked to one (decision 100).
    const meta = { appId: config.FACEBOOK_APP_ID, appSecret: config.FACEBOOK_APP_SECRET, apiBaseUrl: config.FACEBOOK_API_URL, version: config.FACEBOOK_API_VERSION, authorizeUrl: config.FACEBOOK_AUTHORIZE_URL, clock }
    configs.facebook = meta
    configs.instagram = meta
  }
  if (config.REDDIT_CLIENT_ID && config.REDDIT_CLIENT_SECRET) {
    configs.reddit = {
      clientId: config.REDDIT_CLIENT_ID,
      clientSecret: config.REDDIT_CLIENT_SECRET,
      apiBaseUrl: config.REDDIT_API_URL,
      oauthBaseUrl: config.REDDIT_OAUTH_URL,
      userAgent: config.REDDIT_USER_AGENT,
      clock,
    }
  }
  if (config.X_CLIENT_ID) {
    configs.x = {
      clientId: config.X_CLIENT_ID,
      clientSecret: config.X_CLIENT_SECRET,
      apiBaseUrl: config.X_API_BASE_URL,
      uploadBaseUrl: config.X_UPLOAD_BASE_URL,
      authorizeUrl: config.X_AUTHORIZE_URL,
      quota: config.X_POSTS_PER_DAY
        ? { postsPerDay: config.X_POSTS_PER_DAY, postsPerDayPerWorkspace: config.X_POSTS_PER_DAY_PER_WORKSPACE ?? config.X_POSTS_PER_DAY }
        : undefined,
      clock,
    }
  }
  return configs
}

/** The members of Services that come from configuration alone (shared with the test harness). */
export function createAccountServices(
  config: Config,
  clock: Clock,
  /** The database Bluesky OAuth keeps its states and sessions in (without it, Bluesky offers app passwords only). */
  database?: Database,
): Pick<Services, 'connectors' | 'keyring' | 'logger' | 'onAccountEvent'> {
  const logger = createLogger(config)
  const keyring = createKeyring({
    currentKey: config.TOKEN_ENCRYPTION_KEY,
    currentVersion: config.TOKEN_ENCRYPTION_KEY_VERSION,
    previousKeys: config.TOKEN_ENCRYPTION_PREVIOUS_KEYS,
  })
  const blueskyOAuthStore = database ? createBlueskyOAuthStore({ db: () => database.db, keyring, clock }) : undefined
  return {
    logger,
    // Log-ins, failures, throttling, password and second-factor changes become security log lines and
    // audit events of the user's workspaces (core/audit.server.ts).
    onAccountEvent: allAccountEventListeners(logAccountEvents(logger), auditAccountEvent),
    connectors: createConnectors(connectorConfigsFrom(config, clock, blueskyOAuthStore)),
    keyring,
  }
}

export async function createServices(config: Config, options: { role: 'web' | 'worker'; clock?: Clock }): Promise<Services> {
  const clock = options.clock ?? systemClock
  const database = config.DATABASE_URL
    ? await openDatabase({ url: config.DATABASE_URL })
    : await openDatabase({ dataDir: path.join(config.DATA_DIR, 'app') })
  try {
    // With the database: Bluesky OAuth keeps its states and sessions there.
    const accountServices = createAccountServices(config, clock, database)
    for (const warning of configWarnings(config)) accountServices.logger.warn({ role: options.role }, warning)
    const jobs = await openJobStore({
      mongodbUrl: config.MONGODB_URL,
      databaseUrl: config.DATABASE_URL,
      embeddedDataDir: path.join(config.DATA_DIR, 'jobs'),
      name: `${options.role}-${process.pid}`,
      onError: (error) => accountServices.logger.error({ err: error, store: 'jobs' }, 'job store error (retried on the next poll)'),
    })
    return { config, database, jobs, clock, ...accountServices }
  } catch (error) {
    await database.close()
    throw error
  }
}

export async function closeServices(services: Services, options: { drainMs?: number } = {}): Promise<void> {
  await services.jobs.close({ drainMs: options.drainMs })
  for (const connector of Object.values(services.connectors)) connector.close?.()
  await services.database.close()
}
