CREATE TABLE "post_rollups" (
	"delivery_id" uuid PRIMARY KEY NOT NULL,
	"workspace_id" uuid NOT NULL,
	"sequence_id" uuid NOT NULL,
	"age" text,
	"impressions" integer,
	"likes" integer,
	"reposts" integer,
	"replies" integer,
	"quotes" integer,
	"bookmarks" integer,
	"clicks" integer DEFAULT 0 NOT NULL,
	"last_click_day" date
);
--> statement-breakpoint
ALTER TABLE "post_rollups" ADD CONSTRAINT "post_rollups_delivery_id_deliveries_id_fk" FOREIGN KEY ("delivery_id") REFERENCES "public"."deliveries"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "post_rollups" ADD CONSTRAINT "post_rollups_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "post_rollups" ADD CONSTRAINT "post_rollups_sequence_id_sequences_id_fk" FOREIGN KEY ("sequence_id") REFERENCES "public"."sequences"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "post_rollups_sequence_idx" ON "post_rollups" USING btree ("sequence_id");--> statement-breakpoint
-- Decision 108: one row per post with its latest metrics read and its short links' clicks, so the series
-- page and the campaign funnel read a row per post, not its reads and its links' days.
-- The latest `done` read of a post (7 d over 24 h over 1 h) into its row; no row for a post that is gone.
CREATE FUNCTION post_rollups_metrics(p_delivery uuid) RETURNS void LANGUAGE sql AS $$
  INSERT INTO post_rollups AS p (delivery_id, workspace_id, sequence_id, age, impressions, likes, reposts, replies, quotes, bookmarks)
  SELECT d.id, d.workspace_id, d.sequence_id, m.age, m.impressions, m.likes, m.reposts, m.replies, m.quotes, m.bookmarks
  FROM deliveries d
  LEFT JOIN LATERAL (
    SELECT pm.age, pm.impressions, pm.likes, pm.reposts, pm.replies, pm.quotes, pm.bookmarks FROM post_metrics pm
    WHERE pm.delivery_id = d.id AND pm.state = 'done' ORDER BY CASE pm.age WHEN '7d' THEN 3 WHEN '24h' THEN 2 ELSE 1 END DESC LIMIT 1
  ) m ON true
  WHERE d.id = p_delivery
  ON CONFLICT (delivery_id) DO UPDATE SET age = excluded.age, impressions = excluded.impressions, likes = excluded.likes, reposts = excluded.reposts,
    replies = excluded.replies, quotes = excluded.quotes, bookmarks = excluded.bookmarks
$$;
--> statement-breakpoint
CREATE FUNCTION post_rollups_on_metrics() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN PERFORM post_rollups_metrics(OLD.delivery_id); END IF;
  IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.delivery_id IS DISTINCT FROM OLD.delivery_id) THEN PERFORM post_rollups_metrics(NEW.delivery_id); END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER post_rollups_metrics AFTER INSERT OR UPDATE OR DELETE ON post_metrics FOR EACH ROW EXECUTE FUNCTION post_rollups_on_metrics();
--> statement-breakpoint
-- A click adds one to its post and moves the last day clicked; a deleted click takes one off (the last day
-- stays: an upper bound, which only makes the page count that post's clicks from link_click_rollups).
CREATE FUNCTION post_rollups_on_click() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO post_rollups AS p (delivery_id, workspace_id, sequence_id, clicks, last_click_day)
    SELECT sl.delivery_id, sl.workspace_id, sl.sequence_id, 1, (NEW.clicked_at AT TIME ZONE 'UTC')::date FROM short_links sl WHERE sl.id = NEW.short_link_id
    ON CONFLICT (delivery_id) DO UPDATE SET clicks = p.clicks + 1, last_click_day = greatest(p.last_click_day, excluded.last_click_day);
  ELSE
    UPDATE post_rollups p SET clicks = p.clicks - 1 FROM short_links sl WHERE sl.id = OLD.short_link_id AND p.delivery_id = sl.delivery_id;
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER post_rollups_click_insert AFTER INSERT ON link_clicks FOR EACH ROW EXECUTE FUNCTION post_rollups_on_click();
--> statement-breakpoint
CREATE TRIGGER post_rollups_click_delete AFTER DELETE ON link_clicks FOR EACH ROW EXECUTE FUNCTION post_rollups_on_click();
--> statement-breakpoint
-- A short link deleted on its own (its clicks go with it, by cascade): its post's clicks from its other links.
CREATE FUNCTION post_rollups_on_link_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE post_rollups p SET clicks = coalesce(c.clicks, 0), last_click_day = c.last_day
  FROM (SELECT sum(r.clicks)::int AS clicks, max(r.day) FILTER (WHERE r.clicks > 0) AS last_day
    FROM short_links sl JOIN link_click_rollups r ON r.short_link_id = sl.id WHERE sl.delivery_id = OLD.delivery_id AND sl.id <> OLD.id) c
  WHERE p.delivery_id = OLD.delivery_id;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER post_rollups_link_delete AFTER DELETE ON short_links FOR EACH ROW EXECUTE FUNCTION post_rollups_on_link_delete();
--> statement-breakpoint
-- A series' rows from scratch (the backfill, and after a bulk import written with the triggers off):
-- every post with a read or a click, its clicks from link_click_rollups.
CREATE FUNCTION post_rollups_rebuild(p_sequence uuid) RETURNS void LANGUAGE sql AS $$
  DELETE FROM post_rollups WHERE sequence_id = p_sequence;
  INSERT INTO post_rollups (delivery_id, workspace_id, sequence_id, age, impressions, likes, reposts, replies, quotes, bookmarks, clicks, last_click_day)
  SELECT d.id, d.workspace_id, d.sequence_id, m.age, m.impressions, m.likes, m.reposts, m.replies, m.quotes, m.bookmarks, coalesce(c.clicks, 0), c.last_day
  FROM deliveries d
  LEFT JOIN (
    SELECT DISTINCT ON (pm.delivery_id) pm.delivery_id, pm.age, pm.impressions, pm.likes, pm.reposts, pm.replies, pm.quotes, pm.bookmarks
    FROM post_metrics pm JOIN deliveries pd ON pd.id = pm.delivery_id AND pd.sequence_id = p_sequence
    WHERE pm.state = 'done' ORDER BY pm.delivery_id, CASE pm.age WHEN '7d' THEN 3 WHEN '24h' THEN 2 ELSE 1 END DESC
  ) m ON m.delivery_id = d.id
  LEFT JOIN (
    SELECT sl.delivery_id, sum(r.clicks)::int AS clicks, max(r.day) FILTER (WHERE r.clicks > 0) AS last_day
    FROM short_links sl JOIN link_click_rollups r ON r.short_link_id = sl.id
    WHERE sl.sequence_id = p_sequence GROUP BY sl.delivery_id
  ) c ON c.delivery_id = d.id
  WHERE d.sequence_id = p_sequence AND (m.delivery_id IS NOT NULL OR c.delivery_id IS NOT NULL);
$$;
--> statement-breakpoint
-- Backfill: every series so far.
SELECT post_rollups_rebuild(id) FROM sequences WHERE kind = 'series';
