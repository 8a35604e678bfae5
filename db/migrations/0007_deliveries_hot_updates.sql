DROP INDEX "deliveries_target_uq";--> statement-breakpoint
DROP INDEX "deliveries_enrollment_step_uq";--> statement-breakpoint
CREATE UNIQUE INDEX "deliveries_target_uq" ON "deliveries" USING btree ("sequence_id","step_id","account_id") WHERE "deliveries"."account_id" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "deliveries_enrollment_step_uq" ON "deliveries" USING btree ("enrollment_id","step_id") WHERE "deliveries"."enrollment_id" is not null;--> statement-breakpoint
-- Each publish updates its delivery three times (claim, sending marker, outcome). Free room on every page
-- lets the new row version stay on its page; the sending marker changes no indexed column, so it becomes a
-- HOT update (no new index entries). Applies to pages written from now on (decision 020).
ALTER TABLE "deliveries" SET (fillfactor = 80);
