import type { Agenda, DrainResult, Job, JobRepository } from 'agenda'

/**
 * The places jobs/store.ts reaches into Agenda 6.2.6 and @agendajs/postgres-backend 3.0.6, each for a
 * measured reason (docs/decisions/026-agenda-internals.md). Every member used is checked by name and kind
 * when a store starts, so an upgrade that breaks one fails loudly.
 */

/**
 * The parts of Agenda's (unexported) JobProcessor that a clean shutdown needs. Agenda 6.2.6's drain()
 * keeps starting queued jobs while running ones finish and leaves jobs it locked but never started
 * locked until their lock lifetime passes; stop() unlocks those but does not wait for running jobs.
 */
type JobProcessorInternals = {
  processEvery: number
  nextScanAt: Date
  process(): Promise<void>
  isRunning: boolean
  jobQueueFilling(name: string): Promise<void>
  jobProcessing(): void
  isJobQueueFilling: Map<string, boolean>
  shouldLock(name: string): boolean
  runOrRetry(job: Job): Promise<void>
  drain(options: { timeout?: number }): Promise<DrainResult>
}

export function processorOf(agenda: Agenda): JobProcessorInternals | undefined {
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
  nextScanAt: 'date',
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

export function requireInternals<T>(what: string, value: unknown, members: Record<string, 'number' | 'function' | 'boolean' | 'string' | 'map' | 'date'>): T {
  const missing = Object.entries(members).filter(([name, kind]) => {
    const member: unknown = (value as Record<string, unknown> | null)?.[name]
    return kind === 'map' ? !(member instanceof Map) : kind === 'date' ? !(member instanceof Date) : typeof member !== kind
  })
  if (missing.length) {
    throw new Error(
      `agenda: ${what} no longer has ${missing.map(([name, kind]) => `${name} (${kind})`).join(', ')}; the job store relies on it (docs/decisions/026-agenda-internals.md)`,
    )
  }
  return value as T
}

export async function stopProcessing(agenda: Agenda, drainMs: number): Promise<DrainResult> {
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
export function skipOverlappingPolls(processor: JobProcessorInternals): void {
  const poll = processor.process.bind(processor)
  let running: Promise<void> | undefined
  processor.process = () => (running ??= poll().finally(() => (running = undefined)))
}

/** What one poll statement finds for a worker's job names (decision 087, 109). */
export type Lockable = {
  /** Names with a job to lock now: due by `scanAt` and unlocked, or locked before its name's deadline. */
  names: string[]
  /** The earliest `nextRunAt` of an unlocked job of any of the names (null: none). */
  nextRunAt: Date | null
  /** Whether any job of the names is locked (by any worker): its lock may expire, it may be saved with a new time. */
  locked: boolean
}
export type FindLockable = (names: string[], scanAt: Date, deadlines: Date[]) => Promise<Lockable>

/**
 * Agenda's poll runs one lock query per defined job name every `processEvery` (ten names in a worker:
 * ten statements a second while nothing is due). Here a poll first asks, in one statement, which names
 * have anything to lock, and fills the queue only for those (decision 087). The body is Agenda 6.2.6's
 * `process()` otherwise: stop when not running, fill, then start what the local queue holds. `nextScanAt`
 * is set as a fill would, so a notification of a job due before the next poll still fills at once.
 *
 * With `idleSleepMs` (a store whose new jobs are announced by LISTEN/NOTIFY, decision 109): when a poll
 * finds nothing to lock and no job of these names locked anywhere, the next polls are skipped (no
 * statement) until one `processEvery` before the earliest `nextRunAt` it saw, at most `idleSleepMs`.
 * What could change that meanwhile is announced (`notified`, called with every job notification: a job
 * saved with an earlier time ends the sleep) or happens to a locked job (then there is no sleep: a
 * lock may expire, a running job may be saved again without a notification). A lost notification costs
 * at most `idleSleepMs` of delay.
 */
export function pollLockableOnly(
  agenda: Agenda,
  processor: JobProcessorInternals,
  findLockable: FindLockable,
  options: { idleSleepMs?: number } = {},
): { notified(nextRunAt: Date | null): void } {
  // Agenda's own clock (it compares these with its `new Date()`), not an injected one.
  let sleepUntil = 0
  processor.process = async () => {
    if (!processor.isRunning) return
    const names = Object.keys(agenda.definitions)
    const now = new Date().getTime()
    processor.nextScanAt = new Date(now + processor.processEvery)
    if (now < sleepUntil) return processor.jobProcessing()
    const deadlines = names.map((name) => new Date(now - (agenda.definitions[name]?.lockLifetime ?? 0)))
    let found: Lockable
    try {
      found = names.length ? await findLockable(names, processor.nextScanAt, deadlines) : { names: [], nextRunAt: null, locked: false }
    } catch (error) {
      // As a failed lock query: reported, retried on the next poll.
      agenda.emit('error', error)
      found = { names: [], nextRunAt: null, locked: true }
    }
    const idle = options.idleSleepMs && !found.names.length && !found.locked
    sleepUntil = idle ? Math.min(now + options.idleSleepMs!, (found.nextRunAt?.getTime() ?? Infinity) - processor.processEvery) : 0
    await Promise.all(found.names.map((name) => processor.jobQueueFilling(name)))
    processor.jobProcessing()
  }
  return {
    notified(nextRunAt) {
      const at = (nextRunAt?.getTime() ?? 0) - processor.processEvery
      if (at < sleepUntil) sleepUntil = at
    },
  }
}

/**
 * A job with a lock limit (publish-delivery: its concurrency) is locked only when a slot is free, and
 * Agenda locks new jobs only when it polls: a worker would run at most `lockLimit` such jobs per
 * `processEvery`. When one of them finishes, its slot is filled at once instead (one lock query per free
 * slot; completions during a fill run it once more).
 */
export function refillOnCompletion(agenda: Agenda, processor: JobProcessorInternals): void {
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
export function unrefLivenessTimers(agenda: Agenda, processor: JobProcessorInternals): void {
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
export type PgPool = {
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
 * between the two kinds changes (expired locks are taken once no due job is waiting). Both sub-selects
 * sit in one statement, the second evaluated only when the first finds nothing.
 */
export function boundLockQuery(repository: JobRepository, pool: PgPool): void {
  const internals = requireInternals<{ tableName: string; rowToJob(row: Record<string, unknown>): unknown }>('PostgresJobRepository', repository, REPOSITORY_MEMBERS)
  const table = `"${internals.tableName}"`
  const pick = (match: string) =>
    `(SELECT id FROM ${table} WHERE name = $2 AND disabled = FALSE AND ${match}
      ORDER BY next_run_at ASC NULLS LAST, priority DESC LIMIT 1 FOR UPDATE SKIP LOCKED)`
  // One statement (decision 087): PostgreSQL runs the second sub-select only when the first found nothing
  // (COALESCE of two init plans, evaluated lazily), so a poll that finds nothing costs one round trip.
  const lock = `UPDATE ${table} SET locked_at = $1, last_modified_by = $4
     WHERE id = COALESCE(${pick('locked_at IS NULL AND next_run_at <= $3')}, ${pick('locked_at <= $5')})
     RETURNING *`
  repository.getNextJobToRun = async (name, nextScanAt, lockDeadline, now, lockOptions) => {
    // Not a named (prepared) statement: pglite-socket gives every connection one shared session, where a
    // second connection preparing the same name fails.
    const [row] = (await pool.query(lock, [now ?? new Date(), name, nextScanAt, lockOptions?.lastModifiedBy ?? null, lockDeadline])).rows
    return row ? (internals.rowToJob(row) as Awaited<ReturnType<JobRepository['getNextJobToRun']>>) : undefined
  }
}

/**
 * `FindLockable` over the PostgreSQL jobs table, one statement: per name two index-bounded probes (a due
 * unlocked job, an expired lock), the first entry of its `find_and_lock` index range among unlocked jobs,
 * and one probe of the partial `locked_at` index (it holds only the few locked jobs).
 */
export function findLockableQuery(repository: JobRepository, pool: PgPool): FindLockable {
  const internals = requireInternals<{ tableName: string }>('PostgresJobRepository', repository, REPOSITORY_MEMBERS)
  const table = `"${internals.tableName}"`
  const query = `SELECT u.name,
       EXISTS (SELECT 1 FROM ${table} j WHERE j.name = u.name AND j.disabled = FALSE AND j.locked_at IS NULL AND j.next_run_at <= $2)
        OR EXISTS (SELECT 1 FROM ${table} j WHERE j.name = u.name AND j.disabled = FALSE AND j.locked_at <= u.deadline) AS lockable,
       (SELECT j.next_run_at FROM ${table} j WHERE j.name = u.name AND j.disabled = FALSE AND j.locked_at IS NULL AND j.next_run_at IS NOT NULL
         ORDER BY j.next_run_at LIMIT 1) AS next_run_at,
       EXISTS (SELECT 1 FROM ${table} j WHERE j.name = u.name AND j.locked_at IS NOT NULL) AS locked
     FROM unnest($1::text[], $3::timestamptz[]) AS u(name, deadline)`
  return async (names, scanAt, deadlines) => {
    const { rows } = await pool.query(query, [names, scanAt, deadlines])
    const times = rows.map((row) => row.next_run_at).filter((at): at is Date => at instanceof Date)
    return {
      names: rows.filter((row) => row.lockable).map((row) => row.name as string),
      nextRunAt: times.length ? new Date(Math.min(...times.map((at) => at.getTime()))) : null,
      locked: rows.some((row) => row.locked),
    }
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Remove the unlocked jobs of `name` whose `data.uniqueKey` is one of `uniqueKeys`, in one statement
 * (decision 106: the jobs of deliveries a batch claimed). Agenda's `cancel({ data })` matches one key at
 * a time, and on PostgreSQL by `data @> …`, which the unique index on `data->>'uniqueKey'` cannot serve
 * (a scan of every job). Reaches the repository Agenda holds (`agenda.db`): PostgreSQL through its pool,
 * MongoDB through its collection; any other repository gets `agenda.cancel` per key. Locked jobs stay
 * (they are running, or about to: their run finds the delivery claimed).
 */
export async function removeUnlockedUniqueJobs(agenda: Agenda, name: string, uniqueKeys: string[]): Promise<number> {
  if (uniqueKeys.length === 0) return 0
  const repository = (agenda as unknown as { db?: Record<string, unknown> }).db
  const getPool = repository?.getPool
  if (typeof getPool === 'function' && typeof repository?.tableName === 'string') {
    const pool = getPool.call(repository) as PgPool
    const result = (await pool.query(
      `DELETE FROM "${repository.tableName}" WHERE data->>'uniqueKey' = ANY($1::text[]) AND name = $2 AND locked_at IS NULL`,
      [uniqueKeys, name],
    )) as { rowCount?: number | null }
    return result.rowCount ?? 0
  }
  const collection = repository?.collection as { deleteMany?: (filter: object) => Promise<{ deletedCount?: number }> } | undefined
  if (typeof collection?.deleteMany === 'function') {
    const result = await collection.deleteMany({ name, 'data.uniqueKey': { $in: uniqueKeys }, lockedAt: null })
    return result.deletedCount ?? 0
  }
  let removed = 0
  for (const uniqueKey of uniqueKeys) removed += await agenda.cancel({ name, data: { uniqueKey } })
  return removed
}
