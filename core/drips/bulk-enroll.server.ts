import { z } from 'zod'
import type { Db, DbOrTx } from '../../db/client'
import {
  bulkEnrollmentRows,
  contactsByEmail,
  getBulkEnrollment,
  insertBulkEnrollment,
  listBulkEnrollments,
  lockBulkEnrollment,
  recordBulkBatch,
  setBulkEnrollmentStatus,
  suppressedEmails,
  type BulkCandidate,
  type BulkEnrollmentSummary,
} from '../../db/queries/bulk-enrollments'
import { countContacts, getEmailSettings } from '../../db/queries/contacts'
import { getDrip, type DripWithSteps } from '../../db/queries/drips'
import { getSegment, listSegments, walkContactFacts } from '../../db/queries/segments'
import type { ImportRowError } from '../../db/schema'
import { readEnrollCsv } from '../../domain/drip/enroll-csv'
import { matchesSegment } from '../../domain/email/segment'
import { enqueueBulkEnrollment } from '../../jobs/enqueue'
import { MAX_CONTACT_IMPORT_BYTES } from '../contacts.server'
import { enrollInto, wakeDripRunner } from './enroll.server'
import { InputError } from '../errors'
import { parseInput } from '../parse-input'
import type { Services } from '../services.server'
import { acceptsContact, toStepDefs } from './steps/shared'

/**
 * Bulk enrollment (decision 074): a segment, or a CSV of addresses, enrolled into a drip by a background
 * job (jobs/bulk-enroll.ts). Its progress record is a `contact_imports` row of kind `enrollment` (the
 * table the contact import reports through), polled by the drip's enroll page. The job works in batches;
 * each batch's enrollments and its counts commit in one transaction with the run's row locked, and the
 * next batch starts at the recorded cursor, so a crash at any point resumes where the last commit left
 * off. Every enrollment also carries the key `bulk:<run>:<contact>`, so whatever runs the job twice
 * enrolls nobody twice. Contacts no step of the drip can reach (for an email-only drip: unsubscribed,
 * bounced, complained, not yet confirmed, or on the suppression list; decision 096 `dripReaches`) are
 * counted as suppressed and skipped; a bulk run never starts a second pass for someone
 * already in the drip (`every_time` acts as `once_at_a_time`).
 */

export type { BulkEnrollmentSummary }

export const MAX_ENROLL_CSV_BYTES = MAX_CONTACT_IMPORT_BYTES
export const MAX_ENROLL_CSV_ROWS = 500_000
const BATCH_SIZE = 500
const MAX_REPORTED_ERRORS = 1000

export const BulkEnrollInputSchema = z.discriminatedUnion(
  'from',
  [
    z.strictObject({ from: z.literal('segment'), segmentId: z.uuid({ error: 'segmentId: choose a segment' }) }),
    z.strictObject({ from: z.literal('csv'), file: z.string({ error: 'file: choose a CSV file' }).max(MAX_ENROLL_CSV_BYTES, { error: 'file: the CSV file must be at most 20 MB' }) }),
  ],
  { error: 'from: enroll from a segment or a CSV file' },
)

/**
 * Check the input, write the run's progress record and queue its job. 404 naming the field for a drip
 * or segment outside the workspace; 400 naming `file` (with the line) for a CSV that cannot be read.
 */
export async function startBulkEnrollment(
  services: Services,
  args: { workspaceId: string; dripId: string; input: unknown; startedBy?: string | null },
): Promise<BulkEnrollmentSummary> {
  const db = services.database.db
  const { workspaceId, dripId } = args
  const input = parseInput(BulkEnrollInputSchema, args.input, 'from')
  if (!(await getDrip(db, { workspaceId, dripId }))) throw new InputError('dripId', 'dripId: no such drip', { status: 404 })
  let run: BulkEnrollmentSummary
  if (input.from === 'segment') {
    if (!(await getSegment(db, { workspaceId, segmentId: input.segmentId }))) throw new InputError('segmentId', 'segmentId: no such segment', { status: 404 })
    const totalRows = await countContacts(db, { workspaceId })
    run = await insertBulkEnrollment(db, { workspaceId, dripId, segmentId: input.segmentId, rows: null, totalRows, startedBy: args.startedBy ?? null, at: services.clock.now() })
  } else {
    const csv = readEnrollCsv(input.file, { maxRows: MAX_ENROLL_CSV_ROWS })
    if (!csv.ok) throw new InputError('file', `file: ${csv.message}`)
    run = await insertBulkEnrollment(db, { workspaceId, dripId, segmentId: null, rows: csv.rows, totalRows: csv.rows.length, startedBy: args.startedBy ?? null, at: services.clock.now() })
  }
  try {
    await enqueueBulkEnrollment(services.jobs.agenda, { workspaceId, runId: run.id, runAt: services.clock.now() })
  } catch (error) {
    await setBulkEnrollmentStatus(db, { workspaceId, runId: run.id, status: 'failed', errors: [{ row: 0, field: 'form', message: 'The job could not be queued; nobody was enrolled. Try again.' }], finishedAt: services.clock.now() })
    throw error
  }
  return run
}

