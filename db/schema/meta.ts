import { integer, pgTable, text } from 'drizzle-orm/pg-core'
import { instant } from './columns'

/** Process heartbeats (web and worker), read by /healthz. */
export const heartbeats = pgTable('heartbeats', {
  id: text('id').primaryKey(),
  role: text('role').notNull(),
  beatAt: instant('beat_at').notNull(),
})

/**
 * Counters of rate-limiter-flexible's RateLimiterDrizzle (public signup forms per IP and per form):
 * one row per key, shared by every web process (decision 064).
 */
export const rateLimits = pgTable('rate_limits', {
  key: text('key').primaryKey(),
  points: integer('points').notNull(),
  expire: instant('expire'),
})
