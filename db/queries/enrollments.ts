import type { PostalAddress, PostalVerification } from '../../domain/mail/address'
import { and, eq, sql, type SQL } from 'drizzle-orm'
import type { EnrollmentStatus, ReentryPolicy } from '../../domain/drip/schema'
import type { DbOrTx } from '../client'
import { enrollments } from '../schema'
import { executePrepared, json, rowsOf, snake } from './prepared'

/**
 * Enrollments and the drip runner's statements (docs/decisions/016-drip-engine.md). The runner's
 * statements serve every workspace (like the reconciler); everything else is workspace-scoped.
 * Runner statements are raw SQL returning one JSON text column, so both drivers (postgres.js,
 * PGlite) read them the same way.
 */

export type Enrollment = typeof enrollments.$inferSelect

/** Instants go over the wire as ISO text (drizzle's postgres.js driver expects strings for timestamps). */
const ts = (value: Date | null): SQL => sql`${value ? value.toISOString() : null}::timestamptz`

/**
 * Enroll a contact under a re-entry policy, in one statement: `once_ever` (never again after a first
 * enrollment), `once_at_a_time` (not while one is active), `every_time`. An `enrollKey` makes it
 * idempotent (the same key returns the first enrollment).
 */
export async function enrollContactRow(
  db: DbOrTx,
  args: { workspaceId: string; dripId: string; contactId: string; policy: ReentryPolicy; source: string; enrollKey: string | null; nextDueAt: Date | null; at: Date },
): Promise<{ enrollment: Enrollment; created: boolean }> {
  const { workspaceId, dripId, contactId } = args
  for (let attempt = 1; ; attempt++) {
    const inserted = rowsOf<{ id: string }>(
      await db.execute(sql`
        INSERT INTO enrollments (workspace_id, sequence_id, contact_id, cycle, status, step_position, next_due_at, source, enroll_key, started_at, ended_at, created_at, updated_at)
        SELECT ${workspaceId}, ${dripId}, ${contactId},
               COALESCE((SELECT max(cycle) FROM enrollments WHERE sequence_id = ${dripId} AND contact_id = ${contactId}), 0) + 1,
               ${args.nextDueAt ? 'active' : 'completed'}, 0, ${ts(args.nextDueAt)}, ${args.source}, ${args.enrollKey}, ${ts(args.at)}, ${ts(args.nextDueAt ? null : args.at)}, ${ts(args.at)}, ${ts(args.at)}
        WHERE CASE ${args.policy}::text
                WHEN 'once_ever' THEN NOT EXISTS (SELECT 1 FROM enrollments WHERE sequence_id = ${dripId} AND contact_id = ${contactId})
                WHEN 'once_at_a_time' THEN NOT EXISTS (SELECT 1 FROM enrollments WHERE sequence_id = ${dripId} AND contact_id = ${contactId} AND status = 'active')
                ELSE true END
        ON CONFLICT DO NOTHING
        RETURNING id`),
    )
    if (inserted[0]) {
      const [row] = await db.select().from(enrollments).where(eq(enrollments.id, inserted[0].id))
      return { enrollment: row!, created: true }
    }
    const existing = await findExistingEnrollment(db, { dripId, contactId, enrollKey: args.enrollKey })
    if (existing) return { enrollment: existing, created: false }
    // `every_time` lost a race for the next cycle number: try again.
    if (attempt === 3) throw new Error('enrollment: could not pick a cycle number')
  }
}

/**
 * Enroll many contacts into one drip in one statement, under its re-entry policy (as `enrollContactRow`
 * does one): each row with its own source, key and first due time (null: a drip without steps, completed
 * at once). Rows the policy or a key already taken refuse are left out. Returns how many were enrolled.
 */