export async function findBulkEnrollment(services: Services, args: { workspaceId: string; runId: string }): Promise<BulkEnrollmentSummary | null> {
  return getBulkEnrollment(services.database.db, args)
}

/** The enroll page: the workspace's segments to choose from and the drip's latest bulk enrollments (newest first). */
export async function loadBulkEnrollPage(services: Services, args: { workspaceId: string; dripId: string }) {
  const db = services.database.db
  const [segments, runs] = await Promise.all([listSegments(db, { workspaceId: args.workspaceId }), listBulkEnrollments(db, { ...args, limit: 10 })])
  return { segments: segments.map((s) => ({ id: s.id, name: s.name })), runs }
}

/**
 * The job gave up on a run (every retry failed): the run ends `failed` with the reason, so its page stops
 * saying "enrolling". Contacts enrolled by committed batches stay enrolled. A run already ended is left alone.
 */
export async function failBulkEnrollment(services: Pick<Services, 'database' | 'clock'>, args: { workspaceId: string; runId: string; reason: string }): Promise<void> {
  const { workspaceId, runId } = args
  await services.database.db.transaction(async (tx) => {
    const run = await lockBulkEnrollment(tx, { workspaceId, runId })
    if (!run || run.status === 'done' || run.status === 'failed') return
    const error: ImportRowError = { row: 0, field: 'form', message: `The enrollment stopped after repeated failures (${args.reason}). Start it again to enroll the rest.` }
    await setBulkEnrollmentStatus(tx, { workspaceId, runId, status: 'failed', errors: [...run.errors, error].slice(-MAX_REPORTED_ERRORS), finishedAt: services.clock.now() })
  })
}

type Batch = { cursor: string; processedRows: number; candidates: BulkCandidate[]; invalid: ImportRowError[] } | { done: true } | { failed: ImportRowError }

/**
 * Run (or resume) a bulk enrollment: batch after batch from its cursor until it is done. Returns the run
 * as it ended (null when it no longer exists: its drip was deleted). `heartbeat` is called after every
 * batch (the job touches its lock); `onBatch` runs inside each batch's transaction before it commits
 * (tests make it throw to stand for a crash).
 */
export async function runBulkEnrollment(
  services: Pick<Services, 'database' | 'clock' | 'jobs'>,
  args: { workspaceId: string; runId: string; heartbeat?: () => unknown; onBatch?: (run: BulkEnrollmentSummary) => unknown; batchSize?: number },
): Promise<BulkEnrollmentSummary | null> {
  const db = services.database.db
  const { workspaceId, runId } = args
  let enrolled = 0
  for (;;) {
    const step = await db.transaction(async (tx) => {
      const run = await lockBulkEnrollment(tx, { workspaceId, runId })
      if (!run || run.status === 'done' || run.status === 'failed' || !run.sequenceId) return 'stop' as const
      const drip = await getDrip(tx, { workspaceId, dripId: run.sequenceId })
      if (!drip) return 'stop' as const
      const batch = await nextBatch(services, tx, { run, limit: args.batchSize ?? BATCH_SIZE })
      const at = services.clock.now()
      if ('done' in batch) {
        await setBulkEnrollmentStatus(tx, { workspaceId, runId, status: 'done', ...(run.segmentId ? { totalRows: run.processedRows } : {}), finishedAt: at })
        return 'stop' as const
      }
      if ('failed' in batch) {
        await setBulkEnrollmentStatus(tx, { workspaceId, runId, status: 'failed', errors: [...run.errors, batch.failed].slice(-MAX_REPORTED_ERRORS), finishedAt: at })
        return 'stop' as const
      }
      const counts = await enrollBatch(services, tx, { run, drip, candidates: batch.candidates })
      const room = Math.max(0, MAX_REPORTED_ERRORS - run.errors.length)
      await recordBulkBatch(tx, { workspaceId, runId, cursor: batch.cursor, processedRows: batch.processedRows, ...counts, invalid: batch.invalid.length, errors: batch.invalid.slice(0, room) })
      await args.onBatch?.(run)
      return counts.enrolled
    })
    await args.heartbeat?.()
    if (step === 'stop') break
    enrolled += step
  }
  if (enrolled > 0) await wakeDripRunner(services)
  return getBulkEnrollment(db, { workspaceId, runId })
}

