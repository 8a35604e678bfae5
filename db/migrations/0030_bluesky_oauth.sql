CREATE TABLE "bluesky_oauth_entries" (
	"kind" text NOT NULL,
	"key" text NOT NULL,
	"sealed" text NOT NULL,
	"expires_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "bluesky_oauth_entries_kind_key_pk" PRIMARY KEY("kind","key")
);
