-- Decision 124: the drip runner's group statement (db/queries/send-groups.ts recordAndMarkGroup, decision 099)
-- as a function whose plan is made once per connection. Sent as one statement with its values inline in the
-- plan, PostgreSQL planned it again for every group: ~0.9 ms of planning for ~1.6 ms of execution, a third
-- of its CPU per message in bench:drip. A cached generic plan made from statistics that are old or of an
-- empty table scanned `deliveries` (decision 121), so the function's planner settings leave it one shape,
-- whatever the statistics: every row is looked up by primary key (nested loops over index scans; the two
-- updates take their rows' ids as one array, so the table is never the outer side of the join), which is
-- what a group of at most a send window of rows wants. The body is the statement of decision 117 with its
-- lookups written as joins (see facts0).
-- synchronous_commit is set for the caller's transaction (set_config local: it outlives the call).
CREATE FUNCTION drip_record_and_mark_group(record_rows jsonb, mark_rows jsonb) RETURNS text LANGUAGE plpgsql
  SET plan_cache_mode = force_generic_plan SET enable_seqscan = off SET enable_hashjoin = off SET enable_mergejoin = off
AS $$
DECLARE
  result text;
BEGIN
  PERFORM set_config('synchronous_commit', 'off', true);
  WITH p AS (
    SELECT * FROM jsonb_to_recordset(record_rows) AS x(
      delivery_id uuid, attempt_id uuid, claim_id uuid, state text, remote_id text, last_error text, last_error_kind text,
      enrollment_id uuid, workspace_id uuid, sequence_id uuid, step_id uuid, contact_id uuid,
      status text, step_position int, next_due_at timestamptz, end_reason text, sent_key text, at timestamptz)
  ), pd AS (
    UPDATE deliveries d SET state = p.state, remote_id = p.remote_id, last_error = p.last_error, last_error_kind = p.last_error_kind,
      published_at = CASE WHEN p.state = 'published' THEN p.at ELSE d.published_at END, updated_at = p.at, version = d.version + 1
    FROM p WHERE d.id = ANY (ARRAY(SELECT delivery_id FROM p)) AND d.id = p.delivery_id AND d.attempt_id = p.attempt_id AND (d.state = 'publishing') IS TRUE
    RETURNING d.id
  ), pe AS (
    UPDATE enrollments e SET status = p.status, step_position = p.step_position, next_due_at = p.next_due_at,
      end_reason = COALESCE(p.end_reason, e.end_reason), ended_at = CASE WHEN p.status = 'active' THEN NULL ELSE p.at END,
      last_sent_at = CASE WHEN p.sent_key IS NULL THEN e.last_sent_at ELSE p.at END, waiting_since = NULL,
      claim_id = NULL, claimed_until = NULL, updated_at = p.at
    FROM p WHERE e.id = ANY (ARRAY(SELECT enrollment_id FROM p)) AND e.id = p.enrollment_id AND e.claim_id = p.claim_id AND (e.status = 'active') IS TRUE
    RETURNING e.id
  ), ps AS (
    INSERT INTO contact_events (workspace_id, contact_id, type, event_key, properties, sequence_id, enrollment_id, step_id, score_delta, occurred_at)
    SELECT p.workspace_id, p.contact_id, 'sent', p.sent_key, jsonb_build_object('messageId', p.remote_id, 'purpose', 'marketing'),
           p.sequence_id, p.enrollment_id, p.step_id, 0, p.at
    FROM p WHERE p.sent_key IS NOT NULL
    ON CONFLICT (workspace_id, event_key) DO NOTHING
    RETURNING id
  ), n AS (
    SELECT * FROM jsonb_to_recordset(mark_rows) AS x(
      workspace_id uuid, sequence_id uuid, step_id uuid, enrollment_id uuid, contact_id uuid, claim_id uuid, attempt_id uuid, due_at timestamptz, at timestamptz, channel text)
  ), facts0 AS (
    -- Each lookup a join on a unique key, never an EXISTS: PostgreSQL may answer an EXISTS by hashing the whole
    -- table once per statement, which a plan made once keeps however big the table grows.
    SELECT n.*, k.status AS contact_status, k.phone, k.sms_consent, k.postal_address,
      x.workspace_id IS NOT NULL AS suppressed, coalesce(x.reason = 'complaint', false) AS complained,
      y.workspace_id IS NOT NULL AS sms_suppressed, coalesce(s.status = 'active', false) AS enrollment_active
    FROM n
    LEFT JOIN contacts k ON k.id = n.contact_id
    LEFT JOIN suppressions x ON x.workspace_id = n.workspace_id AND x.email = k.email
    LEFT JOIN sms_suppressions y ON n.channel = 'sms' AND y.workspace_id = n.workspace_id AND y.phone = k.phone
    LEFT JOIN enrollments e ON e.id = n.enrollment_id AND e.claim_id = n.claim_id AND (e.status = 'active') IS TRUE
    LEFT JOIN sequences s ON s.id = e.sequence_id
  ), facts AS (
    -- Who may still be reached on the step's channel (decision 096): texts and postcards go on after an
    -- email unsubscribe or bounce, not after a complaint; actions run for any confirmed contact.
    SELECT f0.*,
      CASE WHEN f0.channel IN ('sms', 'mail') THEN f0.contact_status IN ('subscribed', 'unsubscribed', 'bounced') AND NOT f0.complained
           WHEN f0.channel = 'action' THEN f0.contact_status IS NOT NULL AND f0.contact_status <> 'pending'
           ELSE f0.contact_status = 'subscribed' AND NOT f0.suppressed END AS contact_allowed,
      (f0.channel IS NOT DISTINCT FROM 'sms' AND (f0.phone IS NULL OR f0.sms_consent IS NULL OR f0.sms_suppressed))
      OR (f0.channel IS NOT DISTINCT FROM 'mail' AND f0.postal_address IS NULL) AS channel_blocked
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
              FROM facts f LEFT JOIN nd ON nd.enrollment_id = f.enrollment_id)
  )::text INTO result;
  RETURN result;
END
$$;