export async function enrollContactRows(
  db: DbOrTx,
  args: { workspaceId: string; dripId: string; policy: ReentryPolicy; rows: Array<{ contactId: string; source: string; enrollKey: string | null; nextDueAt: Date | null }>; at: Date },
): Promise<number> {
  if (args.rows.length === 0) return 0
  const { workspaceId, dripId } = args
  const rows = args.rows.map((r) => ({ contact_id: r.contactId, source: r.source, enroll_key: r.enrollKey, next_due_at: r.nextDueAt?.toISOString() ?? null }))
  const inserted = rowsOf(
    await db.execute(sql`
      INSERT INTO enrollments (workspace_id, sequence_id, contact_id, cycle, status, step_position, next_due_at, source, enroll_key, started_at, ended_at, created_at, updated_at)
      SELECT ${workspaceId}, ${dripId}, r.contact_id,
             COALESCE((SELECT max(cycle) FROM enrollments WHERE sequence_id = ${dripId} AND contact_id = r.contact_id), 0) + 1,
             CASE WHEN r.next_due_at IS NULL THEN 'completed' ELSE 'active' END, 0, r.next_due_at, r.source, r.enroll_key, ${ts(args.at)},
             CASE WHEN r.next_due_at IS NULL THEN ${ts(args.at)} END, ${ts(args.at)}, ${ts(args.at)}
      FROM jsonb_to_recordset(${json(rows)}) AS r(contact_id uuid, source text, enroll_key text, next_due_at timestamptz)
      JOIN contacts k ON k.id = r.contact_id AND k.workspace_id = ${workspaceId}
      WHERE CASE ${args.policy}::text
              WHEN 'once_ever' THEN NOT EXISTS (SELECT 1 FROM enrollments WHERE sequence_id = ${dripId} AND contact_id = r.contact_id)
              WHEN 'once_at_a_time' THEN NOT EXISTS (SELECT 1 FROM enrollments WHERE sequence_id = ${dripId} AND contact_id = r.contact_id AND status = 'active')
              ELSE true END
      ON CONFLICT DO NOTHING
      RETURNING id`),
  )
  return inserted.length
}

async function findExistingEnrollment(db: DbOrTx, args: { dripId: string; contactId: string; enrollKey: string | null }): Promise<Enrollment | null> {
  if (args.enrollKey) {
    const [byKey] = await db.select().from(enrollments).where(and(eq(enrollments.sequenceId, args.dripId), eq(enrollments.enrollKey, args.enrollKey)))
    if (byKey) return byKey
  }
  const rows = rowsOf<{ id: string }>(
    await db.execute(sql`SELECT id FROM enrollments WHERE sequence_id = ${args.dripId} AND contact_id = ${args.contactId}
      ORDER BY (status = 'active') DESC, cycle DESC LIMIT 1`),
  )
  if (!rows[0]) return null
  const [row] = await db.select().from(enrollments).where(eq(enrollments.id, rows[0].id))
  return row ?? null
}

export async function getEnrollment(db: DbOrTx, args: { workspaceId: string; enrollmentId: string }): Promise<Enrollment | null> {
  const [row] = await db.select().from(enrollments).where(and(eq(enrollments.workspaceId, args.workspaceId), eq(enrollments.id, args.enrollmentId)))
  return row ?? null
}

export async function listEnrollments(db: DbOrTx, args: { workspaceId: string; dripId?: string; contactId?: string }): Promise<Enrollment[]> {
  return db
    .select()
    .from(enrollments)
    .where(
      and(
        eq(enrollments.workspaceId, args.workspaceId),
        args.dripId ? eq(enrollments.sequenceId, args.dripId) : undefined,
        args.contactId ? eq(enrollments.contactId, args.contactId) : undefined,
      ),
    )
    .orderBy(enrollments.createdAt, enrollments.id)
}

/** A goal event ends the contact's active enrollments in drips with that goal. */
export async function endEnrollmentsOnGoal(db: DbOrTx, args: { workspaceId: string; contactId: string; event: string; at: Date }): Promise<number> {
  const rows = rowsOf(
    await db.execute(sql`
      UPDATE enrollments e SET status = 'goal_reached', end_reason = ${`goal: ${args.event}`}, ended_at = ${ts(args.at)}, next_due_at = NULL, updated_at = ${ts(args.at)}
      FROM sequences s
      WHERE s.id = e.sequence_id AND e.workspace_id = ${args.workspaceId} AND e.contact_id = ${args.contactId} AND e.status = 'active'
        AND s.settings -> 'goals' @> ${JSON.stringify([args.event])}::jsonb
      RETURNING e.id`),
  )
  return rows.length
}

// ─── The runner ──────────────────────────────────────────────────────────────────────────────────