/** The next batch of candidates from the run's cursor: CSV rows (with the invalid ones), or a batch of contacts walked for the segment. */
async function nextBatch(services: Pick<Services, 'clock'>, tx: DbOrTx, args: { run: BulkEnrollmentSummary; limit: number }): Promise<Batch> {
  const { run, limit } = args
  const workspaceId = run.workspaceId
  if (run.segmentId) {
    const segment = await getSegment(tx, { workspaceId, segmentId: run.segmentId })
    if (!segment) return { failed: { row: 0, field: 'segmentId', message: `The segment was deleted while enrolling; ${run.importedRows} contacts were enrolled before.` } }
    const now = services.clock.now()
    const halfLifeDays = (await getEmailSettings(tx, { workspaceId }))?.scoreHalfLifeDays ?? null
    // Everything inside the batch's transaction (the embedded database has one connection).
    for await (const batch of walkContactFacts(tx as Db, { workspaceId, now, halfLifeDays, batchSize: limit, after: run.cursor ?? undefined })) {
      const members = batch.filter(({ facts }) => matchesSegment({ rule: segment.rule, now, contact: facts })).map(({ contact }) => contact)
      const suppressed = await suppressedEmails(tx, { workspaceId, emails: members.map((c) => c.email) })
      return {
        cursor: batch.at(-1)!.contact.id,
        processedRows: run.processedRows + batch.length,
        candidates: members.map((c) => ({ id: c.id, email: c.email, timezone: c.timezone, status: c.status, suppressed: suppressed.has(c.email), complained: suppressed.get(c.email) === 'complaint' })),
        invalid: [],
      }
    }
    return { done: true }
  }
  const from = Number(run.cursor ?? 0)
  const rows = await bulkEnrollmentRows(tx, { workspaceId, runId: run.id, from, limit })
  if (rows.length === 0) return { done: true }
  const found = await contactsByEmail(tx, { workspaceId, emails: rows.filter((r) => !r.problem).map((r) => r.email) })
  const candidates: BulkCandidate[] = []
  const invalid: ImportRowError[] = []
  rows.forEach((r, i) => {
    const contact = r.problem ? undefined : found.get(r.email)
    if (contact) candidates.push(contact)
    else invalid.push({ row: from + i + 1, line: r.line, field: 'email', message: r.problem ?? `no contact with the address ${r.email} (add it under Contacts first)` })
  })
  return { cursor: String(from + rows.length), processedRows: from + rows.length, candidates, invalid }
}

async function enrollBatch(services: Pick<Services, 'clock'>, tx: DbOrTx, args: { run: BulkEnrollmentSummary; drip: DripWithSteps; candidates: BulkCandidate[] }) {
  const { run } = args
  // A bulk run adds people to the drip; it never starts a second pass beside an active one.
  const settings = args.drip.drip.settings
  const drip = settings.reentry === 'every_time' ? { ...args.drip, drip: { ...args.drip.drip, settings: { ...settings, reentry: 'once_at_a_time' as const } } } : args.drip
  const source = run.segmentId ? `segment:${run.segmentId}` : 'import'
  const counts = { enrolled: 0, existing: 0, suppressed: 0 }
  const steps = toStepDefs(args.drip)
  for (const contact of args.candidates) {
    if (!acceptsContact(steps, contact)) {
      counts.suppressed++
      continue
    }
    const result = await enrollInto({ database: { db: tx } as never, clock: services.clock }, { drip, contact, source, enrollKey: `bulk:${run.id}:${contact.id}` })
    if (result.created) counts.enrolled++
    else counts.existing++
  }
  return counts
}
