CREATE TABLE "drip_cohort_rollups" (
	"workspace_id" uuid NOT NULL,
	"sequence_id" uuid NOT NULL,
	"cohort_day" date NOT NULL,
	"enrolled" integer DEFAULT 0 NOT NULL,
	"goal_reached" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "drip_cohort_rollups_sequence_id_cohort_day_pk" PRIMARY KEY("sequence_id","cohort_day")
);
--> statement-breakpoint
CREATE TABLE "drip_conversion_rollups" (
	"workspace_id" uuid NOT NULL,
	"sequence_id" uuid NOT NULL,
	"step_id" uuid NOT NULL,
	"currency" text DEFAULT '' NOT NULL,
	"cohort_day" date NOT NULL,
	"activity_day" date NOT NULL,
	"conversions" integer DEFAULT 0 NOT NULL,
	"valued" integer DEFAULT 0 NOT NULL,
	"revenue" double precision DEFAULT 0 NOT NULL,
	CONSTRAINT "drip_conversion_rollups_sequence_id_step_id_currency_cohort_day_activity_day_pk" PRIMARY KEY("sequence_id","step_id","currency","cohort_day","activity_day")
);
--> statement-breakpoint
CREATE TABLE "drip_firsts" (
	"enrollment_id" uuid NOT NULL,
	"step_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"url" text DEFAULT '' NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL,
	CONSTRAINT "drip_firsts_enrollment_id_step_id_kind_url_pk" PRIMARY KEY("enrollment_id","step_id","kind","url")
);
--> statement-breakpoint
CREATE TABLE "drip_link_rollups" (
	"workspace_id" uuid NOT NULL,
	"sequence_id" uuid NOT NULL,
	"step_id" uuid NOT NULL,
	"url" text NOT NULL,
	"cohort_day" date NOT NULL,
	"activity_day" date NOT NULL,
	"clicks" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "drip_link_rollups_sequence_id_step_id_url_cohort_day_activity_day_pk" PRIMARY KEY("sequence_id","step_id","url","cohort_day","activity_day")
);
--> statement-breakpoint
CREATE TABLE "drip_rollups" (
	"workspace_id" uuid NOT NULL,
	"sequence_id" uuid NOT NULL,
	"step_id" uuid NOT NULL,
	"cohort_day" date NOT NULL,
	"activity_day" date NOT NULL,
	"sent" integer DEFAULT 0 NOT NULL,
	"opened" integer DEFAULT 0 NOT NULL,
	"clicked" integer DEFAULT 0 NOT NULL,
	"unsubscribed" integer DEFAULT 0 NOT NULL,
	"bounced" integer DEFAULT 0 NOT NULL,
	"soft_bounced" integer DEFAULT 0 NOT NULL,
	"complained" integer DEFAULT 0 NOT NULL,
	"opens" integer DEFAULT 0 NOT NULL,
	"clicks" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "drip_rollups_sequence_id_step_id_cohort_day_activity_day_pk" PRIMARY KEY("sequence_id","step_id","cohort_day","activity_day")
);
--> statement-breakpoint
ALTER TABLE "sequences" ADD COLUMN "campaign" text;--> statement-breakpoint
ALTER TABLE "drip_cohort_rollups" ADD CONSTRAINT "drip_cohort_rollups_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "drip_cohort_rollups" ADD CONSTRAINT "drip_cohort_rollups_sequence_id_sequences_id_fk" FOREIGN KEY ("sequence_id") REFERENCES "public"."sequences"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "drip_conversion_rollups" ADD CONSTRAINT "drip_conversion_rollups_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "drip_conversion_rollups" ADD CONSTRAINT "drip_conversion_rollups_sequence_id_sequences_id_fk" FOREIGN KEY ("sequence_id") REFERENCES "public"."sequences"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "drip_firsts" ADD CONSTRAINT "drip_firsts_enrollment_id_enrollments_id_fk" FOREIGN KEY ("enrollment_id") REFERENCES "public"."enrollments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "drip_link_rollups" ADD CONSTRAINT "drip_link_rollups_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "drip_link_rollups" ADD CONSTRAINT "drip_link_rollups_sequence_id_sequences_id_fk" FOREIGN KEY ("sequence_id") REFERENCES "public"."sequences"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "drip_rollups" ADD CONSTRAINT "drip_rollups_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "drip_rollups" ADD CONSTRAINT "drip_rollups_sequence_id_sequences_id_fk" FOREIGN KEY ("sequence_id") REFERENCES "public"."sequences"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "sequences_campaign_idx" ON "sequences" USING btree ("workspace_id","campaign") WHERE "sequences"."campaign" is not null;--> statement-breakpoint
-- Roll-ups of the drip analytics (docs/decisions/094-drip-analytics-roll-ups.md), kept by triggers where each
-- fact is written. Days are local days in the drip's zone; sent = state published or needs_review at
-- coalesce(published_at, sending_at, due_at); the attribution window's default (7) is DEFAULT_ATTRIBUTION_DAYS.
CREATE FUNCTION drip_rollup_add(p_ws uuid, p_seq uuid, p_step uuid, p_cohort date, p_day date,
  d_sent int DEFAULT 0, d_opened int DEFAULT 0, d_clicked int DEFAULT 0, d_unsubscribed int DEFAULT 0, d_bounced int DEFAULT 0,
  d_soft_bounced int DEFAULT 0, d_complained int DEFAULT 0, d_opens int DEFAULT 0, d_clicks int DEFAULT 0) RETURNS void LANGUAGE sql AS $$
  INSERT INTO drip_rollups AS r (workspace_id, sequence_id, step_id, cohort_day, activity_day, sent, opened, clicked, unsubscribed, bounced, soft_bounced, complained, opens, clicks)
  VALUES (p_ws, p_seq, p_step, p_cohort, p_day, d_sent, d_opened, d_clicked, d_unsubscribed, d_bounced, d_soft_bounced, d_complained, d_opens, d_clicks)
  ON CONFLICT (sequence_id, step_id, cohort_day, activity_day) DO UPDATE SET
    sent = r.sent + excluded.sent, opened = r.opened + excluded.opened, clicked = r.clicked + excluded.clicked,
    unsubscribed = r.unsubscribed + excluded.unsubscribed, bounced = r.bounced + excluded.bounced,
    soft_bounced = r.soft_bounced + excluded.soft_bounced, complained = r.complained + excluded.complained,
    opens = r.opens + excluded.opens, clicks = r.clicks + excluded.clicks
