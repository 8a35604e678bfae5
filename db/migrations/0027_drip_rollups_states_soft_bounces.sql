CREATE TABLE "link_click_rollups" (
	"short_link_id" uuid NOT NULL,
	"day" date NOT NULL,
	"clicks" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "link_click_rollups_short_link_id_day_pk" PRIMARY KEY("short_link_id","day")
);
--> statement-breakpoint
ALTER TABLE "drip_rollups" ADD COLUMN "any_bounced" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "drip_rollups" ADD COLUMN "review" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "drip_rollups" ADD COLUMN "skipped" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "drip_rollups" ADD COLUMN "failed" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "link_click_rollups" ADD CONSTRAINT "link_click_rollups_short_link_id_short_links_id_fk" FOREIGN KEY ("short_link_id") REFERENCES "public"."short_links"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "enrollments_sequence_source_idx" ON "enrollments" USING btree ("sequence_id","source");--> statement-breakpoint
-- Decision 104: soft bounces (`soft_bounced` events, decision 096) counted in the roll-ups; a message's bounce
-- is any bounce (hard or soft; both = hard) and lowers delivered; the steps' deliveries in `needs_review`,
-- `skipped` and `failed` counted beside `sent` so the drip page and the overview read no raw rows.
DROP FUNCTION drip_rollup_add(uuid, uuid, uuid, date, date, int, int, int, int, int, int, int, int, int);
--> statement-breakpoint
CREATE FUNCTION drip_rollup_add(p_ws uuid, p_seq uuid, p_step uuid, p_cohort date, p_day date,
  d_sent int DEFAULT 0, d_opened int DEFAULT 0, d_clicked int DEFAULT 0, d_unsubscribed int DEFAULT 0, d_bounced int DEFAULT 0,
  d_soft_bounced int DEFAULT 0, d_complained int DEFAULT 0, d_opens int DEFAULT 0, d_clicks int DEFAULT 0,
  d_any_bounced int DEFAULT 0, d_review int DEFAULT 0, d_skipped int DEFAULT 0, d_failed int DEFAULT 0) RETURNS void LANGUAGE sql AS $$
  INSERT INTO drip_rollups AS r (workspace_id, sequence_id, step_id, cohort_day, activity_day, sent, opened, clicked, unsubscribed, bounced, soft_bounced,
    complained, opens, clicks, any_bounced, review, skipped, failed)
  VALUES (p_ws, p_seq, p_step, p_cohort, p_day, d_sent, d_opened, d_clicked, d_unsubscribed, d_bounced, d_soft_bounced, d_complained, d_opens, d_clicks,
    d_any_bounced, d_review, d_skipped, d_failed)
  ON CONFLICT (sequence_id, step_id, cohort_day, activity_day) DO UPDATE SET
    sent = r.sent + excluded.sent, opened = r.opened + excluded.opened, clicked = r.clicked + excluded.clicked,
    unsubscribed = r.unsubscribed + excluded.unsubscribed, bounced = r.bounced + excluded.bounced,
    soft_bounced = r.soft_bounced + excluded.soft_bounced, complained = r.complained + excluded.complained,
    opens = r.opens + excluded.opens, clicks = r.clicks + excluded.clicks, any_bounced = r.any_bounced + excluded.any_bounced,
    review = r.review + excluded.review, skipped = r.skipped + excluded.skipped, failed = r.failed + excluded.failed
$$;
--> statement-breakpoint
-- n (+1 or -1) first activities of one kind on a local day: a link click, or a message counter
-- (kinds: opened, clicked, unsubscribed, bounced = hard, soft_bounced, any_bounced = either, complained).
CREATE OR REPLACE FUNCTION drip_first_count(p_ws uuid, p_seq uuid, p_step uuid, p_kind text, p_url text, p_cohort date, p_day date, n int) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF p_kind = 'link' THEN
    INSERT INTO drip_link_rollups AS r (workspace_id, sequence_id, step_id, url, cohort_day, activity_day, clicks)
    VALUES (p_ws, p_seq, p_step, p_url, p_cohort, p_day, n)
    ON CONFLICT (sequence_id, step_id, url, cohort_day, activity_day) DO UPDATE SET clicks = r.clicks + excluded.clicks;
  ELSE
    PERFORM drip_rollup_add(p_ws, p_seq, p_step, p_cohort, p_day,
      d_opened => CASE WHEN p_kind = 'opened' THEN n ELSE 0 END, d_clicked => CASE WHEN p_kind = 'clicked' THEN n ELSE 0 END,
      d_unsubscribed => CASE WHEN p_kind = 'unsubscribed' THEN n ELSE 0 END, d_bounced => CASE WHEN p_kind = 'bounced' THEN n ELSE 0 END,
      d_soft_bounced => CASE WHEN p_kind = 'soft_bounced' THEN n ELSE 0 END, d_any_bounced => CASE WHEN p_kind = 'any_bounced' THEN n ELSE 0 END,
      d_complained => CASE WHEN p_kind = 'complained' THEN n ELSE 0 END);
  END IF;
