import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { isIP } from 'node:net'
import { z } from 'zod'
import { isPublicHttpsUrl, parsePrivateJwks } from '../connectors/bluesky/oauth'

/**
 * Every environment variable Trickle reads, parsed once at boot by the web and the worker process alike.
 * The README's configuration table mirrors this schema.
 */
export const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('0.0.0.0'),
  APP_URL: z.string().url().optional(),
  DATA_DIR: z.string().default('./data'),
  DATABASE_URL: z.string().url().optional(),
  MONGODB_URL: z.string().url().optional(),
  RUN_WORKER: z.enum(['true', 'false']).default('true').transform((v) => v === 'true'),
  SESSION_SECRET: z.string().min(32).optional(),
  TOKEN_ENCRYPTION_KEY: z
    .string()
    .regex(/^[A-Za-z0-9+/]{43}=$/, 'must be 32 bytes, base64-encoded (openssl rand -base64 32)')
    .optional(),
  TOKEN_ENCRYPTION_KEY_VERSION: z.coerce.number().int().min(1).default(1),
  TOKEN_ENCRYPTION_PREVIOUS_KEYS: z
    .string()
    .trim()
    .regex(/^(\d+:[A-Za-z0-9+/]{43}=)(\s*,\s*\d+:[A-Za-z0-9+/]{43}=)*$/, 'must be "<version>:<base64 key>" entries separated by commas')
    .optional()
    .or(z.literal('').transform(() => undefined)),
  /** X is "not configured" (cannot be connected) while X_CLIENT_ID is unset. */
  X_CLIENT_ID: z.string().trim().min(1).optional().or(z.literal('').transform(() => undefined)),
  X_CLIENT_SECRET: z.string().trim().min(1).optional().or(z.literal('').transform(() => undefined)),
  X_API_BASE_URL: z.url().default('https://api.x.com'),
  X_UPLOAD_BASE_URL: z.url().default('https://upload.x.com'),
  X_AUTHORIZE_URL: z.url().default('https://x.com/i/oauth2/authorize'),
  /** The app's 24-hour post budget on X (your API plan's cap); unset = not counted locally. */
  X_POSTS_PER_DAY: z.coerce.number().int().min(1).optional(),
  /** The most one workspace may use of X_POSTS_PER_DAY; defaults to all of it. */
  X_POSTS_PER_DAY_PER_WORKSPACE: z.coerce.number().int().min(1).optional(),
  MASTODON_APP_NAME: z.string().trim().min(1).max(100).default('Trickle'),
  /** Allow http:// Mastodon instances (local development and tests only). */
  MASTODON_ALLOW_HTTP: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
  /** Allow http:// Bluesky servers (PDS) (local development and tests only). */
  BLUESKY_ALLOW_HTTP: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
  /** Where Bluesky accounts sign in when they name no server of their own (Bluesky needs no other configuration). */
  BLUESKY_DEFAULT_SERVICE: z.url().default('https://bsky.social'),
  /**
   * Bluesky OAuth's client key (decision 115): a private ES256 (P-256) JWK as JSON with a `kid`, or an array
   * of them while the key is rotated (decision 125: the first signs new connections). With a public https
   * APP_URL, the Accounts page also offers "Connect Bluesky with OAuth".
   */
  BLUESKY_OAUTH_PRIVATE_KEY: z
    .string()
    .optional()
    .refine((v) => {
      if (v === undefined) return true
      try {
        parsePrivateJwks(v)
        return true
      } catch {
        return false
      }
    }, 'must be a private P-256 (ES256) key as a JWK in JSON with a "kid", or an array of them with distinct kids while rotating (see the README)'),
  /** Where Bluesky OAuth resolves handles (an XRPC service answering com.atproto.identity.resolveHandle); default DNS and https, as Bluesky does. */
  BLUESKY_HANDLE_RESOLVER_URL: z.url().optional(),
  /** The PLC directory Bluesky OAuth resolves did:plc through (default https://plc.directory). */
  BLUESKY_PLC_URL: z.url().optional(),
  /** The Telegram Bot API server (a local Bot API server, or a loopback one in tests). Telegram needs no other configuration: each account brings its bot token. */
  TELEGRAM_API_URL: z.url().default('https://api.telegram.org'),
  /** Discord's API, which webhook URLs are sent to (a loopback one in tests). Discord needs no other configuration: each account is a channel's webhook URL. */
  DISCORD_API_URL: z.url().default('https://discord.com/api/v10'),
  /** Slack is "not configured" (cannot be connected) while SLACK_CLIENT_ID or SLACK_CLIENT_SECRET is unset: a Slack app's OAuth credentials. */
  SLACK_CLIENT_ID: z.string().trim().min(1).optional().or(z.literal('').transform(() => undefined)),
  SLACK_CLIENT_SECRET: z.string().trim().min(1).optional().or(z.literal('').transform(() => undefined)),
  SLACK_API_URL: z.url().default('https://slack.com/api/'),
  SLACK_AUTHORIZE_URL: z.url().default('https://slack.com/oauth/v2/authorize'),
  /** LinkedIn is "not configured" (cannot be connected) while LINKEDIN_CLIENT_ID or LINKEDIN_CLIENT_SECRET is unset: a LinkedIn app's OAuth credentials. */
  LINKEDIN_CLIENT_ID: z.string().trim().min(1).optional().or(z.literal('').transform(() => undefined)),
  LINKEDIN_CLIENT_SECRET: z.string().trim().min(1).optional().or(z.literal('').transform(() => undefined)),
  LINKEDIN_API_URL: z.url().default('https://api.linkedin.com'),
  LINKEDIN_OAUTH_URL: z.url().default('https://www.linkedin.com/oauth/v2'),
  /** The Posts API version every call names (YYYYMM; LinkedIn serves each for a year). */
  LINKEDIN_VERSION: z.string().trim().regex(/^\d{6}$/, 'Use the YYYYMM form, e.g. 202411').default('202411'),
  /** The LinkedIn app has the Community Management API: connecting also connects the pages the member administers. */
  LINKEDIN_ORGANIZATIONS: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
  /** Threads is "not configured" while THREADS_APP_ID or THREADS_APP_SECRET is unset: a Meta app's Threads use case. */
  THREADS_APP_ID: z.string().trim().min(1).optional().or(z.literal('').transform(() => undefined)),
  THREADS_APP_SECRET: z.string().trim().min(1).optional().or(z.literal('').transform(() => undefined)),
  THREADS_API_URL: z.url().default('https://graph.threads.net'),
  THREADS_AUTHORIZE_URL: z.url().default('https://threads.net/oauth/authorize'),
  /** Pinterest is "not configured" while PINTEREST_APP_ID or PINTEREST_APP_SECRET is unset: a Pinterest app's OAuth credentials. */
  PINTEREST_APP_ID: z.string().trim().min(1).optional().or(z.literal('').transform(() => undefined)),
  PINTEREST_APP_SECRET: z.string().trim().min(1).optional().or(z.literal('').transform(() => undefined)),
  PINTEREST_API_URL: z.url().default('https://api.pinterest.com'),
  PINTEREST_AUTHORIZE_URL: z.url().default('https://www.pinterest.com/oauth/'),
  /** Facebook Pages and Instagram are "not configured" while FACEBOOK_APP_ID or FACEBOOK_APP_SECRET is unset: a Meta app with Facebook Login (decision 100). */
  FACEBOOK_APP_ID: z.string().trim().min(1).optional().or(z.literal('').transform(() => undefined)),
  FACEBOOK_APP_SECRET: z.string().trim().min(1).optional().or(z.literal('').transform(() => undefined)),
  FACEBOOK_API_URL: z.url().default('https://graph.facebook.com'),
  /** The Graph API version every call names (`v24.0`); Meta serves each for about two years. */
  FACEBOOK_API_VERSION: z.string().trim().regex(/^v\d+\.\d+$/, 'Use the vNN.N form, e.g. v24.0').default('v24.0'),
  FACEBOOK_AUTHORIZE_URL: z.url().default('https://www.facebook.com/dialog/oauth'),
  /** Reddit is "not configured" while REDDIT_CLIENT_ID or REDDIT_CLIENT_SECRET is unset: a Reddit "web app"'s OAuth credentials. */
  REDDIT_CLIENT_ID: z.string().trim().min(1).optional().or(z.literal('').transform(() => undefined)),
  REDDIT_CLIENT_SECRET: z.string().trim().min(1).optional().or(z.literal('').transform(() => undefined)),
  /** Reddit's API (https://oauth.reddit.com) and its OAuth endpoints (https://www.reddit.com/api/v1: authorize, access_token). */
  REDDIT_API_URL: z.url().default('https://oauth.reddit.com'),
  REDDIT_OAUTH_URL: z.url().default('https://www.reddit.com/api/v1'),
  /** Reddit asks every client for a unique, descriptive User-Agent naming the app and its maintainer's Reddit account. */
  REDDIT_USER_AGENT: z.string().trim().min(10).max(200).optional(),
  /**
   * Let user-given hosts (Mastodon instances, Bluesky servers, SMTP servers, webhook URLs, and http:// webhook URLs) be loopback, private or link-local addresses:
   * local development and tests only. Off, connectors/net-guard.ts refuses them (ASVS V1.3.6).
   */
  /** Twilio's REST API (SMS steps, decision 081); tests point it at a loopback server that speaks the Messages API. */
  TWILIO_API_BASE_URL: z.url().default('https://api.twilio.com'),
  /** Lob's REST API (direct-mail steps, decision 082); tests point it at a loopback server. */
  LOB_API_BASE_URL: z.url().default('https://api.lob.com/v1'),
  ALLOW_PRIVATE_NETWORK_HOSTS: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
  /** Drip runner lanes: how many worker processes may send drip emails at once (each sends one at a time). */
  DRIP_LANES: z.coerce.number().int().min(1).max(64).default(1),
  /**
   * Drip emails a worker may have handed to SMTP without their outcome recorded (decision 099): sent in
   * groups over the pooled connections, outcomes group-committed. After a crash at most this many are sent
   * twice (each with its original's Message-ID); 1 sends one at a time (decision 016).
   */
  DRIP_SEND_WINDOW: z.coerce.number().int().min(1).max(100).default(10),
  /**
   * SMTP connections one process keeps open per sender (nodemailer's pool, decision 110): the send window's
   * messages are spread over them. Ask the relay how many it allows.
   */
  EMAIL_POOL_CONNECTIONS: z.coerce.number().int().min(1).max(50).default(5),
  /** Social posts one worker publishes at once (decision 106, 109): PUBLISH_CONCURRENCY ÷ PUBLISH_BATCH_SIZE publish jobs run at once. */
  PUBLISH_CONCURRENCY: z.coerce.number().int().min(1).max(500).default(50),
  /** Due posts one publish job claims in one statement and publishes together, its own included (decision 106); 1: one per job. */
  PUBLISH_BATCH_SIZE: z.coerce.number().int().min(1).max(100).default(5),
  /**
   * A publish job ends once its own post is settled, the rest of its batch publishing on in the worker, its
   * job kept as their watch until they are settled (decisions 112, 118). Off by default (the lead decides).
   */
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  /** Turns on /metrics (Prometheus): scrapers send `Authorization: Bearer <METRICS_TOKEN>`. Unset: no endpoint. */
  METRICS_TOKEN: z.string().min(16, 'METRICS_TOKEN: at least 16 characters').optional(),
  /** A worker started with `npm run worker` serves its own /metrics on this port (with METRICS_TOKEN). */
  METRICS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  /** Audit log events older than this many days are pruned by the daily `prune` job. */
  AUDIT_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(400),
  /**
   * Which reverse proxies may tell the client's address (X-Forwarded-For): `false` (default: none, the
   * socket's address is the client's), a hop count (`1`: the one proxy in front), or a comma list of
   * proxy addresses/CIDRs and Express's names `loopback`, `linklocal`, `uniquelocal`. Never `true`:
   * trusting every hop lets any client pick its own address (decision 068).
   */
  TRUST_PROXY: z
    .string()
    .trim()
    .default('false')
    .transform((value, ctx): TrustProxy => {
      const parsed = parseTrustProxy(value)
      if (typeof parsed === 'string') {
        ctx.addIssue({ code: 'custom', message: parsed })
        return z.NEVER
      }
      return parsed
    }),
})