export type ClaimedEnrollment = {
  id: string
  workspaceId: string
  sequenceId: string
  contactId: string
  stepPosition: number
  startedAt: Date
  nextDueAt: Date
  contact: {
    id: string
    email: string
    name: string | null
    timezone: string | null
    fields: Record<string, string | number | null>
    tags: string[]
    status: string
    leadScore: number
    leadScoreAt: Date | null
    /** E.164, or null (SMS steps skip the contact). */
    phone: string | null
    /** When the contact gave SMS consent (null: none; SMS steps skip the contact). */
    smsConsentAt: string | null
    /** A US postal address for direct-mail steps (decision 089), and Lob's verdict on it once verified. */
    postalAddress: PostalAddress | null
    postalVerification: PostalVerification | null
  }
  suppressed: boolean
  /** The address is suppressed for a spam complaint: no channel reaches the contact (decision 096). */
  complained: boolean
  /** Why the address is suppressed (null: it is not); email conditions on the contact's state read it. */
  suppressionReason: string | null
  /** The contact's number is on the SMS suppression list (STOP, carrier opt-out). */
  smsSuppressed: boolean
  /** When it began waiting at its current wait-until step (decision 096); null: not waiting. */
  waitingSince: Date | null
  /** Its wake count as claimed; the settlement compares it (a wake meanwhile keeps it due). */
  wakes: number
  recentSends: Date[]
  activity: Array<{ type: string; name: string | null; occurredAt: Date; enrollmentId: string | null; stepId: string | null }>
}

/**
 * Claim up to `limit` due enrollments of active drips (ORDER BY next_due_at, id after the cursor),
 * in one statement that also returns what deciding and rendering need: the contact, whether the
 * address is suppressed, the sends inside the workspace's frequency-cap period, and (for drips with
 * conditions or goals) recent activity.
 */
export async function claimDueEnrollments(
  db: DbOrTx,
  args: { now: Date; limit: number; claimId: string; leaseUntil: Date; cursor: { at: Date; id: string } | null; activityDripIds: string[]; activityDays: number },
): Promise<ClaimedEnrollment[]> {
  const cursorAt = args.cursor?.at ?? new Date(0)
  const cursorId = args.cursor?.id ?? '00000000-0000-0000-0000-000000000000'
  const result = await executePrepared(db, sql`
    WITH due AS (
      SELECT e.id FROM enrollments e
      JOIN sequences s ON s.id = e.sequence_id AND s.status = 'active'
      WHERE e.status = 'active' AND e.next_due_at <= ${ts(args.now)}
        AND (e.claimed_until IS NULL OR e.claimed_until < ${ts(args.now)})
        AND (e.next_due_at, e.id) > (${ts(cursorAt)}, ${cursorId}::uuid)
      ORDER BY e.next_due_at, e.id
      LIMIT ${args.limit}
      FOR UPDATE OF e SKIP LOCKED
    ), claimed AS (
      UPDATE enrollments e SET claim_id = ${args.claimId}, claimed_until = ${ts(args.leaseUntil)}
      FROM due WHERE e.id = due.id
      RETURNING e.id, e.workspace_id, e.sequence_id, e.contact_id, e.step_position, e.started_at, e.next_due_at, e.waiting_since, e.wakes
    )
    SELECT json_build_object(
      'id', c.id, 'workspaceId', c.workspace_id, 'sequenceId', c.sequence_id, 'contactId', c.contact_id,
      'stepPosition', c.step_position, 'startedAt', c.started_at, 'nextDueAt', c.next_due_at, 'waitingSince', c.waiting_since, 'wakes', c.wakes,
      'contact', json_build_object('id', k.id, 'email', k.email, 'name', k.name, 'timezone', k.timezone, 'fields', k.fields, 'tags', k.tags,
                                   'status', k.status, 'leadScore', k.lead_score, 'leadScoreAt', k.lead_score_at,
                                   'phone', k.phone, 'smsConsentAt', k.sms_consent ->> 'at',
                                   'postalAddress', k.postal_address, 'postalVerification', k.postal_verification),
      'suppressed', EXISTS (SELECT 1 FROM suppressions x WHERE x.workspace_id = c.workspace_id AND x.email = k.email),
      'suppressionReason', (SELECT x.reason FROM suppressions x WHERE x.workspace_id = c.workspace_id AND x.email = k.email),
      'complained', k.status = 'complained' OR EXISTS (SELECT 1 FROM suppressions x WHERE x.workspace_id = c.workspace_id AND x.email = k.email AND x.reason = 'complaint'),
      'smsSuppressed', k.phone IS NOT NULL AND EXISTS (SELECT 1 FROM sms_suppressions y WHERE y.workspace_id = c.workspace_id AND y.phone = k.phone),
      'recentSends', CASE WHEN es.frequency_cap IS NULL THEN '[]'::json ELSE (
        SELECT coalesce(json_agg(ev.occurred_at), '[]'::json) FROM contact_events ev
        WHERE ev.workspace_id = c.workspace_id AND ev.contact_id = c.contact_id AND ev.type = 'sent'
          AND ev.occurred_at > ${ts(args.now)} - ((es.frequency_cap ->> 'periodHours')::float8 * interval '1 hour')) END,
      'activity', CASE WHEN c.sequence_id = ANY(string_to_array(${args.activityDripIds.join(',')}, ',')::uuid[]) THEN (
        SELECT coalesce(json_agg(json_build_object('type', a.type, 'name', a.name, 'occurredAt', a.occurred_at, 'enrollmentId', a.enrollment_id, 'stepId', a.step_id)), '[]'::json)
        FROM contact_events a
        WHERE a.workspace_id = c.workspace_id AND a.contact_id = c.contact_id AND a.type IN ('event', 'sent', 'opened', 'clicked', 'bounced', 'complained', 'unsubscribed')
          AND a.occurred_at >= ${ts(args.now)} - (${args.activityDays}::int * interval '1 day')) ELSE '[]'::json END
    )::text AS r
    FROM claimed c
    JOIN contacts k ON k.id = c.contact_id
    LEFT JOIN email_settings es ON es.workspace_id = c.workspace_id`)
  const out = rowsOf<{ r: string }>(result).map(({ r }) => {
    const raw = JSON.parse(r)
    return {
      ...raw,
      startedAt: new Date(raw.startedAt),
      nextDueAt: new Date(raw.nextDueAt),
      waitingSince: raw.waitingSince ? new Date(raw.waitingSince) : null,
      contact: { ...raw.contact, leadScoreAt: raw.contact.leadScoreAt ? new Date(raw.contact.leadScoreAt) : null, fields: raw.contact.fields ?? {}, tags: raw.contact.tags ?? [] },
      recentSends: (raw.recentSends as string[]).map((s) => new Date(s)),
      activity: (raw.activity as Array<Record<string, string | null>>).map((a) => ({ ...a, occurredAt: new Date(a.occurredAt!) })),
    } as ClaimedEnrollment
  })
  return out.sort((a, b) => a.nextDueAt.getTime() - b.nextDueAt.getTime() || (a.id < b.id ? -1 : 1))
}