$$;
--> statement-breakpoint
-- n (+1 or -1) first activities of one kind on a local day: a link click, or a message counter.
CREATE FUNCTION drip_first_count(p_ws uuid, p_seq uuid, p_step uuid, p_kind text, p_url text, p_cohort date, p_day date, n int) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF p_kind = 'link' THEN
    INSERT INTO drip_link_rollups AS r (workspace_id, sequence_id, step_id, url, cohort_day, activity_day, clicks)
    VALUES (p_ws, p_seq, p_step, p_url, p_cohort, p_day, n)
    ON CONFLICT (sequence_id, step_id, url, cohort_day, activity_day) DO UPDATE SET clicks = r.clicks + excluded.clicks;
  ELSE
    PERFORM drip_rollup_add(p_ws, p_seq, p_step, p_cohort, p_day,
      d_opened => CASE WHEN p_kind = 'opened' THEN n ELSE 0 END, d_clicked => CASE WHEN p_kind = 'clicked' THEN n ELSE 0 END,
      d_unsubscribed => CASE WHEN p_kind = 'unsubscribed' THEN n ELSE 0 END, d_bounced => CASE WHEN p_kind = 'bounced' THEN n ELSE 0 END,
      d_soft_bounced => CASE WHEN p_kind = 'bounced_soft' THEN n ELSE 0 END, d_complained => CASE WHEN p_kind = 'complained' THEN n ELSE 0 END);
  END IF;
