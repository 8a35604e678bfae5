CREATE TABLE "post_slot_changes" (
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
	"engagement" integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
-- Decision 116: the slot rows of decision 114 become the folded part (renamed, data kept); the view
-- post_slot_rollups below sums them with the changes not yet folded.
ALTER TABLE "post_slot_rollups" RENAME TO "post_slot_rollups_folded";--> statement-breakpoint
ALTER TABLE "post_slot_rollups_folded" RENAME CONSTRAINT "post_slot_rollups_sequence_id_slot_network_pk" TO "post_slot_rollups_folded_sequence_id_slot_network_pk";--> statement-breakpoint
ALTER TABLE "post_slot_rollups_folded" RENAME CONSTRAINT "post_slot_rollups_workspace_id_workspaces_id_fk" TO "post_slot_rollups_folded_workspace_id_workspaces_id_fk";--> statement-breakpoint
ALTER TABLE "post_slot_rollups_folded" RENAME CONSTRAINT "post_slot_rollups_sequence_id_sequences_id_fk" TO "post_slot_rollups_folded_sequence_id_sequences_id_fk";--> statement-breakpoint
CREATE INDEX "post_slot_changes_sequence_slot_idx" ON "post_slot_changes" USING btree ("sequence_id","slot");--> statement-breakpoint
-- Decision 116: a posted row's part of its slot goes into post_slot_changes, added (sign 1) or taken off (sign -1),
-- as an insert: no row shared by concurrent publishes of one slot. Nothing is written for a series that is gone
-- (a cascade deleting it), as decision 114's take-off wrote nothing once the cascade had deleted its slots.
CREATE OR REPLACE FUNCTION post_slot_rollups_add(r post_rollups, sign integer) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF NOT r.posted THEN RETURN; END IF;
  INSERT INTO post_slot_changes (workspace_id, sequence_id, network, slot, posts, measured, impressions, likes, reposts, replies, quotes, bookmarks,
    reported_impressions, reported_likes, reported_reposts, reported_replies, reported_quotes, reported_bookmarks, clicks, engagement)
  SELECT r.workspace_id, r.sequence_id, r.network, date_bin('15 minutes', r.published_at, '2000-01-01 00:00:00+00'), sign, sign * (r.age IS NOT NULL OR r.clicks > 0)::int,
    sign * coalesce(r.impressions, 0), sign * coalesce(r.likes, 0), sign * coalesce(r.reposts, 0), sign * coalesce(r.replies, 0), sign * coalesce(r.quotes, 0),
    sign * coalesce(r.bookmarks, 0), sign * (r.impressions IS NOT NULL)::int, sign * (r.likes IS NOT NULL)::int, sign * (r.reposts IS NOT NULL)::int,
    sign * (r.replies IS NOT NULL)::int, sign * (r.quotes IS NOT NULL)::int, sign * (r.bookmarks IS NOT NULL)::int, sign * r.clicks, sign * r.engagement
  WHERE EXISTS (SELECT 1 FROM sequences s WHERE s.id = r.sequence_id);
END $$;
--> statement-breakpoint
-- The slots as a reader sees them: the folded rows plus the changes not yet folded, in one snapshot.
CREATE VIEW post_slot_rollups AS
SELECT workspace_id, sequence_id, network, slot, sum(posts)::int AS posts, sum(measured)::int AS measured, sum(impressions)::int AS impressions,
  sum(likes)::int AS likes, sum(reposts)::int AS reposts, sum(replies)::int AS replies, sum(quotes)::int AS quotes, sum(bookmarks)::int AS bookmarks,
  sum(reported_impressions)::int AS reported_impressions, sum(reported_likes)::int AS reported_likes, sum(reported_reposts)::int AS reported_reposts,
  sum(reported_replies)::int AS reported_replies, sum(reported_quotes)::int AS reported_quotes, sum(reported_bookmarks)::int AS reported_bookmarks,
  sum(clicks)::int AS clicks, sum(engagement)::int AS engagement
FROM (SELECT * FROM post_slot_rollups_folded UNION ALL SELECT * FROM post_slot_changes) u
GROUP BY workspace_id, sequence_id, network, slot;
--> statement-breakpoint
-- Move every committed change into the folded rows, in one transaction (a crash rolls back both sides; a change
-- is deleted by exactly one fold). Folds are serialized by an advisory lock (a fold finding one held returns
-- 0: the running fold does the work); slot rows are upserted in key order. Changes of a series that is gone are
-- dropped. Returns the number of changes folded.
CREATE FUNCTION post_slot_rollups_fold() RETURNS integer LANGUAGE plpgsql AS $$
DECLARE folded integer;
BEGIN
  IF NOT pg_try_advisory_xact_lock(hashtext('trickle.post_slot_rollups_fold')) THEN RETURN 0; END IF;
  WITH moved AS (DELETE FROM post_slot_changes RETURNING *),
  summed AS (
    SELECT m.sequence_id, m.network, m.slot, min(m.workspace_id::text)::uuid AS workspace_id, count(*)::int AS n, sum(posts)::int AS posts, sum(measured)::int AS measured,
      sum(impressions)::int AS impressions, sum(likes)::int AS likes, sum(reposts)::int AS reposts, sum(replies)::int AS replies, sum(quotes)::int AS quotes,
      sum(bookmarks)::int AS bookmarks, sum(reported_impressions)::int AS reported_impressions, sum(reported_likes)::int AS reported_likes,
      sum(reported_reposts)::int AS reported_reposts, sum(reported_replies)::int AS reported_replies, sum(reported_quotes)::int AS reported_quotes,
      sum(reported_bookmarks)::int AS reported_bookmarks, sum(clicks)::int AS clicks, sum(engagement)::int AS engagement
    FROM moved m GROUP BY 1, 2, 3
  ), upserted AS (
    INSERT INTO post_slot_rollups_folded AS s (workspace_id, sequence_id, network, slot, posts, measured, impressions, likes, reposts, replies, quotes, bookmarks,
      reported_impressions, reported_likes, reported_reposts, reported_replies, reported_quotes, reported_bookmarks, clicks, engagement)
    SELECT c.workspace_id, c.sequence_id, c.network, c.slot, c.posts, c.measured, c.impressions, c.likes, c.reposts, c.replies, c.quotes, c.bookmarks,
      c.reported_impressions, c.reported_likes, c.reported_reposts, c.reported_replies, c.reported_quotes, c.reported_bookmarks, c.clicks, c.engagement
    FROM summed c WHERE EXISTS (SELECT 1 FROM sequences q WHERE q.id = c.sequence_id)
    ORDER BY c.sequence_id, c.slot, c.network
    ON CONFLICT (sequence_id, slot, network) DO UPDATE SET posts = s.posts + excluded.posts, measured = s.measured + excluded.measured,
      impressions = s.impressions + excluded.impressions, likes = s.likes + excluded.likes, reposts = s.reposts + excluded.reposts,
      replies = s.replies + excluded.replies, quotes = s.quotes + excluded.quotes, bookmarks = s.bookmarks + excluded.bookmarks,
      reported_impressions = s.reported_impressions + excluded.reported_impressions, reported_likes = s.reported_likes + excluded.reported_likes,
      reported_reposts = s.reported_reposts + excluded.reported_reposts, reported_replies = s.reported_replies + excluded.reported_replies,
      reported_quotes = s.reported_quotes + excluded.reported_quotes, reported_bookmarks = s.reported_bookmarks + excluded.reported_bookmarks,
      clicks = s.clicks + excluded.clicks, engagement = s.engagement + excluded.engagement
    RETURNING 1
  )
  SELECT coalesce(sum(n), 0)::int INTO folded FROM summed;
  RETURN folded;
END $$;
--> statement-breakpoint
-- As 0031's, on the folded rows; the series' changes are deleted (its slots are summed from its posts), under
-- the fold's lock so a concurrent fold cannot add changes the rebuild already counted.
CREATE OR REPLACE FUNCTION post_rollups_rebuild(p_sequence uuid) RETURNS void LANGUAGE sql AS $$
  SELECT pg_advisory_xact_lock(hashtext('trickle.post_slot_rollups_fold'));
  DELETE FROM post_slot_rollups_folded WHERE sequence_id = p_sequence;
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
  DELETE FROM post_slot_rollups_folded WHERE sequence_id = p_sequence;
  DELETE FROM post_slot_changes WHERE sequence_id = p_sequence;
  INSERT INTO post_slot_rollups_folded (workspace_id, sequence_id, network, slot, posts, measured, impressions, likes, reposts, replies, quotes, bookmarks,
    reported_impressions, reported_likes, reported_reposts, reported_replies, reported_quotes, reported_bookmarks, clicks, engagement)
  SELECT min(workspace_id::text)::uuid, sequence_id, network, date_bin('15 minutes', published_at, '2000-01-01 00:00:00+00'), count(*), count(*) FILTER (WHERE age IS NOT NULL OR clicks > 0),
    coalesce(sum(impressions), 0), coalesce(sum(likes), 0), coalesce(sum(reposts), 0), coalesce(sum(replies), 0), coalesce(sum(quotes), 0), coalesce(sum(bookmarks), 0),
    count(impressions), count(likes), count(reposts), count(replies), count(quotes), count(bookmarks), sum(clicks), sum(engagement)
  FROM post_rollups WHERE sequence_id = p_sequence AND posted GROUP BY sequence_id, network, 4;
$$;
--> statement-breakpoint
-- The changes have no foreign keys (no key-share lock on the series' row per publish): a deleted series takes its
-- changes along here, as the cascade takes its folded rows.
CREATE FUNCTION post_slot_changes_on_sequence_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM post_slot_changes WHERE sequence_id = OLD.id;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER post_slot_changes_sequence_delete AFTER DELETE ON sequences FOR EACH ROW WHEN (OLD.kind = 'series') EXECUTE FUNCTION post_slot_changes_on_sequence_delete();
