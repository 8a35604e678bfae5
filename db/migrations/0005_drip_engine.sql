CREATE TABLE "enrollments" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workspace_id" uuid NOT NULL,
	"sequence_id" uuid NOT NULL,
	"contact_id" uuid NOT NULL,
	"cycle" integer DEFAULT 1 NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"step_position" integer DEFAULT 0 NOT NULL,
	"next_due_at" timestamp with time zone,
	"source" text NOT NULL,
	"enroll_key" text,
	"claim_id" uuid,
	"claimed_until" timestamp with time zone,
	"last_sent_at" timestamp with time zone,
	"end_reason" text,
	"started_at" timestamp with time zone NOT NULL,
	"ended_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "deliveries" ALTER COLUMN "account_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "sequence_steps" ADD COLUMN "settings" jsonb;--> statement-breakpoint
ALTER TABLE "sequences" ADD COLUMN "settings" jsonb;--> statement-breakpoint
ALTER TABLE "deliveries" ADD COLUMN "enrollment_id" uuid;--> statement-breakpoint
ALTER TABLE "enrollments" ADD CONSTRAINT "enrollments_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "enrollments" ADD CONSTRAINT "enrollments_sequence_id_sequences_id_fk" FOREIGN KEY ("sequence_id") REFERENCES "public"."sequences"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "enrollments" ADD CONSTRAINT "enrollments_contact_id_contacts_id_fk" FOREIGN KEY ("contact_id") REFERENCES "public"."contacts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "enrollments_cycle_uq" ON "enrollments" USING btree ("sequence_id","contact_id","cycle");--> statement-breakpoint
CREATE UNIQUE INDEX "enrollments_key_uq" ON "enrollments" USING btree ("sequence_id","enroll_key");--> statement-breakpoint
CREATE INDEX "enrollments_due_idx" ON "enrollments" USING btree ("next_due_at","id") WHERE status = 'active';--> statement-breakpoint
CREATE INDEX "enrollments_contact_idx" ON "enrollments" USING btree ("workspace_id","contact_id");--> statement-breakpoint
CREATE INDEX "enrollments_sequence_idx" ON "enrollments" USING btree ("sequence_id","status","step_position");--> statement-breakpoint
ALTER TABLE "deliveries" ADD CONSTRAINT "deliveries_enrollment_id_enrollments_id_fk" FOREIGN KEY ("enrollment_id") REFERENCES "public"."enrollments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "deliveries_enrollment_step_uq" ON "deliveries" USING btree ("enrollment_id","step_id");--> statement-breakpoint
ALTER TABLE "deliveries" ADD CONSTRAINT "deliveries_one_target_ck" CHECK (num_nonnulls("deliveries"."account_id", "deliveries"."enrollment_id") = 1);