/** The outcome of one message, recorded with its enrollment's advance (and the `sent` event) in the next statement. */
export type SendRecord = {
  deliveryId: string
  attemptId: string
  claimId: string
  state: 'published' | 'failed' | 'needs_review' | 'queued'
  remoteId: string | null
  lastError: string | null
  lastErrorKind: string | null
  enrollmentId: string
  workspaceId: string
  sequenceId: string
  stepId: string
  contactId: string
  /** The enrollment afterwards. */
  status: EnrollmentStatus
  stepPosition: number
  nextDueAt: Date | null
  endReason: string | null
  /** Set when the message was handed over: records `sent` (keyed, so once) and `last_sent_at`. */
  sentKey: string | null
  at: Date
}

/** The next message to mark as sending: written only if the contact is still subscribed, not suppressed, and the claim and enrollment hold. */
export type SendMark = {
  workspaceId: string
  sequenceId: string
  stepId: string
  enrollmentId: string
  contactId: string
  claimId: string
  attemptId: string
  dueAt: Date
  at: Date
  /**
   * Absent: an email (subscribed, address not suppressed). An SMS step: also requires a phone, SMS consent
   * and a number not suppressed for SMS (decision 081); a direct-mail step a postal address (decision 089).
   * SMS and mail reach an email-unsubscribed or bounced contact but not a complained one; an action any
   * contact but a pending one (decision 096, domain/email/contact.ts `reachableOn`).
   */
  channel?: 'sms' | 'mail' | 'action'
}

export type MarkResult =
  | { deliveryId: string; alreadySettled: false }
  | { deliveryId: null; alreadySettled: true }
  | {
      deliveryId: null
      alreadySettled: false
      blocked: {
        status: string | null
        suppressed: boolean
        enrollmentActive: boolean
        /** The channel's own condition (SMS: phone, consent, no opt-out) failed since the claim. */
        channelBlocked: boolean
        /** The contact may still be reached on this step's channel (its status and suppression allow it). */
        contactAllowed: boolean
      }
    }