END $$;
--> statement-breakpoint
CREATE FUNCTION drip_rollups_on_delivery() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  tz text; cohort date; old_day date; new_day date;
BEGIN
  SELECT s.timezone, (e.started_at AT TIME ZONE s.timezone)::date INTO tz, cohort
  FROM enrollments e JOIN sequences s ON s.id = e.sequence_id WHERE e.id = NEW.enrollment_id;
  IF tz IS NULL THEN RETURN NULL; END IF;
  IF TG_OP = 'UPDATE' AND OLD.state IN ('published', 'needs_review') THEN
    old_day := (coalesce(OLD.published_at, OLD.sending_at, OLD.due_at) AT TIME ZONE tz)::date;
  END IF;
  IF NEW.state IN ('published', 'needs_review') THEN
    new_day := (coalesce(NEW.published_at, NEW.sending_at, NEW.due_at) AT TIME ZONE tz)::date;
  END IF;
  IF old_day IS NOT DISTINCT FROM new_day THEN RETURN NULL; END IF;
  IF old_day IS NOT NULL THEN PERFORM drip_rollup_add(OLD.workspace_id, OLD.sequence_id, OLD.step_id, cohort, old_day, d_sent => -1); END IF;
  IF new_day IS NOT NULL THEN PERFORM drip_rollup_add(NEW.workspace_id, NEW.sequence_id, NEW.step_id, cohort, new_day, d_sent => 1); END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER drip_rollups_delivery_insert AFTER INSERT ON deliveries FOR EACH ROW
  WHEN (NEW.enrollment_id IS NOT NULL AND NEW.state IN ('published', 'needs_review')) EXECUTE FUNCTION drip_rollups_on_delivery();
--> statement-breakpoint
CREATE TRIGGER drip_rollups_delivery_update AFTER UPDATE ON deliveries FOR EACH ROW
  WHEN (NEW.enrollment_id IS NOT NULL AND (OLD.state IN ('published', 'needs_review') OR NEW.state IN ('published', 'needs_review'))) EXECUTE FUNCTION drip_rollups_on_delivery();
--> statement-breakpoint
-- An open, click, unsubscribe, bounce or complaint of a message: every open and click for the daily chart;
-- the first of each kind (by its instant, whatever order they arrive in) for the per-message counts.
CREATE FUNCTION drip_rollups_on_activity() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  tz text; cohort date; v_day date; k record; prev timestamptz;
BEGIN
  SELECT s.timezone, (e.started_at AT TIME ZONE s.timezone)::date INTO tz, cohort
  FROM enrollments e JOIN sequences s ON s.id = e.sequence_id WHERE e.id = NEW.enrollment_id;
  IF tz IS NULL THEN RETURN NULL; END IF;
  v_day := (NEW.occurred_at AT TIME ZONE tz)::date;
  IF NEW.type IN ('opened', 'clicked') THEN
    PERFORM drip_rollup_add(NEW.workspace_id, NEW.sequence_id, NEW.step_id, cohort, v_day,
      d_opens => CASE WHEN NEW.type = 'opened' THEN 1 ELSE 0 END, d_clicks => CASE WHEN NEW.type = 'clicked' THEN 1 ELSE 0 END);
  END IF;
  FOR k IN
    SELECT NEW.type::text AS kind, ''::text AS url
    UNION ALL SELECT 'bounced_soft', '' WHERE NEW.type = 'bounced' AND NEW.properties->>'hard' = 'false'
    UNION ALL SELECT 'link', NEW.properties->>'url' WHERE NEW.type = 'clicked' AND NEW.properties ? 'url'
  LOOP
    INSERT INTO drip_firsts (enrollment_id, step_id, kind, url, occurred_at) VALUES (NEW.enrollment_id, NEW.step_id, k.kind, k.url, NEW.occurred_at)
    ON CONFLICT DO NOTHING;
    IF FOUND THEN
      PERFORM drip_first_count(NEW.workspace_id, NEW.sequence_id, NEW.step_id, k.kind, k.url, cohort, v_day, 1);
    ELSE
      SELECT f.occurred_at INTO prev FROM drip_firsts f
      WHERE f.enrollment_id = NEW.enrollment_id AND f.step_id = NEW.step_id AND f.kind = k.kind AND f.url = k.url FOR UPDATE;
      IF NEW.occurred_at < prev THEN
        UPDATE drip_firsts f SET occurred_at = NEW.occurred_at
        WHERE f.enrollment_id = NEW.enrollment_id AND f.step_id = NEW.step_id AND f.kind = k.kind AND f.url = k.url;
        IF (prev AT TIME ZONE tz)::date <> v_day THEN
          PERFORM drip_first_count(NEW.workspace_id, NEW.sequence_id, NEW.step_id, k.kind, k.url, cohort, (prev AT TIME ZONE tz)::date, -1);
          PERFORM drip_first_count(NEW.workspace_id, NEW.sequence_id, NEW.step_id, k.kind, k.url, cohort, v_day, 1);
        END IF;
      END IF;
    END IF;
  END LOOP;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER drip_rollups_activity AFTER INSERT ON contact_events FOR EACH ROW
  WHEN (NEW.enrollment_id IS NOT NULL AND NEW.step_id IS NOT NULL AND NEW.sequence_id IS NOT NULL
    AND NEW.type IN ('opened', 'clicked', 'unsubscribed', 'bounced', 'complained')) EXECUTE FUNCTION drip_rollups_on_activity();
