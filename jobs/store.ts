import { mkdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { isatty } from 'node:tty'
import path from 'node:path'
import type { PostgresBackend } from '@agendajs/postgres-backend'
import { Agenda, type AgendaBackend, type AgendaOptions, type DrainResult, type JobRepository, type NotificationChannel } from 'agenda'
import type { Db as MongoDb, MongoClient } from 'mongodb'
import { boundLockQuery, findLockableQuery, pollLockableOnly, processorOf, type FindLockable, refillOnCompletion, skipOverlappingPolls, stopProcessing, unrefLivenessTimers, type PgPool } from './agenda-patches'

export type JobStoreKind = 'mongodb' | 'postgres' | 'embedded'

export type JobStore = {
  kind: JobStoreKind
  agenda: Agenda
  /** Embedded store only: the loopback URL its PGlite is served on (`openJobStore({ databaseUrl, postgresNotifications: false })` reaches it). */
  url?: string
  /** Resolves when the store answers a trivial query (for /healthz). */
  ping(): Promise<void>
  /** Start taking jobs. Define them on `agenda` first. */
  start(): Promise<void>
  /**
   * Stop taking jobs, hand back the jobs this process locked but did not start, and wait up to
   * `drainMs` for the running ones. Connections stay open (jobs still record their outcome).
   */
  stop(options?: { drainMs?: number }): Promise<DrainResult>
  /** `stop`, then release every connection, socket and timer: the process can exit on its own. */
  close(options?: { drainMs?: number }): Promise<void>
}

export type OpenJobStoreOptions = {
  /** Production store. */
  mongodbUrl?: string
  /** Used when no MongoDB is configured: Agenda's PostgreSQL backend on the app database. */
  databaseUrl?: string
  /** PostgreSQL only: LISTEN/NOTIFY wakes workers at once; turn off for servers that drop notifications (pglite-socket). Default true. */
  postgresNotifications?: boolean
  /** Used when neither is configured: an embedded PGlite (directory, or null for memory) served over a loopback socket. */
  embeddedDataDir?: string | null
  /** Identifies this process in lock ownership (lastModifiedBy). */
  name?: string
  /**
   * PostgreSQL store: connections in the job store's pool (default 10). A job holds a connection only
   * while it locks or saves itself, so 10 serves the default publish concurrency of 10; raise it with the
   * concurrency (at 25, a pool of 10 halved throughput: decision 018).
   */
  poolSize?: number
  /** How long opening waits for an unreachable server before failing. Default 10 s. */
  connectTimeoutMs?: number
  /** Where a store error met while polling or locking is reported (it is retried on the next poll). Default: stderr. */
  onError?: (error: unknown) => void
  agenda?: Omit<AgendaOptions, 'backend' | 'name'>
}

/** Jobs live in this table (PostgreSQL, embedded) or collection (MongoDB). */
export const JOBS_TABLE = 'trickle_jobs'
/** Index that makes at most one job per `data.uniqueKey` (see jobs/enqueue.ts). */
const UNIQUE_KEY_INDEX = 'trickle_jobs_unique_key_idx'
const DEFAULT_DRAIN_MS = 30_000
const EMBEDDED_SOCKET_CONNECTIONS = 64
const EMBEDDED_POOL_SIZE = 4
const DEFAULT_POOL_SIZE = 10
/**
 * PostgreSQL store with notifications: the longest an idle worker's poll sleeps (decision 109). New jobs
 * are announced by NOTIFY; this bounds the delay when one is lost (a LISTEN connection re-established).
 */
const IDLE_POLL_SLEEP_MS = 60_000

/**
 * Choose and connect the Agenda backend: MongoDB → PostgreSQL → embedded PGlite (docs/decisions/003-job-stores.md).
 * Each backend's driver is imported only when chosen: a worker on PostgreSQL never loads the MongoDB
 * driver, nor one on MongoDB PGlite (start-up time: bench/worker-start.ts).
 */
export async function openJobStore(options: OpenJobStoreOptions): Promise<JobStore> {
  const settings: StoreSettings = {
    agenda: { processEvery: '1 second', ...options.agenda, name: options.name },
    connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
    onError: options.onError ?? ((error) => process.stderr.write(`job store error: ${error instanceof Error ? error.message : String(error)}\n`)),
  }
  if (options.mongodbUrl) return openMongoStore(options.mongodbUrl, settings)
  if (options.databaseUrl) {
    return openPostgresStore(
      { kind: 'postgres', url: options.databaseUrl, notifications: options.postgresNotifications ?? true, poolSize: options.poolSize ?? DEFAULT_POOL_SIZE },
      settings,
    )
  }
  return openEmbeddedStore(options.embeddedDataDir ?? null, settings)
}

type StoreSettings = { agenda: Omit<AgendaOptions, 'backend'>; connectTimeoutMs: number; onError: (error: unknown) => void }

async function openMongoStore(url: string, settings: StoreSettings): Promise<JobStore> {
  const [{ MongoClient }, { MongoBackend }] = await Promise.all([import('mongodb'), import('@agendajs/mongo-backend')])
  let client: MongoClient | undefined
  try {
    client = new MongoClient(url, { serverSelectionTimeoutMS: settings.connectTimeoutMs, connectTimeoutMS: settings.connectTimeoutMs })
    await client.connect()
    await client.db().command({ ping: 1 })
  } catch (error) {
    await client?.close().catch(() => {})
    throw unreachable(url, error)
  }
  const db = client.db()
  const unsorted = await isFerretDb(db)
  const backend = new MongoBackend({ mongo: db, collection: JOBS_TABLE, ...(unsorted ? { sort: {} } : {}) })
  try {
    // Index creation is idempotent, so processes starting together need no coordination.
    await backend.connect()
    await db.collection(JOBS_TABLE).createIndex({ 'data.uniqueKey': 1 }, { name: UNIQUE_KEY_INDEX, unique: true, sparse: true })
  } catch (error) {
    await client.close().catch(() => {})
    throw new Error(`job store at ${redactUrl(url)}: could not create its indexes: ${reason(error)}`)
  }
  return createStore({
    kind: 'mongodb',
    backend,
    settings,
    ping: async () => {
      await db.command({ ping: 1 })
    },
    release: () => client.close(),
  })
}

/**
 * FerretDB v1 on SQLite (the MongoDB-protocol server of tests and CI) pushes no filter but `_id` and no
 * sort down to SQLite: every lock query reads the whole collection and, with Agenda's default sort
 * (nextRunAt, priority), decodes and sorts every due job in memory — ~110 ms a lock at 1,000 due jobs
 * against ~16 ms unsorted. There the lock query runs unsorted: all candidates are due already, so only
 * the order among due jobs changes (insertion order instead of due order). Real MongoDB keeps the
 * indexed sort. See docs/decisions/018-job-lock-limit-and-ferretdb.md.
 */
async function isFerretDb(db: MongoDb): Promise<boolean> {
  const info = await db.admin().command({ buildInfo: 1 }).catch(() => ({}) as Record<string, unknown>)
  return typeof info.ferretdbVersion === 'string'
}

type PostgresTarget = { kind: 'postgres' | 'embedded'; url: string; notifications: boolean; poolSize?: number }

async function openPostgresStore(target: PostgresTarget, settings: StoreSettings): Promise<JobStore> {
  const agendaPostgres = await import('@agendajs/postgres-backend')
  const backend = new agendaPostgres.PostgresBackend({
    poolConfig: { connectionString: target.url, connectionTimeoutMillis: settings.connectTimeoutMs, max: target.poolSize },
    tableName: JOBS_TABLE,
    channelName: JOBS_TABLE,
    ensureSchema: false,
    disableNotifications: !target.notifications,
  })
  const pool = poolOf(backend, agendaPostgres.PostgresJobRepository)
  boundLockQuery(backend.repository, pool)
  const findLockable = findLockableQuery(backend.repository, pool)
  // An idle connection the server closed (restart, dropped test database) is discarded by the pool;
  // without a listener the pool's 'error' event would crash the process.
  pool.on('error', () => {})
  try {
    await pool.query('SELECT 1')
  } catch (error) {
    await pool.end().catch(() => {})
    throw unreachable(target.url, error)
  }
  try {
    await ensurePostgresSchema(pool, agendaPostgres)
    await backend.connect()
  } catch (error) {
    await pool.end().catch(() => {})
    throw new Error(`job store at ${redactUrl(target.url)}: could not create its schema: ${reason(error)}`)
  }
  return createStore({
    kind: target.kind,
    backend,
    settings,
    findLockable,
    // Without notifications (pglite-socket) nothing would announce a new job: poll every processEvery.
    idleSleepMs: target.notifications ? IDLE_POLL_SLEEP_MS : undefined,
    publish: target.notifications ? notifyJobSaved(pool) : undefined,
    ping: async () => {
      await pool.query('SELECT 1')
    },
    release: () => pool.end(),
  })
}

/**
 * Agenda's own schema creation races when several processes start together (concurrent CREATE TABLE /
 * CREATE FUNCTION fail), so the backend runs with ensureSchema: false and the schema is created here,
 * once, under a transaction-scoped advisory lock.
 */
async function ensurePostgresSchema(pool: PgPool, sql: typeof import('@agendajs/postgres-backend')): Promise<void> {
  const client = await pool.connect()
  try {
    await client.query('BEGIN')
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [JOBS_TABLE])
    const { rows } = await client.query('SELECT to_regclass($1) AS index', [UNIQUE_KEY_INDEX])
    if (!rows[0]?.index) {
      await client.query(sql.getCreateTableSQL(JOBS_TABLE))
      for (const statement of sql.getCreateIndexesSQL(JOBS_TABLE)) await client.query(statement)
      await client.query(sql.getUpdateTimestampTriggerSQL(JOBS_TABLE))
      await client.query(`CREATE UNIQUE INDEX IF NOT EXISTS "${UNIQUE_KEY_INDEX}" ON "${JOBS_TABLE}" ((data->>'uniqueKey'))`)
    }
    await client.query('COMMIT')
    client.release()
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {})
    client.release(true)
    throw error
  }
}