/** TRUST_PROXY as Express's `trust proxy` takes it: false, a hop count, or a list of addresses and subnets. */
export type TrustProxy = false | number | string[]

const TRUST_PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal'])

/** The setting, or what is wrong with it. */
export function parseTrustProxy(value: string): TrustProxy | string {
  if (value === '' || value === 'false' || value === '0') return false
  if (/^\d+$/.test(value)) {
    const hops = Number(value)
    return hops <= 10 ? hops : 'a hop count is at most 10'
  }
  if (value === 'true') return 'use a hop count (e.g. 1) or the proxy\'s addresses; `true` would trust an X-Forwarded-For any client sends'
  const entries = value.split(',').map((e) => e.trim()).filter(Boolean)
  for (const entry of entries) {
    if (TRUST_PROXY_NAMES.has(entry)) continue
    const [address, prefix, ...rest] = entry.split('/')
    const family = isIP(address ?? '')
    const maxPrefix = family === 4 ? 32 : 128
    if (!family || rest.length > 0 || (prefix !== undefined && (!/^\d+$/.test(prefix) || Number(prefix) > maxPrefix))) {
      return `"${entry}" is not an IP address, a CIDR subnet (10.0.0.0/8) or one of loopback, linklocal, uniquelocal`
    }
  }
  return entries
}

