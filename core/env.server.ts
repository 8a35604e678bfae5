import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { z } from 'zod'

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
  /**
   * Let user-given hosts (Mastodon instances, SMTP servers) be loopback, private or link-local addresses:
   * local development and tests only. Off, connectors/net-guard.ts refuses them (ASVS V1.3.6).
   */
  ALLOW_PRIVATE_NETWORK_HOSTS: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
  /** Drip runner lanes: how many worker processes may send drip emails at once (each sends one at a time). */
  DRIP_LANES: z.coerce.number().int().min(1).max(64).default(1),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  /** Turns on /metrics (Prometheus): scrapers send `Authorization: Bearer <METRICS_TOKEN>`. Unset: no endpoint. */
  METRICS_TOKEN: z.string().min(16, 'METRICS_TOKEN: at least 16 characters').optional(),
  /** A worker started with `npm run worker` serves its own /metrics on this port (with METRICS_TOKEN). */
  METRICS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
})

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