export type Settlement = {
  id: string
  claimId: string
  status: EnrollmentStatus
  stepPosition: number
  nextDueAt: Date | null
  endReason: string | null
  /** Steps passed without sending (condition false; an SMS step without phone or consent, with its `reason`): recorded as `skipped` deliveries. */
  skipped: Array<{ workspaceId: string; sequenceId: string; stepId: string; reason?: string }>
  /** A wait-until step began or goes on waiting since then (decision 096). Absent: kept while the enrollment stays at the same step, cleared when it moves or ends. */
  waitingSince?: Date
  /**
   * The enrollment's wake count as claimed. When it changed meanwhile (an event, open, click or field change
   * woke it while the runner held the claim), an enrollment that stays active is kept due at once rather than
   * at `nextDueAt`, so the runner looks again with the new activity (decision 096).
   */
  wakes?: number
}

/** Record every non-send outcome of a batch (defer, skip, end) in one statement. */
export async function settleEnrollments(db: DbOrTx, args: { items: Settlement[]; now: Date }): Promise<number> {
  if (args.items.length === 0) return 0
  const items = args.items.map((i) => ({ id: i.id, claim_id: i.claimId, status: i.status, step_position: i.stepPosition, next_due_at: i.nextDueAt, end_reason: i.endReason, waiting_since: i.waitingSince ?? null, wakes: i.wakes ?? null }))
  const skipped = args.items.flatMap((i) => i.skipped.map((s) => ({ workspace_id: s.workspaceId, sequence_id: s.sequenceId, step_id: s.stepId, enrollment_id: i.id, reason: s.reason ?? null })))
  const result = await db.execute(sql`
    WITH x AS (
      SELECT * FROM jsonb_to_recordset(${json(items)}) AS x(id uuid, claim_id uuid, status text, step_position int, next_due_at timestamptz, end_reason text, waiting_since timestamptz, wakes int)
    ), u AS (
      UPDATE enrollments e SET status = x.status, step_position = x.step_position,
        next_due_at = CASE WHEN x.status = 'active' AND x.wakes IS NOT NULL AND e.wakes <> x.wakes THEN LEAST(x.next_due_at, ${ts(args.now)}) ELSE x.next_due_at END,
        end_reason = COALESCE(x.end_reason, e.end_reason), ended_at = CASE WHEN x.status = 'active' THEN NULL ELSE ${ts(args.now)} END,
        waiting_since = CASE WHEN x.waiting_since IS NOT NULL THEN x.waiting_since WHEN x.status <> 'active' OR x.step_position <> e.step_position THEN NULL ELSE e.waiting_since END,
        claim_id = NULL, claimed_until = NULL, updated_at = ${ts(args.now)}
      FROM x WHERE e.id = x.id AND e.claim_id = x.claim_id AND e.status = 'active'
      RETURNING e.id
    ), s AS (
      SELECT * FROM jsonb_to_recordset(${json(skipped)}) AS s(workspace_id uuid, sequence_id uuid, step_id uuid, enrollment_id uuid, reason text)
    ), i AS (
      INSERT INTO deliveries (workspace_id, sequence_id, step_id, enrollment_id, due_at, state, last_error, last_error_kind, created_at, updated_at)
      SELECT s.workspace_id, s.sequence_id, s.step_id, s.enrollment_id, ${ts(args.now)}, 'skipped', s.reason, CASE WHEN s.reason IS NULL THEN NULL ELSE 'skipped' END, ${ts(args.now)}, ${ts(args.now)}
      FROM s WHERE s.enrollment_id IN (SELECT id FROM u)
      ON CONFLICT DO NOTHING
      RETURNING id
    )
    SELECT (SELECT count(*) FROM u)::int AS n`)
  return Number(rowsOf<{ n: number }>(result)[0]?.n ?? 0)
}

/** Give claims back untouched (a batch that could not send: no sender, SMTP down). */
export async function releaseClaims(db: DbOrTx, args: { claimId: string; retryAt: Date }): Promise<void> {
  await db.execute(sql`UPDATE enrollments SET claim_id = NULL, claimed_until = NULL, next_due_at = GREATEST(next_due_at, ${ts(args.retryAt)}) WHERE claim_id = ${args.claimId} AND status = 'active'`)
}

