CREATE TABLE "score_changes" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"workspace_id" uuid NOT NULL,
	"contact_id" uuid NOT NULL,
	"rule_id" uuid,
	"rule" text NOT NULL,
	"points" double precision NOT NULL,
	"event_id" uuid,
	"occurred_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "score_rules" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workspace_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"event_name" text DEFAULT '' NOT NULL,
	"points" double precision NOT NULL,
	"every_days" integer,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "score_changes" ADD CONSTRAINT "score_changes_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "score_changes" ADD CONSTRAINT "score_changes_contact_id_contacts_id_fk" FOREIGN KEY ("contact_id") REFERENCES "public"."contacts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "score_changes" ADD CONSTRAINT "score_changes_rule_id_score_rules_id_fk" FOREIGN KEY ("rule_id") REFERENCES "public"."score_rules"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "score_changes" ADD CONSTRAINT "score_changes_event_id_contact_events_id_fk" FOREIGN KEY ("event_id") REFERENCES "public"."contact_events"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "score_rules" ADD CONSTRAINT "score_rules_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "score_changes_contact_idx" ON "score_changes" USING btree ("workspace_id","contact_id","occurred_at");--> statement-breakpoint
CREATE INDEX "score_changes_rule_idx" ON "score_changes" USING btree ("rule_id","contact_id","occurred_at");--> statement-breakpoint
CREATE UNIQUE INDEX "score_rules_workspace_kind_event_uq" ON "score_rules" USING btree ("workspace_id","kind","event_name");--> statement-breakpoint
-- The rules a workspace had in email_settings.score_rules move here; every other workspace keeps today's defaults (opened +1, clicked +2).
INSERT INTO "score_rules" ("workspace_id", "kind", "event_name", "points", "created_at", "updated_at")
SELECT s."workspace_id", r->>'on', coalesce(r->>'name', ''), (r->>'points')::double precision, now(), now()
FROM "email_settings" s CROSS JOIN LATERAL jsonb_array_elements(s."score_rules") AS r
WHERE jsonb_typeof(s."score_rules") = 'array' AND r->>'on' IN ('opened', 'clicked', 'event') AND (r->>'points')::double precision <> 0
ON CONFLICT DO NOTHING;--> statement-breakpoint
INSERT INTO "score_rules" ("workspace_id", "kind", "event_name", "points", "created_at", "updated_at")
SELECT w."id", d."kind", '', d."points", now(), now()
FROM "workspaces" w CROSS JOIN (VALUES ('opened', 1::double precision), ('clicked', 2::double precision)) AS d("kind", "points")
WHERE NOT EXISTS (SELECT 1 FROM "email_settings" s WHERE s."workspace_id" = w."id" AND jsonb_typeof(s."score_rules") = 'array');--> statement-breakpoint
ALTER TABLE "email_settings" DROP COLUMN "score_rules";