END $$;
--> statement-breakpoint
-- A delivery of an enrollment counts on its send instant's local day: sent (published or needs_review),
-- review (needs_review), skipped, failed. A change of state or instant moves its count.
CREATE OR REPLACE FUNCTION drip_rollups_on_delivery() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  tz text; cohort date; old_day date; new_day date; old_state text; new_state text;
BEGIN
  SELECT s.timezone, (e.started_at AT TIME ZONE s.timezone)::date INTO tz, cohort
  FROM enrollments e JOIN sequences s ON s.id = e.sequence_id WHERE e.id = NEW.enrollment_id;
  IF tz IS NULL THEN RETURN NULL; END IF;
  IF TG_OP = 'UPDATE' AND OLD.state IN ('published', 'needs_review', 'skipped', 'failed') THEN
    old_state := OLD.state;
    old_day := (coalesce(OLD.published_at, OLD.sending_at, OLD.due_at) AT TIME ZONE tz)::date;
  END IF;
  IF NEW.state IN ('published', 'needs_review', 'skipped', 'failed') THEN
    new_state := NEW.state;
    new_day := (coalesce(NEW.published_at, NEW.sending_at, NEW.due_at) AT TIME ZONE tz)::date;
  END IF;
  IF old_state IS NOT DISTINCT FROM new_state AND old_day IS NOT DISTINCT FROM new_day THEN RETURN NULL; END IF;
  IF old_state IS NOT NULL THEN
    PERFORM drip_rollup_add(OLD.workspace_id, OLD.sequence_id, OLD.step_id, cohort, old_day,
      d_sent => CASE WHEN old_state IN ('published', 'needs_review') THEN -1 ELSE 0 END, d_review => CASE WHEN old_state = 'needs_review' THEN -1 ELSE 0 END,
      d_skipped => CASE WHEN old_state = 'skipped' THEN -1 ELSE 0 END, d_failed => CASE WHEN old_state = 'failed' THEN -1 ELSE 0 END);
  END IF;
  IF new_state IS NOT NULL THEN
    PERFORM drip_rollup_add(NEW.workspace_id, NEW.sequence_id, NEW.step_id, cohort, new_day,
      d_sent => CASE WHEN new_state IN ('published', 'needs_review') THEN 1 ELSE 0 END, d_review => CASE WHEN new_state = 'needs_review' THEN 1 ELSE 0 END,
      d_skipped => CASE WHEN new_state = 'skipped' THEN 1 ELSE 0 END, d_failed => CASE WHEN new_state = 'failed' THEN 1 ELSE 0 END);
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
DROP TRIGGER drip_rollups_delivery_insert ON deliveries;
--> statement-breakpoint
CREATE TRIGGER drip_rollups_delivery_insert AFTER INSERT ON deliveries FOR EACH ROW
  WHEN (NEW.enrollment_id IS NOT NULL AND NEW.state IN ('published', 'needs_review', 'skipped', 'failed')) EXECUTE FUNCTION drip_rollups_on_delivery();
--> statement-breakpoint
DROP TRIGGER drip_rollups_delivery_update ON deliveries;
--> statement-breakpoint
CREATE TRIGGER drip_rollups_delivery_update AFTER UPDATE ON deliveries FOR EACH ROW
  WHEN (NEW.enrollment_id IS NOT NULL AND (OLD.state IN ('published', 'needs_review', 'skipped', 'failed') OR NEW.state IN ('published', 'needs_review', 'skipped', 'failed')))
  EXECUTE FUNCTION drip_rollups_on_delivery();
--> statement-breakpoint
-- An open, click, unsubscribe, bounce (hard or soft) or complaint of a message: every open and click for the
-- daily chart; the first of each kind (by its instant, whatever order they arrive in) for the per-message counts.
CREATE OR REPLACE FUNCTION drip_rollups_on_activity() RETURNS trigger LANGUAGE plpgsql AS $$
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
    UNION ALL SELECT 'any_bounced', '' WHERE NEW.type IN ('bounced', 'soft_bounced')
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
DROP TRIGGER drip_rollups_activity ON contact_events;
--> statement-breakpoint
CREATE TRIGGER drip_rollups_activity AFTER INSERT ON contact_events FOR EACH ROW
  WHEN (NEW.enrollment_id IS NOT NULL AND NEW.step_id IS NOT NULL AND NEW.sequence_id IS NOT NULL
    AND NEW.type IN ('opened', 'clicked', 'unsubscribed', 'bounced', 'soft_bounced', 'complained')) EXECUTE FUNCTION drip_rollups_on_activity();