--> statement-breakpoint
-- A goal event: for each drip of the workspace with that goal, a conversion of the last send the contact
-- received at or before it, if within the drip's attribution window (decision 080).
CREATE FUNCTION drip_rollups_on_goal() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  is_valued boolean := coalesce(jsonb_typeof(NEW.properties->'value') = 'number', false);
BEGIN
  INSERT INTO drip_conversion_rollups AS r (workspace_id, sequence_id, step_id, currency, cohort_day, activity_day, conversions, valued, revenue)
  SELECT NEW.workspace_id, s.id, x.step_id, coalesce(NEW.properties->>'currency', ''), (x.started_at AT TIME ZONE s.timezone)::date,
    (NEW.occurred_at AT TIME ZONE s.timezone)::date, 1, CASE WHEN is_valued THEN 1 ELSE 0 END,
    CASE WHEN is_valued THEN (NEW.properties->>'value')::float8 ELSE 0 END
  FROM sequences s
  CROSS JOIN LATERAL (
    SELECT d.step_id, e.started_at, coalesce(d.published_at, d.sending_at, d.due_at) AS sent_at
    FROM deliveries d JOIN enrollments e ON e.id = d.enrollment_id
    WHERE e.workspace_id = NEW.workspace_id AND e.contact_id = NEW.contact_id AND e.sequence_id = s.id
      AND d.workspace_id = NEW.workspace_id AND d.sequence_id = s.id AND d.state IN ('published', 'needs_review')
      AND coalesce(d.published_at, d.sending_at, d.due_at) <= NEW.occurred_at
    ORDER BY 3 DESC LIMIT 1
  ) x
  WHERE s.workspace_id = NEW.workspace_id AND s.kind = 'drip' AND coalesce(s.settings->'goals', '[]'::jsonb) ? NEW.name
    AND NEW.occurred_at <= x.sent_at + make_interval(days => coalesce((s.settings->>'attributionDays')::int, 7))
  ON CONFLICT (sequence_id, step_id, currency, cohort_day, activity_day) DO UPDATE SET
    conversions = r.conversions + excluded.conversions, valued = r.valued + excluded.valued, revenue = r.revenue + excluded.revenue;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER drip_rollups_goal AFTER INSERT ON contact_events FOR EACH ROW
  WHEN (NEW.type = 'event' AND NEW.name IS NOT NULL) EXECUTE FUNCTION drip_rollups_on_goal();
--> statement-breakpoint
CREATE FUNCTION drip_rollups_on_enrollment() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO drip_cohort_rollups AS r (workspace_id, sequence_id, cohort_day, enrolled, goal_reached)
  SELECT NEW.workspace_id, NEW.sequence_id, (NEW.started_at AT TIME ZONE s.timezone)::date,
    CASE WHEN TG_OP = 'INSERT' THEN 1 ELSE 0 END,
    CASE WHEN NEW.status = 'goal_reached' THEN 1 ELSE 0 END - CASE WHEN TG_OP = 'UPDATE' AND OLD.status = 'goal_reached' THEN 1 ELSE 0 END
  FROM sequences s WHERE s.id = NEW.sequence_id
  ON CONFLICT (sequence_id, cohort_day) DO UPDATE SET enrolled = r.enrolled + excluded.enrolled, goal_reached = r.goal_reached + excluded.goal_reached;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER drip_rollups_enrollment_insert AFTER INSERT ON enrollments FOR EACH ROW EXECUTE FUNCTION drip_rollups_on_enrollment();