// ─── Analytics ───────────────────────────────────────────────────────────────────────────────────

export type DripStats = {
  enrollments: Partial<Record<EnrollmentStatus, number>>
  /** Active enrollments by the position of the step they wait for. */
  waitingByPosition: Record<number, number>
  /** All enrollments by step_position (for the funnel: reached step k = positions ≥ k). */
  positions: Record<number, number>
  /** Deliveries by step id and state. */
  deliveriesByStep: Record<string, Partial<Record<string, number>>>
  /** Distinct enrollments with an event, by step id and event type (opened, clicked, unsubscribed, bounced: hard or soft, complained). */
  eventsByStep: Record<string, Partial<Record<string, number>>>
}

/**
 * A drip's all-time counts from the raw rows: the oracle of `dripStatsRollups` (db/queries/drip-rollups.ts),
 * which the drip page and the workspace overview read (decision 104).
 */
export async function dripStats(db: DbOrTx, args: { workspaceId: string; dripId: string }): Promise<DripStats> {
  const { workspaceId, dripId } = args
  const result = await db.execute(sql`
    SELECT json_build_object(
      'enrollments', (SELECT coalesce(json_object_agg(status, n), '{}'::json) FROM (SELECT status, count(*) AS n FROM enrollments WHERE workspace_id = ${workspaceId} AND sequence_id = ${dripId} GROUP BY status) t),
      'waiting', (SELECT coalesce(json_object_agg(step_position, n), '{}'::json) FROM (SELECT step_position, count(*) AS n FROM enrollments WHERE workspace_id = ${workspaceId} AND sequence_id = ${dripId} AND status = 'active' GROUP BY step_position) t),
      'positions', (SELECT coalesce(json_object_agg(step_position, n), '{}'::json) FROM (SELECT step_position, count(*) AS n FROM enrollments WHERE workspace_id = ${workspaceId} AND sequence_id = ${dripId} GROUP BY step_position) t),
      'deliveries', (SELECT coalesce(json_agg(json_build_object('stepId', step_id, 'state', state, 'n', n)), '[]'::json) FROM (SELECT step_id, state, count(*) AS n FROM deliveries WHERE workspace_id = ${workspaceId} AND sequence_id = ${dripId} AND enrollment_id IS NOT NULL GROUP BY step_id, state) t),
      'events', (SELECT coalesce(json_agg(json_build_object('stepId', step_id, 'type', type, 'n', n)), '[]'::json) FROM (SELECT step_id, type, count(DISTINCT enrollment_id) AS n FROM (SELECT step_id, enrollment_id, CASE WHEN type = 'soft_bounced' THEN 'bounced' ELSE type END AS type FROM contact_events WHERE workspace_id = ${workspaceId} AND sequence_id = ${dripId} AND type IN ('opened', 'clicked', 'unsubscribed', 'bounced', 'soft_bounced', 'complained') AND step_id IS NOT NULL) e GROUP BY step_id, type) t)
    )::text AS r`)
  const raw = JSON.parse(rowsOf<{ r: string }>(result)[0]!.r) as {
    enrollments: Record<string, number>
    waiting: Record<string, number>
    positions: Record<string, number>
    deliveries: Array<{ stepId: string; state: string; n: number }>
    events: Array<{ stepId: string; type: string; n: number }>
  }
  const deliveriesByStep: DripStats['deliveriesByStep'] = {}
  for (const d of raw.deliveries) (deliveriesByStep[d.stepId] ??= {})[d.state] = Number(d.n)
  const eventsByStep: DripStats['eventsByStep'] = {}
  for (const e of raw.events) (eventsByStep[e.stepId] ??= {})[e.type] = Number(e.n)
  const numeric = (o: Record<string, number>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [Number(k), Number(v)]))
  return {
    enrollments: Object.fromEntries(Object.entries(raw.enrollments).map(([k, v]) => [k, Number(v)])),
    waitingByPosition: numeric(raw.waiting),
    positions: numeric(raw.positions),
    deliveriesByStep,
    eventsByStep,
  }
}

