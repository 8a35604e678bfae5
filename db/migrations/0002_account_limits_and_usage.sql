ALTER TABLE "accounts" ADD COLUMN "max_post_length" integer;--> statement-breakpoint
ALTER TABLE "accounts" ADD COLUMN "usage_day" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "accounts" ADD COLUMN "usage_count" integer DEFAULT 0 NOT NULL;