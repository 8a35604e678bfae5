ALTER TABLE "contact_imports" ADD COLUMN "kind" text DEFAULT 'contacts' NOT NULL;--> statement-breakpoint
ALTER TABLE "contact_imports" ADD COLUMN "sequence_id" uuid;--> statement-breakpoint
ALTER TABLE "contact_imports" ADD COLUMN "segment_id" uuid;--> statement-breakpoint
ALTER TABLE "contact_imports" ADD COLUMN "rows" jsonb;--> statement-breakpoint
ALTER TABLE "contact_imports" ADD COLUMN "cursor" text;--> statement-breakpoint
ALTER TABLE "contact_imports" ADD COLUMN "existing_rows" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "contact_imports" ADD COLUMN "suppressed_rows" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "contact_imports" ADD COLUMN "invalid_rows" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "contact_imports" ADD COLUMN "started_by" text;--> statement-breakpoint
ALTER TABLE "contact_imports" ADD CONSTRAINT "contact_imports_sequence_id_sequences_id_fk" FOREIGN KEY ("sequence_id") REFERENCES "public"."sequences"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "contact_imports_sequence_idx" ON "contact_imports" USING btree ("sequence_id","created_at");