import { mkdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { isatty } from 'node:tty'
import path from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { PGLiteSocketServer } from '@electric-sql/pglite-socket'
import { MongoBackend } from '@agendajs/mongo-backend'
import {
  PostgresBackend,
  PostgresJobRepository,
  getCreateIndexesSQL,
  getCreateTableSQL,
  getUpdateTimestampTriggerSQL,
} from '@agendajs/postgres-backend'
import { Agenda, type AgendaBackend, type AgendaOptions, type DrainResult, type Job, type JobRepository } from 'agenda'
import { MongoClient } from 'mongodb'

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

/** Choose and connect the Agenda backend: MongoDB → PostgreSQL → embedded PGlite (docs/decisions/003-job-stores.md). */
export async function openJobStore(options: OpenJobStoreOptions): Promise<JobStore> {
  const settings: StoreSettings = {
    agenda: { processEvery: '1 second', ...options.agenda, name: options.name },
    connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
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

type StoreSettings = { agenda: Omit<AgendaOptions, 'backend'>; connectTimeoutMs: number }

async function openMongoStore(url: string, settings: StoreSettings): Promise<JobStore> {
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
async function isFerretDb(db: ReturnType<MongoClient['db']>): Promise<boolean> {
  const info = await db.admin().command({ buildInfo: 1 }).catch(() => ({}) as Record<string, unknown>)
  return typeof info.ferretdbVersion === 'string'
}

type PostgresTarget = { kind: 'postgres' | 'embedded'; url: string; notifications: boolean; poolSize?: number }

async function openPostgresStore(target: PostgresTarget, settings: StoreSettings): Promise<JobStore> {
  const backend = new PostgresBackend({
    poolConfig: { connectionString: target.url, connectionTimeoutMillis: settings.connectTimeoutMs, max: target.poolSize },
    tableName: JOBS_TABLE,
    channelName: JOBS_TABLE,
    ensureSchema: false,
    disableNotifications: !target.notifications,
  })
  const pool = poolOf(backend)
  boundLockQuery(backend.repository, pool)
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
    await ensurePostgresSchema(pool)
    await backend.connect()
  } catch (error) {
    await pool.end().catch(() => {})
    throw new Error(`job store at ${redactUrl(target.url)}: could not create its schema: ${reason(error)}`)
  }
  return createStore({
    kind: target.kind,
    backend,
    settings,
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
async function ensurePostgresSchema(pool: PgPool): Promise<void> {
  const client = await pool.connect()
  try {
    await client.query('BEGIN')
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [JOBS_TABLE])
    const { rows } = await client.query('SELECT to_regclass($1) AS index', [UNIQUE_KEY_INDEX])
    if (!rows[0]?.index) {
      await client.query(getCreateTableSQL(JOBS_TABLE))
      for (const statement of getCreateIndexesSQL(JOBS_TABLE)) await client.query(statement)
      await client.query(getUpdateTimestampTriggerSQL(JOBS_TABLE))
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
  let pglite: PGlite
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
}): JobStore {
  const { backend } = parts
  const unlocks = new Set<Promise<void>>()
  // The backend is connected already (its failures reported above). Agenda calls connect() in its
  // constructor without handling a rejection, and would close a connection it owns on stop(); this
  // view makes both no-ops so the store alone decides when connections close.
  const connected: AgendaBackend = {
    name: backend.name,
    repository: trackUnlocks(backend.repository, unlocks),
    notificationChannel: backend.notificationChannel,
    logger: backend.logger,
    ownsConnection: false,
    connect: async () => {},
    disconnect: async () => {},
  }
  askTerminalOnce()
  const agenda = new Agenda({ ...parts.settings.agenda, backend: connected })
  // A store error while polling or locking (e.g. a busy server) is logged and retried on the next poll;
  // without a listener Agenda's 'error' event would crash the process.
  agenda.on('error', (error: unknown) => console.error(`job store (${parts.kind}) error:`, error instanceof Error ? error.message : error))
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
 * The parts of Agenda's (unexported) JobProcessor that a clean shutdown needs. Agenda 6.2.6's drain()
 * keeps starting queued jobs while running ones finish and leaves jobs it locked but never started
 * locked until their lock lifetime passes; stop() unlocks those but does not wait for running jobs.
 */
type JobProcessorInternals = {
  processEvery: number
  process(): Promise<void>
  isRunning: boolean
  jobQueueFilling(name: string): Promise<void>
  jobProcessing(): void
  isJobQueueFilling: Map<string, boolean>
  shouldLock(name: string): boolean
  runOrRetry(job: Job): Promise<void>
  drain(options: { timeout?: number }): Promise<DrainResult>
}

function processorOf(agenda: Agenda): JobProcessorInternals | undefined {
  const processor = (agenda as unknown as { jobProcessor?: unknown }).jobProcessor
  return processor === undefined ? undefined : requireInternals('JobProcessor', processor, PROCESSOR_MEMBERS)
}

/**
 * What this module reaches into, by member and kind (docs/decisions/026-agenda-internals.md says why
 * each patch stays). Checked when a store starts: an Agenda upgrade that renames or drops one fails every
 * job store at once, naming the member, instead of silently losing a patch.
 */
const PROCESSOR_MEMBERS = {
  processEvery: 'number',
  process: 'function',
  isRunning: 'boolean',
  jobQueueFilling: 'function',
  jobProcessing: 'function',
  isJobQueueFilling: 'map',
  shouldLock: 'function',
  runOrRetry: 'function',
  drain: 'function',
} as const
const REPOSITORY_MEMBERS = { tableName: 'string', rowToJob: 'function', getNextJobToRun: 'function', unlockJob: 'function' } as const

export function requireInternals<T>(what: string, value: unknown, members: Record<string, 'number' | 'function' | 'boolean' | 'string' | 'map'>): T {
  const missing = Object.entries(members).filter(([name, kind]) => {
    const member: unknown = (value as Record<string, unknown> | null)?.[name]
    return kind === 'map' ? !(member instanceof Map) : typeof member !== kind
  })
  if (missing.length) {
    throw new Error(
      `agenda: ${what} no longer has ${missing.map(([name, kind]) => `${name} (${kind})`).join(', ')}; the job store relies on it (docs/decisions/026-agenda-internals.md)`,
    )
  }
  return value as T
}

async function stopProcessing(agenda: Agenda, drainMs: number): Promise<DrainResult> {
  const processor = processorOf(agenda)
  if (!processor) return { completed: 0, running: 0, timedOut: false, aborted: false }
  // A queue fill already waiting on the database hands back whatever it locks from now on.
  processor.shouldLock = () => false
  // No new job starts; jobs locked but not started are unlocked for other workers; connection stays.
  await agenda.stop(false)
  const result = await processor.drain({ timeout: drainMs })
  // Let fills still in flight issue their unlocks before the caller closes the connection.
  for (let waited = 0; processor.isJobQueueFilling.size > 0 && waited < 5_000; waited += 10) await sleep(10)
  return result
}

/**
 * Agenda polls on a plain interval: when one poll (locking due jobs one query at a time) takes longer
 * than `processEvery`, the next starts beside it, and on a slow store the polls pile up and compete for
 * the same jobs (FerretDB on SQLite: no job ran within a minute at 300 due jobs). A tick that finds a
 * poll still running joins it instead. Pushed jobs (LISTEN/NOTIFY) still fill the queue at once.
 */
function skipOverlappingPolls(processor: JobProcessorInternals): void {
  const poll = processor.process.bind(processor)
  let running: Promise<void> | undefined
  processor.process = () => (running ??= poll().finally(() => (running = undefined)))
}

/**
 * A job with a lock limit (publish-delivery: its concurrency) is locked only when a slot is free, and
 * Agenda locks new jobs only when it polls: a worker would run at most `lockLimit` such jobs per
 * `processEvery`. When one of them finishes, its slot is filled at once instead (one lock query per free
 * slot; completions during a fill run it once more).
 */
function refillOnCompletion(agenda: Agenda, processor: JobProcessorInternals): void {
  const filling = new Map<string, 'running' | 'again'>()
  const refill = (name: string) => {
    if (filling.has(name)) return void filling.set(name, 'again')
    filling.set(name, 'running')
    void (async () => {
      try {
        do {
          filling.set(name, 'running')
          await processor.jobQueueFilling(name)
          processor.jobProcessing()
        } while (filling.get(name) === 'again' && processor.isRunning)
      } finally {
        filling.delete(name)
      }
    })()
  }
  agenda.on('complete', (job: Job | undefined, remote?: boolean) => {
    // Completions in other processes arrive too (LISTEN/NOTIFY, as a notification): not our slots.
    if (remote || !job?.attrs) return
    const name = job.attrs.name
    if (!agenda.definitions[name]?.lockLimit) return
    // Agenda frees the job's slot right after emitting 'complete'.
    setImmediate(() => {
      if (processor.isRunning) refill(name)
    })
  })
}

/**
 * Agenda checks a running job's lock on a timer of max(processEvery, lockLifetime) / 2 that is never
 * cleared, so after a job finishes the process stays alive up to half the lock lifetime (5 min by
 * default), also after close(). That timer is created synchronously inside runOrRetry; unref'ing it
 * (only it: matched by its delay) lets the process exit. While Agenda runs, its poll interval keeps
 * the process alive. A job running longer than half its lock lifetime re-arms the timer
 * asynchronously, out of reach: such a process may linger after close() (entry points exit anyway).
 */
function unrefLivenessTimers(agenda: Agenda, processor: JobProcessorInternals): void {
  const runOrRetry = processor.runOrRetry.bind(processor)
  processor.runOrRetry = (job) => {
    const lockLifetime = agenda.definitions[job.attrs.name]?.lockLifetime ?? 0
    const livenessDelay = Math.max(processor.processEvery / 2, lockLifetime / 2)
    const realSetTimeout = globalThis.setTimeout
    globalThis.setTimeout = ((callback: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
      const timer = realSetTimeout(callback, ms, ...args)
      if (ms === livenessDelay) timer.unref()
      return timer
    }) as typeof setTimeout
    try {
      return runOrRetry(job)
    } finally {
      globalThis.setTimeout = realSetTimeout
    }
  }
}

/** What this module uses of the `pg` pool the PostgreSQL backend creates. */
type PgClient = { query(sql: string, params?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>; release(destroy?: boolean): void }
type PgPool = {
  query(sql: string, params?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>
  connect(): Promise<PgClient>
  end(): Promise<void>
  on(event: 'error', listener: (error: Error) => void): unknown
}

/**
 * Agenda's PostgreSQL lock query takes one job matching `(locked_at IS NULL AND next_run_at <= scan) OR
 * locked_at <= deadline` in one ordered index scan. The OR keeps `next_run_at` out of the index condition,
 * so when nothing is lockable (how every queue fill ends) the scan walks every job of that name: 0.6–3 s
 * per query at 1,000,000 stored jobs (measured), which made publishing lag seconds behind at that size
 * (decision 018). Here the same lock is two index-bounded queries: a due, unlocked job first (the scan
 * stops at `next_run_at > scan`), else a job whose lock expired (the partial `locked_at` index holds only
 * locked jobs, a few per worker). Same rows, same atomic UPDATE … FOR UPDATE SKIP LOCKED; only the order
 * between the two kinds changes (expired locks are taken once no due job is waiting).
 */
function boundLockQuery(repository: JobRepository, pool: PgPool): void {
  const internals = requireInternals<{ tableName: string; rowToJob(row: Record<string, unknown>): unknown }>('PostgresJobRepository', repository, REPOSITORY_MEMBERS)
  const table = `"${internals.tableName}"`
  const lock = (match: string) =>
    `UPDATE ${table} SET locked_at = $1, last_modified_by = $4
     WHERE id = (SELECT id FROM ${table} WHERE name = $2 AND disabled = FALSE AND ${match}
                 ORDER BY next_run_at ASC NULLS LAST, priority DESC LIMIT 1 FOR UPDATE SKIP LOCKED)
     RETURNING *`
  const due = lock('locked_at IS NULL AND next_run_at <= $3')
  const expired = lock('locked_at <= $3')
  repository.getNextJobToRun = async (name, nextScanAt, lockDeadline, now, options) => {
    const params = (bound: Date) => [now ?? new Date(), name, bound, options?.lastModifiedBy ?? null]
    const [row] = (await pool.query(due, params(nextScanAt))).rows
    const [stale] = row ? [row] : (await pool.query(expired, params(lockDeadline))).rows
    return stale ? (internals.rowToJob(stale) as Awaited<ReturnType<JobRepository['getNextJobToRun']>>) : undefined
  }
}

function poolOf(backend: PostgresBackend): PgPool {
  const repository = backend.repository
  if (!(repository instanceof PostgresJobRepository)) throw new Error('unexpected repository in @agendajs/postgres-backend')
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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

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