--> statement-breakpoint
CREATE OR REPLACE FUNCTION drip_rollups_rebuild(p_seq uuid) RETURNS void LANGUAGE plpgsql AS $$
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
    UNION ALL SELECT 'any_bounced', '' WHERE ce.type IN ('bounced', 'soft_bounced')
    UNION ALL SELECT 'link', ce.properties->>'url' WHERE ce.type = 'clicked' AND ce.properties ? 'url'
  ) k
  WHERE ce.sequence_id = p_seq AND ce.step_id IS NOT NULL AND ce.type IN ('opened', 'clicked', 'unsubscribed', 'bounced', 'soft_bounced', 'complained')
  GROUP BY 1, 2, 3, 4;

  INSERT INTO drip_rollups (workspace_id, sequence_id, step_id, cohort_day, activity_day, sent, opened, clicked, unsubscribed, bounced, soft_bounced, complained,
    opens, clicks, any_bounced, review, skipped, failed)
  SELECT ws, p_seq, step_id, cohort_day, activity_day, sum(sent), sum(opened), sum(clicked), sum(unsubscribed), sum(bounced), sum(soft_bounced), sum(complained),
    sum(opens), sum(clicks), sum(any_bounced), sum(review), sum(skipped), sum(failed)
  FROM (
    SELECT d.step_id, (e.started_at AT TIME ZONE tz)::date AS cohort_day, (coalesce(d.published_at, d.sending_at, d.due_at) AT TIME ZONE tz)::date AS activity_day,
      count(*) FILTER (WHERE d.state IN ('published', 'needs_review')) AS sent, 0 AS opened, 0 AS clicked, 0 AS unsubscribed, 0 AS bounced, 0 AS soft_bounced,
      0 AS complained, 0 AS opens, 0 AS clicks, 0 AS any_bounced, count(*) FILTER (WHERE d.state = 'needs_review') AS review,
      count(*) FILTER (WHERE d.state = 'skipped') AS skipped, count(*) FILTER (WHERE d.state = 'failed') AS failed
    FROM deliveries d JOIN enrollments e ON e.id = d.enrollment_id
    WHERE d.sequence_id = p_seq AND d.enrollment_id IS NOT NULL AND d.state IN ('published', 'needs_review', 'skipped', 'failed')
    GROUP BY 1, 2, 3
    UNION ALL
    SELECT f.step_id, (e.started_at AT TIME ZONE tz)::date, (f.occurred_at AT TIME ZONE tz)::date, 0,
      count(*) FILTER (WHERE f.kind = 'opened'), count(*) FILTER (WHERE f.kind = 'clicked'), count(*) FILTER (WHERE f.kind = 'unsubscribed'),
      count(*) FILTER (WHERE f.kind = 'bounced'), count(*) FILTER (WHERE f.kind = 'soft_bounced'), count(*) FILTER (WHERE f.kind = 'complained'), 0, 0,
      count(*) FILTER (WHERE f.kind = 'any_bounced'), 0, 0, 0
    FROM drip_firsts f JOIN enrollments e ON e.id = f.enrollment_id
    WHERE e.sequence_id = p_seq AND f.kind <> 'link'
    GROUP BY 1, 2, 3
    UNION ALL
    SELECT ce.step_id, (e.started_at AT TIME ZONE tz)::date, (ce.occurred_at AT TIME ZONE tz)::date, 0, 0, 0, 0, 0, 0, 0,
      count(*) FILTER (WHERE ce.type = 'opened'), count(*) FILTER (WHERE ce.type = 'clicked'), 0, 0, 0, 0
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
-- Backfill: every existing drip (the old roll-ups counted no soft bounce and no per-state deliveries).
SELECT drip_rollups_rebuild(id) FROM sequences WHERE kind = 'drip';
--> statement-breakpoint
-- Link clicks per short link and UTC day (decision 104): the series page sums whole days from here and counts
-- the period's partial last day from link_clicks_link_at_idx.
CREATE FUNCTION link_click_rollups_on_click() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO link_click_rollups AS r (short_link_id, day, clicks) VALUES (NEW.short_link_id, (NEW.clicked_at AT TIME ZONE 'UTC')::date, 1)
    ON CONFLICT (short_link_id, day) DO UPDATE SET clicks = r.clicks + 1;
  ELSE
    UPDATE link_click_rollups SET clicks = clicks - 1 WHERE short_link_id = OLD.short_link_id AND day = (OLD.clicked_at AT TIME ZONE 'UTC')::date;
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER link_click_rollups_insert AFTER INSERT ON link_clicks FOR EACH ROW EXECUTE FUNCTION link_click_rollups_on_click();
--> statement-breakpoint
CREATE TRIGGER link_click_rollups_delete AFTER DELETE ON link_clicks FOR EACH ROW EXECUTE FUNCTION link_click_rollups_on_click();
--> statement-breakpoint
-- Backfill: every click so far.
INSERT INTO link_click_rollups (short_link_id, day, clicks)
SELECT short_link_id, (clicked_at AT TIME ZONE 'UTC')::date, count(*) FROM link_clicks GROUP BY 1, 2;
