CREATE TABLE "drip_segment_members" (
	"workspace_id" uuid NOT NULL,
	"sequence_id" uuid NOT NULL,
	"contact_id" uuid NOT NULL,
	"in_segment" boolean NOT NULL,
	"entries" integer NOT NULL,
	"seen_at" timestamp with time zone NOT NULL,
	"changed_at" timestamp with time zone NOT NULL,
	CONSTRAINT "drip_segment_members_sequence_id_contact_id_pk" PRIMARY KEY("sequence_id","contact_id")
);
--> statement-breakpoint
ALTER TABLE "drip_segment_members" ADD CONSTRAINT "drip_segment_members_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "drip_segment_members" ADD CONSTRAINT "drip_segment_members_sequence_id_sequences_id_fk" FOREIGN KEY ("sequence_id") REFERENCES "public"."sequences"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "drip_segment_members" ADD CONSTRAINT "drip_segment_members_contact_id_contacts_id_fk" FOREIGN KEY ("contact_id") REFERENCES "public"."contacts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "drip_segment_members_in_idx" ON "drip_segment_members" USING btree ("sequence_id","seen_at") WHERE in_segment;