--> statement-breakpoint
CREATE TRIGGER drip_rollups_enrollment_status AFTER UPDATE OF status ON enrollments FOR EACH ROW
  WHEN (OLD.status IS DISTINCT FROM NEW.status AND (OLD.status = 'goal_reached' OR NEW.status = 'goal_reached')) EXECUTE FUNCTION drip_rollups_on_enrollment();
--> statement-breakpoint
-- One drip's roll-ups from its raw rows: the backfill, and what a change of zone, goals or window runs.
CREATE FUNCTION drip_rollups_rebuild(p_seq uuid) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  ws uuid; tz text; win int; goals jsonb;
BEGIN
  SELECT workspace_id, timezone, coalesce((settings->>'attributionDays')::int, 7), coalesce(settings->'goals', '[]'::jsonb)
  INTO ws, tz, win, goals FROM sequences WHERE id = p_seq;
  DELETE FROM drip_rollups WHERE sequence_id = p_seq;
  DELETE FROM drip_cohort_rollups WHERE sequence_id = p_seq;
  DELETE FROM drip_link_rollups WHERE sequence_id = p_seq;
  DELETE FROM drip_conversion_rollups WHERE sequence_id = p_seq;
  DELETE FROM drip_firsts f USING enrollments e WHERE e.id = f.enrollment_id AND e.sequence_id = p_seq;
  IF ws IS NULL THEN RETURN; END IF;

  INSERT INTO drip_cohort_rollups (workspace_id, sequence_id, cohort_day, enrolled, goal_reached)
  SELECT ws, p_seq, (started_at AT TIME ZONE tz)::date, count(*), count(*) FILTER (WHERE status = 'goal_reached')
  FROM enrollments WHERE sequence_id = p_seq GROUP BY 3;

  INSERT INTO drip_firsts (enrollment_id, step_id, kind, url, occurred_at)
  SELECT ce.enrollment_id, ce.step_id, k.kind, k.url, min(ce.occurred_at)
  FROM contact_events ce JOIN enrollments e ON e.id = ce.enrollment_id
  CROSS JOIN LATERAL (
    SELECT ce.type::text AS kind, ''::text AS url
    UNION ALL SELECT 'bounced_soft', '' WHERE ce.type = 'bounced' AND ce.properties->>'hard' = 'false'
    UNION ALL SELECT 'link', ce.properties->>'url' WHERE ce.type = 'clicked' AND ce.properties ? 'url'
  ) k
  WHERE ce.sequence_id = p_seq AND ce.step_id IS NOT NULL AND ce.type IN ('opened', 'clicked', 'unsubscribed', 'bounced', 'complained')
  GROUP BY 1, 2, 3, 4;

  INSERT INTO drip_rollups (workspace_id, sequence_id, step_id, cohort_day, activity_day, sent, opened, clicked, unsubscribed, bounced, soft_bounced, complained, opens, clicks)
  SELECT ws, p_seq, step_id, cohort_day, activity_day, sum(sent), sum(opened), sum(clicked), sum(unsubscribed), sum(bounced), sum(soft_bounced), sum(complained), sum(opens), sum(clicks)
  FROM (
    SELECT d.step_id, (e.started_at AT TIME ZONE tz)::date AS cohort_day, (coalesce(d.published_at, d.sending_at, d.due_at) AT TIME ZONE tz)::date AS activity_day,
      count(*) AS sent, 0 AS opened, 0 AS clicked, 0 AS unsubscribed, 0 AS bounced, 0 AS soft_bounced, 0 AS complained, 0 AS opens, 0 AS clicks
    FROM deliveries d JOIN enrollments e ON e.id = d.enrollment_id
    WHERE d.sequence_id = p_seq AND d.enrollment_id IS NOT NULL AND d.state IN ('published', 'needs_review')
    GROUP BY 1, 2, 3
    UNION ALL
    SELECT f.step_id, (e.started_at AT TIME ZONE tz)::date, (f.occurred_at AT TIME ZONE tz)::date, 0,
      count(*) FILTER (WHERE f.kind = 'opened'), count(*) FILTER (WHERE f.kind = 'clicked'), count(*) FILTER (WHERE f.kind = 'unsubscribed'),
      count(*) FILTER (WHERE f.kind = 'bounced'), count(*) FILTER (WHERE f.kind = 'bounced_soft'), count(*) FILTER (WHERE f.kind = 'complained'), 0, 0
    FROM drip_firsts f JOIN enrollments e ON e.id = f.enrollment_id
    WHERE e.sequence_id = p_seq AND f.kind <> 'link'
    GROUP BY 1, 2, 3
    UNION ALL
    SELECT ce.step_id, (e.started_at AT TIME ZONE tz)::date, (ce.occurred_at AT TIME ZONE tz)::date, 0, 0, 0, 0, 0, 0, 0,
      count(*) FILTER (WHERE ce.type = 'opened'), count(*) FILTER (WHERE ce.type = 'clicked')
    FROM contact_events ce JOIN enrollments e ON e.id = ce.enrollment_id
    WHERE ce.sequence_id = p_seq AND ce.step_id IS NOT NULL AND ce.type IN ('opened', 'clicked')
    GROUP BY 1, 2, 3
  ) t
  GROUP BY step_id, cohort_day, activity_day;

  INSERT INTO drip_link_rollups (workspace_id, sequence_id, step_id, url, cohort_day, activity_day, clicks)
  SELECT ws, p_seq, f.step_id, f.url, (e.started_at AT TIME ZONE tz)::date, (f.occurred_at AT TIME ZONE tz)::date, count(*)
  FROM drip_firsts f JOIN enrollments e ON e.id = f.enrollment_id
  WHERE e.sequence_id = p_seq AND f.kind = 'link'
  GROUP BY 3, 4, 5, 6;

  INSERT INTO drip_conversion_rollups (workspace_id, sequence_id, step_id, currency, cohort_day, activity_day, conversions, valued, revenue)
  SELECT ws, p_seq, x.step_id, coalesce(g.properties->>'currency', ''), (x.started_at AT TIME ZONE tz)::date, (g.occurred_at AT TIME ZONE tz)::date,
    count(*), count(*) FILTER (WHERE jsonb_typeof(g.properties->'value') = 'number'),
    coalesce(sum((g.properties->>'value')::float8) FILTER (WHERE jsonb_typeof(g.properties->'value') = 'number'), 0)
  FROM (SELECT DISTINCT contact_id FROM enrollments WHERE sequence_id = p_seq) ec
  JOIN contact_events g ON g.workspace_id = ws AND g.contact_id = ec.contact_id AND g.type = 'event'
    AND g.name IN (SELECT jsonb_array_elements_text(goals))
  CROSS JOIN LATERAL (
    SELECT d.step_id, e.started_at, coalesce(d.published_at, d.sending_at, d.due_at) AS sent_at
    FROM deliveries d JOIN enrollments e ON e.id = d.enrollment_id
    WHERE e.workspace_id = ws AND e.contact_id = g.contact_id AND e.sequence_id = p_seq
      AND d.workspace_id = ws AND d.sequence_id = p_seq AND d.state IN ('published', 'needs_review')
      AND coalesce(d.published_at, d.sending_at, d.due_at) <= g.occurred_at
    ORDER BY 3 DESC LIMIT 1
  ) x
  WHERE g.occurred_at <= x.sent_at + make_interval(days => win)
  GROUP BY 3, 4, 5, 6;
END $$;
--> statement-breakpoint
CREATE FUNCTION drip_rollups_on_settings() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM drip_rollups_rebuild(NEW.id);
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER drip_rollups_settings AFTER UPDATE OF timezone, settings ON sequences FOR EACH ROW
  WHEN (NEW.kind = 'drip' AND (OLD.timezone IS DISTINCT FROM NEW.timezone OR OLD.settings->'goals' IS DISTINCT FROM NEW.settings->'goals'
    OR OLD.settings->'attributionDays' IS DISTINCT FROM NEW.settings->'attributionDays')) EXECUTE FUNCTION drip_rollups_on_settings();
--> statement-breakpoint
-- Backfill: every existing drip.
SELECT drip_rollups_rebuild(id) FROM sequences WHERE kind = 'drip';
