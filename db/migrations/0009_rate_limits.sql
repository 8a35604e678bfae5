-- Counters of the public forms' rate limits (rate-limiter-flexible's RateLimiterDrizzle), shared by every web
-- process (decision 064). Rows expire; the limiter deletes those an hour past their expiry.
CREATE TABLE "rate_limits" (
	"key" text PRIMARY KEY NOT NULL,
	"points" integer NOT NULL,
	"expire" timestamp with time zone
);
