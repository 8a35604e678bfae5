CREATE TABLE "post_slot_rollups" (
	"workspace_id" uuid NOT NULL,
	"sequence_id" uuid NOT NULL,
	"network" text NOT NULL,
	"slot" timestamp with time zone NOT NULL,
	"posts" integer DEFAULT 0 NOT NULL,
	"measured" integer DEFAULT 0 NOT NULL,
	"impressions" integer DEFAULT 0 NOT NULL,
	"likes" integer DEFAULT 0 NOT NULL,
	"reposts" integer DEFAULT 0 NOT NULL,
	"replies" integer DEFAULT 0 NOT NULL,
	"quotes" integer DEFAULT 0 NOT NULL,
	"bookmarks" integer DEFAULT 0 NOT NULL,
	"reported_impressions" integer DEFAULT 0 NOT NULL,
	"reported_likes" integer DEFAULT 0 NOT NULL,
	"reported_reposts" integer DEFAULT 0 NOT NULL,
	"reported_replies" integer DEFAULT 0 NOT NULL,
	"reported_quotes" integer DEFAULT 0 NOT NULL,
	"reported_bookmarks" integer DEFAULT 0 NOT NULL,
	"clicks" integer DEFAULT 0 NOT NULL,
	"engagement" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "post_slot_rollups_sequence_id_slot_network_pk" PRIMARY KEY("sequence_id","slot","network")
);
--> statement-breakpoint
ALTER TABLE "post_rollups" ADD COLUMN "posted" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "post_rollups" ADD COLUMN "account_id" uuid;--> statement-breakpoint
ALTER TABLE "post_rollups" ADD COLUMN "network" text;--> statement-breakpoint
ALTER TABLE "post_rollups" ADD COLUMN "published_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "post_rollups" ADD COLUMN "engagement" integer GENERATED ALWAYS AS (coalesce(likes, 0) + coalesce(reposts, 0) + coalesce(replies, 0) + coalesce(quotes, 0) + coalesce(bookmarks, 0) + clicks) STORED NOT NULL;--> statement-breakpoint
ALTER TABLE "post_slot_rollups" ADD CONSTRAINT "post_slot_rollups_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "post_slot_rollups" ADD CONSTRAINT "post_slot_rollups_sequence_id_sequences_id_fk" FOREIGN KEY ("sequence_id") REFERENCES "public"."sequences"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "post_rollups_published_idx" ON "post_rollups" USING btree ("sequence_id","published_at") WHERE posted;--> statement-breakpoint
CREATE INDEX "post_rollups_engagement_idx" ON "post_rollups" USING btree ("sequence_id","engagement" DESC NULLS LAST,"published_at") WHERE posted AND (age IS NOT NULL OR clicks > 0);--> statement-breakpoint
CREATE INDEX "post_rollups_last_click_idx" ON "post_rollups" USING btree ("sequence_id","last_click_day") WHERE posted AND last_click_day IS NOT NULL;--> statement-breakpoint
-- Decision 114: every published post has a post_rollups row (posted, with its account, network and publishing
-- instant), and the posts of a series are summed per network and 15-minute UTC slot in post_slot_rollups, so the
-- series page reads a row per slot for the whole slots of its period and a row per post only for the rest.
-- A post's row from its delivery: kept when the delivery is published, unpublished, moved or re-targeted.
CREATE FUNCTION post_rollups_on_delivery() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO post_rollups AS p (delivery_id, workspace_id, sequence_id, posted, account_id, network, published_at)
  SELECT NEW.id, NEW.workspace_id, NEW.sequence_id, NEW.state = 'published' AND NEW.published_at IS NOT NULL, NEW.account_id, a.kind, NEW.published_at
  FROM accounts a WHERE a.id = NEW.account_id
  ON CONFLICT (delivery_id) DO UPDATE SET sequence_id = excluded.sequence_id, posted = excluded.posted, account_id = excluded.account_id,
    network = excluded.network, published_at = excluded.published_at
  WHERE (p.sequence_id, p.posted, p.account_id, p.network, p.published_at) IS DISTINCT FROM (excluded.sequence_id, excluded.posted, excluded.account_id, excluded.network, excluded.published_at);
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER post_rollups_delivery_insert AFTER INSERT ON deliveries FOR EACH ROW
  WHEN (NEW.account_id IS NOT NULL AND NEW.state = 'published') EXECUTE FUNCTION post_rollups_on_delivery();
--> statement-breakpoint
CREATE TRIGGER post_rollups_delivery_update AFTER UPDATE ON deliveries FOR EACH ROW
  WHEN (NEW.account_id IS NOT NULL AND (OLD.state = 'published' OR NEW.state = 'published')
    AND (OLD.state, OLD.published_at, OLD.account_id, OLD.sequence_id) IS DISTINCT FROM (NEW.state, NEW.published_at, NEW.account_id, NEW.sequence_id))
  EXECUTE FUNCTION post_rollups_on_delivery();