export type Env = z.infer<typeof EnvSchema>

export type Config = Omit<Env, 'SESSION_SECRET' | 'TOKEN_ENCRYPTION_KEY'> & {
  APP_URL: string
  SESSION_SECRET: string
  TOKEN_ENCRYPTION_KEY: string
}

export class ConfigError extends Error {
  override name = 'ConfigError'
}

/**
 * Parse the environment. Outside production, missing secrets are generated once and kept in
 * `DATA_DIR/secrets.json` so a fresh clone runs with `npm start` alone; production must set them.
 */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const parsed = EnvSchema.safeParse(source)
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`)
    throw new ConfigError(`Invalid environment:\n${lines.join('\n')}`)
  }
  const env = parsed.data
  if (env.X_POSTS_PER_DAY_PER_WORKSPACE !== undefined) {
    if (env.X_POSTS_PER_DAY === undefined) {
      throw new ConfigError('Invalid environment:\n  X_POSTS_PER_DAY_PER_WORKSPACE: set X_POSTS_PER_DAY (the whole app\'s budget) too')
    }
    if (env.X_POSTS_PER_DAY_PER_WORKSPACE > env.X_POSTS_PER_DAY) {
      throw new ConfigError('Invalid environment:\n  X_POSTS_PER_DAY_PER_WORKSPACE: must be at most X_POSTS_PER_DAY')
    }
  }
  if (env.PUBLISH_BATCH_SIZE > env.PUBLISH_CONCURRENCY) {
    throw new ConfigError('Invalid environment:\n  PUBLISH_BATCH_SIZE: must be at most PUBLISH_CONCURRENCY (a batch is published at once)')
  }
  if (!env.BLUESKY_DEFAULT_SERVICE.startsWith('https://') && !env.BLUESKY_ALLOW_HTTP) {
    throw new ConfigError('Invalid environment:\n  BLUESKY_DEFAULT_SERVICE: must be an https:// address (or set BLUESKY_ALLOW_HTTP=true for local development)')
  }
  let { SESSION_SECRET, TOKEN_ENCRYPTION_KEY } = env
  if (!SESSION_SECRET || !TOKEN_ENCRYPTION_KEY) {
    if (env.NODE_ENV === 'production') {
      const missing = [!SESSION_SECRET && 'SESSION_SECRET', !TOKEN_ENCRYPTION_KEY && 'TOKEN_ENCRYPTION_KEY'].filter(Boolean)
      throw new ConfigError(`Invalid environment:\n  ${missing.join(', ')}: required when NODE_ENV=production`)
    }
    const generated = readOrCreateLocalSecrets(env.DATA_DIR)
    SESSION_SECRET ??= generated.SESSION_SECRET
    TOKEN_ENCRYPTION_KEY ??= generated.TOKEN_ENCRYPTION_KEY
  }
  return {
    ...env,
    APP_URL: env.APP_URL ?? `http://localhost:${env.PORT}`,
    SESSION_SECRET,
    TOKEN_ENCRYPTION_KEY,
  }
}