/**
 * A PGlite of its own under DATA_DIR/jobs (not the app's): pglite-socket gives every connection the same
 * session, so a transaction of the app would swallow Agenda's statements. LISTEN/NOTIFY does not reach
 * socket clients, so Agenda polls.
 */
async function openEmbeddedStore(dataDir: string | null, settings: StoreSettings): Promise<JobStore> {
  const [{ PGlite }, { PGLiteSocketServer }] = await Promise.all([import('@electric-sql/pglite'), import('@electric-sql/pglite-socket')])
  let pglite: InstanceType<typeof PGlite>
  if (dataDir) {
    mkdirSync(path.resolve(dataDir), { recursive: true })
    pglite = await PGlite.create(path.resolve(dataDir))
  } else {
    pglite = await PGlite.create()
  }
  const server = new PGLiteSocketServer({ db: pglite, host: '127.0.0.1', port: 0, maxConnections: EMBEDDED_SOCKET_CONNECTIONS })
  const shutDown = async () => {
    await server.stop()
    await pglite.close()
  }
  try {
    await server.start()
    const url = `postgres://postgres@${server.getServerConn()}/postgres`
    const store = await openPostgresStore({ kind: 'embedded', url, notifications: false, poolSize: EMBEDDED_POOL_SIZE }, settings)
    return {
      ...store,
      url,
      async close(options) {
        await store.close(options)
        await shutDown()
      },
    }
  } catch (error) {
    await shutDown().catch(() => {})
    throw error
  }
}