--> statement-breakpoint
-- As 0028's, and a row made by a read carries its post's delivery fields.
CREATE OR REPLACE FUNCTION post_rollups_metrics(p_delivery uuid) RETURNS void LANGUAGE sql AS $$
  INSERT INTO post_rollups AS p (delivery_id, workspace_id, sequence_id, age, impressions, likes, reposts, replies, quotes, bookmarks, posted, account_id, network, published_at)
  SELECT d.id, d.workspace_id, d.sequence_id, m.age, m.impressions, m.likes, m.reposts, m.replies, m.quotes, m.bookmarks,
    d.state = 'published' AND d.account_id IS NOT NULL AND d.published_at IS NOT NULL, d.account_id, a.kind, d.published_at
  FROM deliveries d
  LEFT JOIN accounts a ON a.id = d.account_id
  LEFT JOIN LATERAL (
    SELECT pm.age, pm.impressions, pm.likes, pm.reposts, pm.replies, pm.quotes, pm.bookmarks FROM post_metrics pm
    WHERE pm.delivery_id = d.id AND pm.state = 'done' ORDER BY CASE pm.age WHEN '7d' THEN 3 WHEN '24h' THEN 2 ELSE 1 END DESC LIMIT 1
  ) m ON true
  WHERE d.id = p_delivery
  ON CONFLICT (delivery_id) DO UPDATE SET age = excluded.age, impressions = excluded.impressions, likes = excluded.likes, reposts = excluded.reposts,
    replies = excluded.replies, quotes = excluded.quotes, bookmarks = excluded.bookmarks
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION post_rollups_on_click() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO post_rollups AS p (delivery_id, workspace_id, sequence_id, clicks, last_click_day, posted, account_id, network, published_at)
    SELECT sl.delivery_id, sl.workspace_id, sl.sequence_id, 1, (NEW.clicked_at AT TIME ZONE 'UTC')::date,
      d.state = 'published' AND d.account_id IS NOT NULL AND d.published_at IS NOT NULL, d.account_id, a.kind, d.published_at
    FROM short_links sl JOIN deliveries d ON d.id = sl.delivery_id LEFT JOIN accounts a ON a.id = d.account_id WHERE sl.id = NEW.short_link_id
    ON CONFLICT (delivery_id) DO UPDATE SET clicks = p.clicks + 1, last_click_day = greatest(p.last_click_day, excluded.last_click_day);
  ELSE
    UPDATE post_rollups p SET clicks = p.clicks - 1 FROM short_links sl WHERE sl.id = OLD.short_link_id AND p.delivery_id = sl.delivery_id;
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
-- A posted row's part of its slot, added (sign 1) or taken off (sign -1; only from a slot row that exists, so a
-- cascade that already deleted the series' slots writes nothing).
CREATE FUNCTION post_slot_rollups_add(r post_rollups, sign integer) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF NOT r.posted THEN RETURN; END IF;
  IF sign > 0 THEN
    INSERT INTO post_slot_rollups AS s (workspace_id, sequence_id, network, slot, posts, measured, impressions, likes, reposts, replies, quotes, bookmarks,
      reported_impressions, reported_likes, reported_reposts, reported_replies, reported_quotes, reported_bookmarks, clicks, engagement)
    VALUES (r.workspace_id, r.sequence_id, r.network, date_bin('15 minutes', r.published_at, '2000-01-01 00:00:00+00'), 1, (r.age IS NOT NULL OR r.clicks > 0)::int,
      coalesce(r.impressions, 0), coalesce(r.likes, 0), coalesce(r.reposts, 0), coalesce(r.replies, 0), coalesce(r.quotes, 0), coalesce(r.bookmarks, 0),
      (r.impressions IS NOT NULL)::int, (r.likes IS NOT NULL)::int, (r.reposts IS NOT NULL)::int, (r.replies IS NOT NULL)::int, (r.quotes IS NOT NULL)::int,
      (r.bookmarks IS NOT NULL)::int, r.clicks, r.engagement)
    ON CONFLICT (sequence_id, slot, network) DO UPDATE SET posts = s.posts + 1, measured = s.measured + excluded.measured,
      impressions = s.impressions + excluded.impressions, likes = s.likes + excluded.likes, reposts = s.reposts + excluded.reposts,
      replies = s.replies + excluded.replies, quotes = s.quotes + excluded.quotes, bookmarks = s.bookmarks + excluded.bookmarks,
      reported_impressions = s.reported_impressions + excluded.reported_impressions, reported_likes = s.reported_likes + excluded.reported_likes,
      reported_reposts = s.reported_reposts + excluded.reported_reposts, reported_replies = s.reported_replies + excluded.reported_replies,
      reported_quotes = s.reported_quotes + excluded.reported_quotes, reported_bookmarks = s.reported_bookmarks + excluded.reported_bookmarks,
      clicks = s.clicks + excluded.clicks, engagement = s.engagement + excluded.engagement;
  ELSE
    UPDATE post_slot_rollups s SET posts = s.posts - 1, measured = s.measured - (r.age IS NOT NULL OR r.clicks > 0)::int,
      impressions = s.impressions - coalesce(r.impressions, 0), likes = s.likes - coalesce(r.likes, 0), reposts = s.reposts - coalesce(r.reposts, 0),
      replies = s.replies - coalesce(r.replies, 0), quotes = s.quotes - coalesce(r.quotes, 0), bookmarks = s.bookmarks - coalesce(r.bookmarks, 0),
      reported_impressions = s.reported_impressions - (r.impressions IS NOT NULL)::int, reported_likes = s.reported_likes - (r.likes IS NOT NULL)::int,
      reported_reposts = s.reported_reposts - (r.reposts IS NOT NULL)::int, reported_replies = s.reported_replies - (r.replies IS NOT NULL)::int,
      reported_quotes = s.reported_quotes - (r.quotes IS NOT NULL)::int, reported_bookmarks = s.reported_bookmarks - (r.bookmarks IS NOT NULL)::int,
      clicks = s.clicks - r.clicks, engagement = s.engagement - r.engagement
    WHERE s.sequence_id = r.sequence_id AND s.slot = date_bin('15 minutes', r.published_at, '2000-01-01 00:00:00+00') AND s.network = r.network;
  END IF;