/**
 * The address people open: APP_URL when it is set, else http://localhost with the port the server got
 * (the startup line printed localhost even when APP_URL named the public address, issue 20).
 */
export function publicUrl(config: Pick<Config, 'APP_URL' | 'PORT'>, listeningPort: number): string {
  return config.APP_URL === `http://localhost:${config.PORT}` ? `http://localhost:${listeningPort}` : config.APP_URL
}

/** RFC 8058's one-click unsubscribe link must be https; an http APP_URL makes every drip email's link one mailbox providers ignore. */
export function appUrlIsHttps(config: Pick<Config, 'APP_URL'>): boolean {
  return new URL(config.APP_URL).protocol === 'https:'
}

/** What is allowed but probably wrong, logged as warnings at boot by the web and the worker process. */
export function configWarnings(config: Pick<Config, 'APP_URL' | 'NODE_ENV'> & Partial<Pick<Config, 'BLUESKY_OAUTH_PRIVATE_KEY'>>): string[] {
  const warnings: string[] = []
  if (config.NODE_ENV === 'production' && !appUrlIsHttps(config)) {
    warnings.push(`APP_URL is not https (${config.APP_URL}): drip emails' one-click unsubscribe (RFC 8058) needs an https address; serve Trickle over https and set APP_URL to it`)
  }
  if (config.BLUESKY_OAUTH_PRIVATE_KEY && !blueskyOAuthAvailable(config)) {
    warnings.push(`BLUESKY_OAUTH_PRIVATE_KEY is set but APP_URL (${config.APP_URL}) is not a public https address: Bluesky's servers must fetch Trickle's client metadata from it, so only app passwords are offered`)
  }
  return warnings
}

/** Bluesky OAuth is offered when the client key is set and APP_URL is a public https address (decision 115). */
export function blueskyOAuthAvailable(config: Pick<Config, 'APP_URL'> & Partial<Pick<Config, 'BLUESKY_OAUTH_PRIVATE_KEY'>>): boolean {
  return !!config.BLUESKY_OAUTH_PRIVATE_KEY && isPublicHttpsUrl(config.APP_URL)
}

function readOrCreateLocalSecrets(dataDir: string): { SESSION_SECRET: string; TOKEN_ENCRYPTION_KEY: string } {
  const file = path.join(dataDir, 'secrets.json')
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8'))
  mkdirSync(dataDir, { recursive: true })
  const secrets = {
    SESSION_SECRET: randomBytes(32).toString('hex'),
    TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
  }
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 })
  return secrets
}
