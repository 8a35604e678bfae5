import pino, { type DestinationStream, type Logger } from 'pino'
import pretty from 'pino-pretty'
import type { Config } from './env.server'

export type { Logger }

/**
 * What the logs must never hold, wherever it appears in a logged object: passwords and their hashes,
 * tokens and secrets, credentials, cookies and authorization headers.
 */
const REDACT = [
  'password',
  'passwordHash',
  'token',
  'secret',
  'credentials',
  'authorization',
  'cookie',
  '*.password',
  '*.passwordHash',
  '*.token',
  '*.secret',
  '*.credentials',
  '*.authorization',
  '*.cookie',
  'req.headers.authorization',
  'req.headers.cookie',
]

/** The process's one logger: JSON lines in production, readable lines in development, warnings only under tests. */
export function createLogger(config: Pick<Config, 'LOG_LEVEL' | 'NODE_ENV'>, destination?: DestinationStream): Logger {
  const options = {
    level: config.NODE_ENV === 'test' && !destination ? 'warn' : config.LOG_LEVEL,
    base: { pid: process.pid },
    redact: { paths: REDACT, censor: '[redacted]' },
    serializers: { err: serializeError, error: serializeError },
  }
  if (destination) return pino(options, destination)
  if (config.NODE_ENV === 'development') return pino(options, pretty({ colorize: process.stdout.isTTY, sync: true }))
  return pino(options)
}

/**
 * An error as the logs keep it: type, message, stack and cause, but never the values a failed query was
 * run with. drizzle's `DrizzleQueryError` puts them in its message ("Failed query: …\nparams: …", the
 * parameters of a sign-up are an email and a password hash) and PostgreSQL's errors repeat them in
 * `detail`/`where`; both are cut here.
 */
export function serializeError(error: unknown): unknown {
  if (!(error instanceof Error)) return error
  const record = error as Error & Record<string, unknown>
  const message = redactQueryParams(error.message)
  const out: Record<string, unknown> = {
    type: error.name,
    message,
    stack: error.stack ? message + error.stack.slice(error.stack.indexOf('\n    at ') === -1 ? error.stack.length : error.stack.indexOf('\n    at ')) : undefined,
  }
  for (const key of ['code', 'kind', 'status', 'severity', 'routine', 'table_name', 'column_name', 'constraint_name']) {
    if (record[key] !== undefined && typeof record[key] !== 'object') out[key] = record[key]
  }
  if (error.cause !== undefined) out.cause = serializeError(error.cause)
  return out
}

function redactQueryParams(message: string): string {
  const at = message.indexOf('\nparams: ')
  return at === -1 ? message : `${message.slice(0, at)}\nparams: [redacted]`
}
