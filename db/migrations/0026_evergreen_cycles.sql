DROP INDEX "deliveries_target_uq";--> statement-breakpoint
ALTER TABLE "deliveries" ADD COLUMN "cycle" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "series_timings" ADD COLUMN "evergreen" jsonb;--> statement-breakpoint
CREATE UNIQUE INDEX "deliveries_target_uq" ON "deliveries" USING btree ("sequence_id","step_id","account_id","cycle") WHERE "deliveries"."account_id" is not null;