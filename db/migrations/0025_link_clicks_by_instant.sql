DROP INDEX "link_clicks_link_idx";--> statement-breakpoint
CREATE INDEX "link_clicks_link_at_idx" ON "link_clicks" USING btree ("short_link_id","clicked_at");