END $$;
--> statement-breakpoint
CREATE FUNCTION post_slot_rollups_on_post() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN PERFORM post_slot_rollups_add(OLD, -1); END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') THEN PERFORM post_slot_rollups_add(NEW, 1); END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER post_slot_rollups_post_insert AFTER INSERT ON post_rollups FOR EACH ROW WHEN (NEW.posted) EXECUTE FUNCTION post_slot_rollups_on_post();
--> statement-breakpoint
CREATE TRIGGER post_slot_rollups_post_delete AFTER DELETE ON post_rollups FOR EACH ROW WHEN (OLD.posted) EXECUTE FUNCTION post_slot_rollups_on_post();
--> statement-breakpoint
CREATE TRIGGER post_slot_rollups_post_update AFTER UPDATE ON post_rollups FOR EACH ROW WHEN ((OLD.posted OR NEW.posted) AND OLD IS DISTINCT FROM NEW)
  EXECUTE FUNCTION post_slot_rollups_on_post();
--> statement-breakpoint
-- A series' rows from scratch (the backfill, and after a bulk import written with the triggers off): every
-- published post and every post with a read or a click, its clicks from link_click_rollups; then its slots
-- summed from those rows.
CREATE OR REPLACE FUNCTION post_rollups_rebuild(p_sequence uuid) RETURNS void LANGUAGE sql AS $$
  DELETE FROM post_slot_rollups WHERE sequence_id = p_sequence;
  DELETE FROM post_rollups WHERE sequence_id = p_sequence;
  INSERT INTO post_rollups (delivery_id, workspace_id, sequence_id, age, impressions, likes, reposts, replies, quotes, bookmarks, clicks, last_click_day, posted, account_id, network, published_at)
  SELECT d.id, d.workspace_id, d.sequence_id, m.age, m.impressions, m.likes, m.reposts, m.replies, m.quotes, m.bookmarks, coalesce(c.clicks, 0), c.last_day,
    d.state = 'published' AND d.account_id IS NOT NULL AND d.published_at IS NOT NULL, d.account_id, a.kind, d.published_at
  FROM deliveries d
  LEFT JOIN accounts a ON a.id = d.account_id
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
  WHERE d.sequence_id = p_sequence AND (m.delivery_id IS NOT NULL OR c.delivery_id IS NOT NULL OR (d.state = 'published' AND d.account_id IS NOT NULL AND d.published_at IS NOT NULL));
  DELETE FROM post_slot_rollups WHERE sequence_id = p_sequence;
  INSERT INTO post_slot_rollups (workspace_id, sequence_id, network, slot, posts, measured, impressions, likes, reposts, replies, quotes, bookmarks,
    reported_impressions, reported_likes, reported_reposts, reported_replies, reported_quotes, reported_bookmarks, clicks, engagement)
  SELECT min(workspace_id::text)::uuid, sequence_id, network, date_bin('15 minutes', published_at, '2000-01-01 00:00:00+00'), count(*), count(*) FILTER (WHERE age IS NOT NULL OR clicks > 0),
    coalesce(sum(impressions), 0), coalesce(sum(likes), 0), coalesce(sum(reposts), 0), coalesce(sum(replies), 0), coalesce(sum(quotes), 0), coalesce(sum(bookmarks), 0),
    count(impressions), count(likes), count(reposts), count(replies), count(quotes), count(bookmarks), sum(clicks), sum(engagement)
  FROM post_rollups WHERE sequence_id = p_sequence AND posted GROUP BY sequence_id, network, 4;
$$;
--> statement-breakpoint
-- Backfill: every series so far.
SELECT post_rollups_rebuild(id) FROM sequences WHERE kind = 'series';
