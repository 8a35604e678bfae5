-- Several triggers per drip (docs/decisions/071-several-triggers-per-drip.md).
-- 1. Segment-entry bookkeeping is per drip AND segment: a drip may have several segment triggers.
ALTER TABLE "drip_segment_members" ADD COLUMN "segment_id" uuid;--> statement-breakpoint
UPDATE "drip_segment_members" m SET "segment_id" = (s."settings"->'trigger'->>'segmentId')::uuid
  FROM "sequences" s WHERE s."id" = m."sequence_id" AND s."settings"->'trigger'->>'kind' = 'segment';--> statement-breakpoint
DELETE FROM "drip_segment_members" m WHERE m."segment_id" IS NULL OR NOT EXISTS (SELECT 1 FROM "segments" g WHERE g."id" = m."segment_id");--> statement-breakpoint
ALTER TABLE "drip_segment_members" ALTER COLUMN "segment_id" SET NOT NULL;--> statement-breakpoint
DROP INDEX "drip_segment_members_in_idx";--> statement-breakpoint
ALTER TABLE "drip_segment_members" DROP CONSTRAINT "drip_segment_members_sequence_id_contact_id_pk";--> statement-breakpoint
ALTER TABLE "drip_segment_members" ADD CONSTRAINT "drip_segment_members_sequence_id_segment_id_contact_id_pk" PRIMARY KEY("sequence_id","segment_id","contact_id");--> statement-breakpoint
ALTER TABLE "drip_segment_members" ADD CONSTRAINT "drip_segment_members_segment_id_segments_id_fk" FOREIGN KEY ("segment_id") REFERENCES "public"."segments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "drip_segment_members_in_idx" ON "drip_segment_members" USING btree ("sequence_id","segment_id","seen_at") WHERE in_segment;--> statement-breakpoint
-- 2. A drip's single `settings.trigger` becomes `settings.triggers: [trigger]`: one stored shape.
UPDATE "sequences" SET "settings" = ("settings" - 'trigger') || jsonb_build_object('triggers', jsonb_build_array("settings"->'trigger'))
  WHERE "kind" = 'drip' AND "settings" ? 'trigger' AND NOT "settings" ? 'triggers';
