ALTER TABLE "series_timings" ADD COLUMN "approval" text DEFAULT 'approved' NOT NULL;--> statement-breakpoint
ALTER TABLE "series_timings" ADD COLUMN "approval_comment" text;--> statement-breakpoint
ALTER TABLE "series_timings" ADD COLUMN "approval_by" uuid;--> statement-breakpoint
ALTER TABLE "series_timings" ADD COLUMN "approval_at" timestamp with time zone;