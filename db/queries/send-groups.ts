import { sql } from 'drizzle-orm'
import type { DbOrTx } from '../client'
import type { MarkResult, SendMark, SendRecord } from './enrollments'
import { executePrepared, json, rowsOf, snake } from './prepared'

/**
 * The drip runner's group commit (decision 099): one statement records the outcomes of a group of
 * messages whose SMTP replies are in (delivery state, enrollment advance, `sent` event: what
 * `recordAndMark` in ./enrollments.ts does for one) and marks the next group `publishing`, checking
 * each contact's status and the suppression list right before that group is sent. Either list may be
 * empty. Returns the mark result of every enrollment in `marks`.
 */


export async function recordAndMarkGroup(db: DbOrTx, args: { records: SendRecord[]; marks: SendMark[] }): Promise<Map<string, MarkResult>> {
  // The rows each part touches, also as id lists, and the state checks written `(…) IS TRUE` (the same test, but
  // no index condition): every lookup below is by primary key (decision 117). Otherwise the planner, with statistics
  // older than a big enrollment or than the step's first thousands of deliveries, scans the state index
  // (`deliveries_state_next_idx`, whose 'publishing' entries pile up until vacuum) or every active enrollment for each group.
  const ids = (values: string[]) => sql`string_to_array(${values.join(',')}, ',')::uuid[]`
  const deliveryIds = ids(args.records.map((r) => r.deliveryId))
  const recordEnrollmentIds = ids(args.records.map((r) => r.enrollmentId))
  const markEnrollmentIds = ids(args.marks.map((m) => m.enrollmentId))
  const markContactIds = ids(args.marks.map((m) => m.contactId))
  const result = await executePrepared(db, sql`
    WITH cfg AS (SELECT set_config('synchronous_commit', 'off', true) AS v), p AS (
      SELECT * FROM jsonb_to_recordset(${json(args.records.map(snake))}) AS x(
        delivery_id uuid, attempt_id uuid, claim_id uuid, state text, remote_id text, last_error text, last_error_kind text,
        enrollment_id uuid, workspace_id uuid, sequence_id uuid, step_id uuid, contact_id uuid,
        status text, step_position int, next_due_at timestamptz, end_reason text, sent_key text, at timestamptz)
    ), pd AS (
      UPDATE deliveries d SET state = p.state, remote_id = p.remote_id, last_error = p.last_error, last_error_kind = p.last_error_kind,
        published_at = CASE WHEN p.state = 'published' THEN p.at ELSE d.published_at END, updated_at = p.at, version = d.version + 1
      FROM p WHERE d.id = p.delivery_id AND d.id = ANY (${deliveryIds}) AND d.attempt_id = p.attempt_id AND (d.state = 'publishing') IS TRUE
      RETURNING d.id
    ), pe AS (
      UPDATE enrollments e SET status = p.status, step_position = p.step_position, next_due_at = p.next_due_at,
        end_reason = COALESCE(p.end_reason, e.end_reason), ended_at = CASE WHEN p.status = 'active' THEN NULL ELSE p.at END,
        last_sent_at = CASE WHEN p.sent_key IS NULL THEN e.last_sent_at ELSE p.at END, waiting_since = NULL,
        claim_id = NULL, claimed_until = NULL, updated_at = p.at
      FROM p WHERE e.id = p.enrollment_id AND e.id = ANY (${recordEnrollmentIds}) AND e.claim_id = p.claim_id AND (e.status = 'active') IS TRUE
      RETURNING e.id
    ), ps AS (
      INSERT INTO contact_events (workspace_id, contact_id, type, event_key, properties, sequence_id, enrollment_id, step_id, score_delta, occurred_at)
      SELECT p.workspace_id, p.contact_id, 'sent', p.sent_key, jsonb_build_object('messageId', p.remote_id, 'purpose', 'marketing'),
             p.sequence_id, p.enrollment_id, p.step_id, 0, p.at
      FROM p WHERE p.sent_key IS NOT NULL
      ON CONFLICT (workspace_id, event_key) DO NOTHING
      RETURNING id
    ), n AS (
      SELECT * FROM jsonb_to_recordset(${json(args.marks.map(snake))}) AS x(
        workspace_id uuid, sequence_id uuid, step_id uuid, enrollment_id uuid, contact_id uuid, claim_id uuid, attempt_id uuid, due_at timestamptz, at timestamptz, channel text)
    ), facts0 AS (
      SELECT n.*, k.status AS contact_status, k.phone, k.sms_consent, k.postal_address,
        EXISTS (SELECT 1 FROM suppressions x WHERE x.workspace_id = n.workspace_id AND x.email = k.email) AS suppressed,
        EXISTS (SELECT 1 FROM suppressions x WHERE x.workspace_id = n.workspace_id AND x.email = k.email AND x.reason = 'complaint') AS complained
      FROM n LEFT JOIN contacts k ON k.id = n.contact_id AND k.id = ANY (${markContactIds})
    ), facts AS (
      -- Who may still be reached on the step's channel (decision 096): texts and postcards go on after an
      -- email unsubscribe or bounce, not after a complaint; actions run for any confirmed contact.
      SELECT f0.*,
        CASE WHEN f0.channel IN ('sms', 'mail') THEN f0.contact_status IN ('subscribed', 'unsubscribed', 'bounced') AND NOT f0.complained
             WHEN f0.channel = 'action' THEN f0.contact_status IS NOT NULL AND f0.contact_status <> 'pending'
             ELSE f0.contact_status = 'subscribed' AND NOT f0.suppressed END AS contact_allowed,
        (f0.channel IS NOT DISTINCT FROM 'sms' AND (f0.phone IS NULL OR f0.sms_consent IS NULL
          OR EXISTS (SELECT 1 FROM sms_suppressions y WHERE y.workspace_id = f0.workspace_id AND y.phone = f0.phone)))
        OR (f0.channel IS NOT DISTINCT FROM 'mail' AND f0.postal_address IS NULL) AS channel_blocked,
        EXISTS (SELECT 1 FROM enrollments e
                WHERE e.id = f0.enrollment_id AND e.id = ANY (${markEnrollmentIds}) AND e.claim_id = f0.claim_id AND (e.status = 'active') IS TRUE
                  AND (SELECT s.status FROM sequences s WHERE s.id = e.sequence_id) = 'active') AS enrollment_active
      FROM facts0 f0
    ), nd AS (
      INSERT INTO deliveries (workspace_id, sequence_id, step_id, enrollment_id, due_at, state, attempt_id, claimed_at, sending_at, attempts, created_at, updated_at)
      SELECT f.workspace_id, f.sequence_id, f.step_id, f.enrollment_id, f.due_at, 'publishing', f.attempt_id, f.at, f.at, 1, f.at, f.at
      FROM facts f WHERE f.contact_allowed AND f.enrollment_active AND NOT f.channel_blocked
      ON CONFLICT (enrollment_id, step_id) WHERE enrollment_id IS NOT NULL DO UPDATE SET attempt_id = excluded.attempt_id, claimed_at = excluded.claimed_at, sending_at = excluded.sending_at,
        attempts = deliveries.attempts + 1, state = 'publishing', version = deliveries.version + 1, updated_at = excluded.updated_at
        WHERE deliveries.state IN ('planned', 'queued', 'publishing')
      RETURNING id, enrollment_id
    )
    SELECT json_build_object(
      'recorded', (SELECT count(*) FROM pd), 'advanced', (SELECT count(*) FROM pe), 'events', (SELECT count(*) FROM ps),
      'marks', (SELECT coalesce(json_agg(json_build_object('enrollmentId', f.enrollment_id, 'marked', nd.id, 'status', f.contact_status, 'suppressed', f.suppressed,
                                                          'enrollmentActive', f.enrollment_active, 'channelBlocked', f.channel_blocked, 'contactAllowed', f.contact_allowed)), '[]'::json)
                FROM facts f LEFT JOIN nd ON nd.enrollment_id = f.enrollment_id),
      'cfg', (SELECT v FROM cfg)
    )::text AS r`)
  const out = JSON.parse(rowsOf<{ r: string }>(result)[0]!.r) as {
    marks: Array<{ enrollmentId: string; marked: string | null; status: string | null; suppressed: boolean | null; enrollmentActive: boolean | null; channelBlocked: boolean | null; contactAllowed: boolean | null }>
  }
  const results = new Map<string, MarkResult>()
  for (const m of out.marks) {
    if (m.marked) results.set(m.enrollmentId, { deliveryId: m.marked, alreadySettled: false })
    else if (m.contactAllowed && m.enrollmentActive && !m.channelBlocked) results.set(m.enrollmentId, { deliveryId: null, alreadySettled: true })
    else results.set(m.enrollmentId, { deliveryId: null, alreadySettled: false, blocked: { status: m.status, suppressed: !!m.suppressed, enrollmentActive: !!m.enrollmentActive, channelBlocked: !!m.channelBlocked, contactAllowed: !!m.contactAllowed } })
  }
  return results
}

/**
 * THE per-message form of the statement above: record one message's outcome and mark the next one, with
 * the same checks. Returns null when there is no next message.
 */
export async function recordAndMark(db: DbOrTx, args: { record: SendRecord | null; mark: SendMark | null }): Promise<MarkResult | null> {
  const results = await recordAndMarkGroup(db, { records: args.record ? [args.record] : [], marks: args.mark ? [args.mark] : [] })
  return args.mark ? (results.get(args.mark.enrollmentId) ?? null) : null
}