function createStore(parts: {
  kind: JobStoreKind
  backend: AgendaBackend
  settings: StoreSettings
  ping: () => Promise<void>
  release: () => Promise<void>
  /** PostgreSQL: which job names have anything to lock, in one statement (each poll fills only those). */
  findLockable?: FindLockable
  /** With findLockable and job notifications: how long an idle poll may sleep (decision 109). */
  idleSleepMs?: number
  /** Announces a saved job whether or not this process started Agenda (decision 109). */
  publish?: NotificationChannel['publish']
}): JobStore {
  const { backend } = parts
  const unlocks = new Set<Promise<void>>()
  // Every job notification (a job saved, with its time) also reaches the sleeping poll, once started.
  let notified: (nextRunAt: Date | null) => void = () => {}
  // The backend is connected already (its failures reported above). Agenda calls connect() in its
  // constructor without handling a rejection, and would close a connection it owns on stop(); this
  // view makes both no-ops so the store alone decides when connections close.
  const connected: AgendaBackend = {
    name: backend.name,
    repository: trackUnlocks(backend.repository, unlocks),
    notificationChannel: backend.notificationChannel && withoutStateNotifications(backend.notificationChannel, (n) => notified(n), parts.publish),
    logger: backend.logger,
    ownsConnection: false,
    connect: async () => {},
    disconnect: async () => {},
  }
  askTerminalOnce()
  const agenda = new Agenda({ ...parts.settings.agenda, backend: connected })
  // A store error while polling or locking (e.g. a busy server) is logged and retried on the next poll;
  // without a listener Agenda's 'error' event would crash the process.
  agenda.on('error', parts.settings.onError)
  let closing: Promise<void> | undefined
  const stop = async (options?: { drainMs?: number }) => {
    const result = await stopProcessing(agenda, options?.drainMs ?? DEFAULT_DRAIN_MS)
    await Promise.all(unlocks)
    return result
  }
  return {
    kind: parts.kind,
    agenda,
    ping: parts.ping,
    async start() {
      await agenda.start()
      const processor = processorOf(agenda)
      if (!processor) throw new Error('agenda: start() made no jobProcessor; the job store relies on it (docs/decisions/026-agenda-internals.md)')
      unrefLivenessTimers(agenda, processor)
      if (parts.findLockable) ({ notified } = pollLockableOnly(agenda, processor, parts.findLockable, { idleSleepMs: parts.idleSleepMs }))
      skipOverlappingPolls(processor)
      refillOnCompletion(agenda, processor)
    },
    stop,
    close(options) {
      closing ??= (async () => {
        await stop(options)
        await parts.release()
      })()
      return closing
    },
  }
}

