-- Decision 117: a drip delivery's change of state is counted in drip_rollups once per statement instead of
-- once per row. The row trigger (0027's drip_rollups_on_delivery on UPDATE) ran a PL/pgSQL call, an
-- enrollment + sequence lookup and an upsert of the step's current-day counter for every message: the drip
-- runner records ~5 messages per statement, all on that one hot row, and the trigger was ~40 % of PostgreSQL's
-- CPU per message in bench:drip. This one reads the statement's changed rows (transition tables), computes the
-- same moves as the row version (a -1 where the old state counted, a +1 where the new one does, nothing when
-- neither the counted state nor its local day changed) and writes one upsert per counter row.
-- INSERTs keep the row trigger (it fires only for a delivery inserted already sent, skipped or failed).
CREATE FUNCTION drip_rollups_on_delivery_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  WITH ch AS (
    SELECT n.enrollment_id, o.workspace_id AS o_ws, o.sequence_id AS o_seq, o.step_id AS o_step,
      n.workspace_id AS n_ws, n.sequence_id AS n_seq, n.step_id AS n_step,
      CASE WHEN o.state IN ('published', 'needs_review', 'skipped', 'failed') THEN o.state END AS o_state,
      CASE WHEN n.state IN ('published', 'needs_review', 'skipped', 'failed') THEN n.state END AS n_state,
      coalesce(o.published_at, o.sending_at, o.due_at) AS o_at, coalesce(n.published_at, n.sending_at, n.due_at) AS n_at
    FROM new_rows n JOIN old_rows o ON o.id = n.id
    WHERE n.enrollment_id IS NOT NULL AND (o.state IN ('published', 'needs_review', 'skipped', 'failed') OR n.state IN ('published', 'needs_review', 'skipped', 'failed'))
  ), d AS (
    SELECT ch.*, (e.started_at AT TIME ZONE s.timezone)::date AS cohort,
      CASE WHEN ch.o_state IS NOT NULL THEN (ch.o_at AT TIME ZONE s.timezone)::date END AS o_day,
      CASE WHEN ch.n_state IS NOT NULL THEN (ch.n_at AT TIME ZONE s.timezone)::date END AS n_day
    FROM ch JOIN enrollments e ON e.id = ch.enrollment_id JOIN sequences s ON s.id = e.sequence_id
    WHERE s.timezone IS NOT NULL
  ), moves AS (
    SELECT o_ws AS ws, o_seq AS seq, o_step AS step, cohort, o_day AS day, o_state AS state, -1 AS n FROM d
    WHERE o_state IS NOT NULL AND (o_state IS DISTINCT FROM n_state OR o_day IS DISTINCT FROM n_day)
    UNION ALL
    SELECT n_ws, n_seq, n_step, cohort, n_day, n_state, 1 FROM d
    WHERE n_state IS NOT NULL AND (o_state IS DISTINCT FROM n_state OR o_day IS DISTINCT FROM n_day)
  )
  INSERT INTO drip_rollups AS r (workspace_id, sequence_id, step_id, cohort_day, activity_day, sent, review, skipped, failed)
  SELECT ws, seq, step, cohort, day,
    sum(CASE WHEN state IN ('published', 'needs_review') THEN n ELSE 0 END), sum(CASE WHEN state = 'needs_review' THEN n ELSE 0 END),
    sum(CASE WHEN state = 'skipped' THEN n ELSE 0 END), sum(CASE WHEN state = 'failed' THEN n ELSE 0 END)
  FROM moves GROUP BY ws, seq, step, cohort, day
  -- A fixed order: two statements that change the same counters lock them in the same order.
  ORDER BY seq, step, cohort, day
  ON CONFLICT (sequence_id, step_id, cohort_day, activity_day) DO UPDATE SET
    sent = r.sent + excluded.sent, review = r.review + excluded.review, skipped = r.skipped + excluded.skipped, failed = r.failed + excluded.failed;
  RETURN NULL;
END $$;
--> statement-breakpoint
DROP TRIGGER drip_rollups_delivery_update ON deliveries;
--> statement-breakpoint
CREATE TRIGGER drip_rollups_delivery_update AFTER UPDATE ON deliveries REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION drip_rollups_on_delivery_rows();