/** Steps passed without sending on the way to a send (condition false; a channel that cannot reach the contact, with its `reason`): `skipped` deliveries, one statement per batch. */
export async function insertSkippedDeliveries(db: DbOrTx, args: { rows: Array<{ workspaceId: string; sequenceId: string; stepId: string; enrollmentId: string; reason?: string }>; now: Date }): Promise<void> {
  if (args.rows.length === 0) return
  await db.execute(sql`
    INSERT INTO deliveries (workspace_id, sequence_id, step_id, enrollment_id, due_at, state, last_error, last_error_kind, created_at, updated_at)
    SELECT s.workspace_id, s.sequence_id, s.step_id, s.enrollment_id, ${ts(args.now)}, 'skipped', s.reason, CASE WHEN s.reason IS NULL THEN NULL ELSE 'skipped' END, ${ts(args.now)}, ${ts(args.now)}
    FROM jsonb_to_recordset(${json(args.rows.map((r) => snake({ ...r, reason: r.reason ?? null })))}) AS s(workspace_id uuid, sequence_id uuid, step_id uuid, enrollment_id uuid, reason text)
    ON CONFLICT DO NOTHING`)
}

/**
 * Active enrollments of the workspace's active drips due before `until`, grouped by drip, next step
 * and local day in `timeZone` (the calendar's projected email volume; domain/drip/projection.ts).
 */
export async function dueEnrollmentGroups(db: DbOrTx, args: { workspaceId: string; timeZone: string; until: Date }): Promise<Array<{ dripId: string; position: number; count: number; firstDueAt: Date }>> {
  const result = await db.execute(sql`
    SELECT e.sequence_id AS "dripId", e.step_position AS position, count(*)::int AS count, min(e.next_due_at) AS "firstDueAt"
    FROM enrollments e JOIN sequences s ON s.id = e.sequence_id
    WHERE e.workspace_id = ${args.workspaceId} AND s.workspace_id = ${args.workspaceId} AND s.status = 'active'
      AND e.status = 'active' AND e.next_due_at IS NOT NULL AND e.next_due_at < ${ts(args.until)}
    GROUP BY e.sequence_id, e.step_position, (e.next_due_at AT TIME ZONE ${args.timeZone})::date`)
  return rowsOf<{ dripId: string; position: number; count: number; firstDueAt: Date | string }>(result).map((r) => ({
    dripId: r.dripId,
    position: Number(r.position),
    count: Number(r.count),
    firstDueAt: new Date(r.firstDueAt),
  }))
}

/**
 * How many enrollments of a drip each `source` made (`form:<id>`, `event:<name>`, `date:<field>:<year>`, `manual`…):
 * an index-only count over `enrollments_sequence_source_idx`, the drip checked against the workspace first.
 */
export async function countEnrollmentsBySource(db: DbOrTx, args: { workspaceId: string; dripId: string }): Promise<Array<{ source: string; enrolled: number }>> {
  const drip = sql`(SELECT id FROM sequences WHERE id = ${args.dripId} AND workspace_id = ${args.workspaceId})`
  return db
    .select({ source: enrollments.source, enrolled: sql<number>`count(*)::int` })
    .from(enrollments)
    .where(eq(enrollments.sequenceId, drip))
    .groupBy(enrollments.source)
}

/**
 * Something a wait-until step may be waiting for happened to this contact (an API event, an open or click,
 * a field change): its waiting enrollments are due now, so the runner looks again at once instead of at
 * the wait's timeout (decision 096).
 */
export async function wakeWaitingEnrollments(db: DbOrTx, args: { workspaceId: string; contactId: string; now: Date }): Promise<number> {
  // A claimed enrollment (a runner is deciding it, maybe about to settle a wait) only counts the wake:
  // the settlement sees the count changed and keeps it due instead of deferring it to its timeout.
  const rows = rowsOf(
    await db.execute(sql`
      UPDATE enrollments SET wakes = wakes + 1, updated_at = ${ts(args.now)},
        next_due_at = CASE WHEN waiting_since IS NOT NULL AND next_due_at > ${ts(args.now)} THEN ${ts(args.now)} ELSE next_due_at END
      WHERE workspace_id = ${args.workspaceId} AND contact_id = ${args.contactId} AND status = 'active'
        AND ((waiting_since IS NOT NULL AND next_due_at > ${ts(args.now)}) OR (claim_id IS NOT NULL AND claimed_until >= ${ts(args.now)}))
      RETURNING id`),
  )
  return rows.length
}