/**
 * Agenda's job processor calls unlockJob without awaiting or catching it (a job locked beyond a lock
 * limit, or too far in the future). Such a call still in flight when the connection closes would be an
 * unhandled rejection; this view keeps them so stop() can wait for them, and drops their errors (the
 * lock then simply expires).
 */
function trackUnlocks(repository: JobRepository, unlocks: Set<Promise<void>>): JobRepository {
  return new Proxy(repository, {
    get(target, property) {
      if (property === 'unlockJob') {
        return (job: Parameters<JobRepository['unlockJob']>[0]) => {
          const unlock = target.unlockJob(job).catch(() => {})
          unlocks.add(unlock)
          void unlock.finally(() => unlocks.delete(unlock))
          return unlock
        }
      }
      const value: unknown = Reflect.get(target, property, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}


/**
 * Agenda 6 sends a state notification (`NOTIFY`, one statement each) when every job starts, succeeds and
 * completes, so that `agenda.on('complete', …)` also fires for jobs of other processes, and every worker
 * listening parses every other worker's. Nothing in Trickle listens to other processes' job events (the
 * refill on completion ignores them): without `publishState`/`subscribeState` Agenda skips both, three
 * job-store statements fewer per job (decision 087). Notifications of new jobs (`publish`) stay: they wake
 * workers for jobs due now.
 */
function withoutStateNotifications(
  channel: NotificationChannel,
  observe: (nextRunAt: Date | null) => void,
  publish?: NotificationChannel['publish'],
): NotificationChannel {
  return new Proxy(channel, {
    get(target, property) {
      if (property === 'publishState' || property === 'subscribeState') return undefined
      // Agenda connects the channel (LISTEN) only in start(), and publishes nothing before: a web process,
      // which never starts, saved jobs without a NOTIFY, and workers found them on their next poll. With
      // polls that sleep (decision 109) every process announces its jobs, through the store's own pool.
      if (publish && property === 'state') return 'connected'
      if (publish && property === 'publish') return publish
      if (property === 'subscribe') {
        // Decision 109: the sleeping poll sees every job notification first (Agenda's own handler
        // ignores those due after its next scan, which a sleeping poll would otherwise miss).
        return (handler: Parameters<NotificationChannel['subscribe']>[0]) =>
          target.subscribe((notification) => {
            observe(notification.nextRunAt ?? null)
            return handler(notification)
          })
      }
      const value: unknown = Reflect.get(target, property, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

/**
 * A job notification as @agendajs/postgres-backend 3.0.6 sends and parses it (PostgresNotificationChannel:
 * a JSON payload on the channel named after the table), sent through the store's pool.
 */
function notifyJobSaved(pool: PgPool): NotificationChannel['publish'] {
  return async (notification) => {
    const payload = JSON.stringify({
      jobId: notification.jobId,
      jobName: notification.jobName,
      nextRunAt: notification.nextRunAt?.toISOString() ?? null,
      priority: notification.priority,
      timestamp: notification.timestamp.toISOString(),
      source: notification.source,
    })
    // NOTIFY takes no parameters; pg_notify does.
    await pool.query('SELECT pg_notify($1, $2)', [JOBS_TABLE, payload])
  }
}

function poolOf(backend: PostgresBackend, repositoryClass: typeof import('@agendajs/postgres-backend').PostgresJobRepository): PgPool {
  const repository = backend.repository
  if (!(repository instanceof repositoryClass)) throw new Error('unexpected repository in @agendajs/postgres-backend')
  return repository.getPool() as PgPool
}

function unreachable(url: string, error: unknown): Error {
  return new Error(`job store unreachable at ${redactUrl(url)}: ${reason(error)}`, { cause: error })
}

function reason(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return reason(error.errors[0])
  if (error instanceof Error) return error.message || error.name
  return String(error)
}

/** Hide the password of `scheme://user:password@host`. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*):[^@/]*@/i, '$1:***@')
}

/**
 * Agenda makes a `debug` logger for each step of each job (`log.extend(...)`), and `debug` asks
 * isatty(2) for every new logger: a syscall per logger, ~0.3 ms per job under load (decision 020).
 * Ask once, as `debug` itself would (DEBUG_COLORS still decides when set).
 */
function askTerminalOnce(): void {
  try {
    const fromAgenda = createRequire(createRequire(import.meta.url).resolve('agenda'))
    const debug = fromAgenda('debug') as { inspectOpts?: Record<string, unknown> }
    if (debug.inspectOpts && !('colors' in debug.inspectOpts)) debug.inspectOpts.colors = isatty(process.stderr.fd)
  } catch {
    // Only a cost, never a behaviour: leave `debug` as it is.
  }
}
