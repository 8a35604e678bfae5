import { sql } from 'drizzle-orm'
import { boolean, date, index, integer, pgTable, primaryKey, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core'
import { counter, instant } from './columns'
import { deliveries } from './deliveries'
import { sequenceSteps, sequences } from './sequences'
import { workspaceRef } from './workspaces'

/**
 * A short link `APP_URL/l/{code}` that a published post carries instead of the link written in the
 * step (docs/decisions/084-short-links-and-post-metrics.md). One per delivery and link: a retried
 * publish, or the reconciler's lookup, rewrites the text to the same codes.
 */
export const shortLinks = pgTable(
  'short_links',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    workspaceId: workspaceRef(),
    /** 16 characters of base64url from 96 random bits; unique across the installation. */
    code: text('code').notNull(),
    deliveryId: uuid('delivery_id')
      .notNull()
      .references(() => deliveries.id, { onDelete: 'cascade' }),
    sequenceId: uuid('sequence_id')
      .notNull()
      .references(() => sequences.id, { onDelete: 'cascade' }),
    stepId: uuid('step_id')
      .notNull()
      .references(() => sequenceSteps.id, { onDelete: 'cascade' }),
    /** The account's connector kind (x, mastodon, bluesky…): the click's `utm_source`. */
    network: text('network').notNull(),
    /** The link as written in the step. */
    originalUrl: text('original_url').notNull(),
    /** Where `/l/{code}` redirects: the original link with the UTM parameters. */
    targetUrl: text('target_url').notNull(),
    createdAt: instant('created_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('short_links_code_uq').on(t.code),
    uniqueIndex('short_links_delivery_url_uq').on(t.deliveryId, t.originalUrl),
    index('short_links_sequence_idx').on(t.workspaceId, t.sequenceId),
  ],
)

/** One click on a short link by a person (requests whose user agent is a bot are not recorded). */
export const linkClicks = pgTable(
  'link_clicks',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    workspaceId: workspaceRef(),
    shortLinkId: uuid('short_link_id')
      .notNull()
      .references(() => shortLinks.id, { onDelete: 'cascade' }),
    clickedAt: instant('clicked_at').notNull(),
  },
  // By link and instant: a series page counts each post's clicks before the period's end from the index alone (decision 103).
  (t) => [index('link_clicks_link_at_idx').on(t.shortLinkId, t.clickedAt)],
)

/**
 * Link clicks per short link and UTC day, kept by a trigger on `link_clicks` (migration 0027, decision 104):
 * a series page counts a post's clicks before the period's end as the whole days from here plus the
 * period's last, partial day from the index `link_clicks_link_at_idx`.
 */
export const linkClickRollups = pgTable(
  'link_click_rollups',
  {
    shortLinkId: uuid('short_link_id')
      .notNull()
      .references(() => shortLinks.id, { onDelete: 'cascade' }),
    day: date('day').notNull(),
    clicks: integer('clicks').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.shortLinkId, t.day] })],
)

/** The ages at which a published post's metrics are read. */
export const METRIC_AGES = ['1h', '24h', '7d'] as const
export type MetricAge = (typeof METRIC_AGES)[number]

/** A post's counts as the networks report them (null: not given at the account's access level). */
const metricCounts = () => ({
  impressions: integer('impressions'),
  likes: integer('likes'),
  reposts: integer('reposts'),
  replies: integer('replies'),
  quotes: integer('quotes'),
  bookmarks: integer('bookmarks'),
})

/**
 * A post's metrics at one age, read from its network by the `collect-post-metrics` job. `state`:
 * `done` (read; counts the network does not report are null), `retry` (rate-limited or failed: read
 * again at `retry_at`), `gone` (the post no longer exists), `failed` (gave up after several tries).
 */
export const postMetrics = pgTable(
  'post_metrics',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    workspaceId: workspaceRef(),
    deliveryId: uuid('delivery_id')
      .notNull()
      .references(() => deliveries.id, { onDelete: 'cascade' }),
    age: text('age').$type<MetricAge>().notNull(),
    state: text('state').$type<'done' | 'retry' | 'gone' | 'failed'>().notNull(),
    attempts: integer('attempts').notNull().default(1),
    retryAt: instant('retry_at'),
    lastError: text('last_error'),
    fetchedAt: instant('fetched_at'),
    ...metricCounts(),
  },
  (t) => [uniqueIndex('post_metrics_delivery_age_uq').on(t.deliveryId, t.age), index('post_metrics_retry_idx').on(t.state, t.retryAt)],
)

/**
 * One post's numbers, kept by triggers (migration 0028, docs/decisions/108-series-analytics-in-the-database.md):
 * its latest metrics read (7 d over 24 h over 1 h, state `done`, from `post_metrics`) and its short links'
 * clicks (from `link_clicks`) with the last UTC day one of them was clicked. A row exists once a post has
 * a read or a click, and for every published post (decision 114: `posted`, with its account, network and
 * publishing instant, kept from `deliveries` by a trigger). The series page reads the best, the worst and
 * the listed posts from here by index; a post clicked on or after the period's last day counts its clicks
 * before the period's end from `link_click_rollups` and `link_clicks_link_at_idx` as before (decision 104).
 */
export const postRollups = pgTable(
  'post_rollups',
  {
    deliveryId: uuid('delivery_id')
      .primaryKey()
      .references(() => deliveries.id, { onDelete: 'cascade' }),
    workspaceId: workspaceRef(),
    sequenceId: uuid('sequence_id')
      .notNull()
      .references(() => sequences.id, { onDelete: 'cascade' }),
    /** The latest read's age; null (and its counts) before the first read. */
    age: text('age').$type<MetricAge>(),
    ...metricCounts(),
    clicks: integer('clicks').notNull().default(0),
    /** The last UTC day with a click (kept when a click is deleted: an upper bound). */
    lastClickDay: date('last_click_day'),
    /** The delivery is a published post (state `published`, an account, a publishing instant): it counts on the series page. */
    posted: boolean('posted').notNull().default(false),
    accountId: uuid('account_id'),
    network: text('network'),
    publishedAt: instant('published_at'),
    /** Likes + reposts + replies + quotes + bookmarks + every click (as domain/series/analytics.ts's engagementOf). */
    engagement: integer('engagement')
      .notNull()
      .generatedAlwaysAs(sql`coalesce(likes, 0) + coalesce(reposts, 0) + coalesce(replies, 0) + coalesce(quotes, 0) + coalesce(bookmarks, 0) + clicks`),
  },
  (t) => [
    index('post_rollups_sequence_idx').on(t.sequenceId),
    // The listed posts and a period's partial slots, by publishing instant.
    index('post_rollups_published_idx').on(t.sequenceId, t.publishedAt).where(sql`posted`),
    // The best and worst measured posts, by engagement (decision 114).
    index('post_rollups_engagement_idx').on(t.sequenceId, t.engagement.desc(), t.publishedAt).where(sql`posted AND (age IS NOT NULL OR clicks > 0)`),
    // The posts clicked on or after a period's last UTC day: their clicks before its end are counted from the clicks.
    index('post_rollups_last_click_idx').on(t.sequenceId, t.lastClickDay).where(sql`posted AND last_click_day IS NOT NULL`),
  ],
)

/** The length of a `post_slot_rollups` slot: every time zone in use is a whole number of them off UTC. */
export const POST_SLOT_MINUTES = 15

/**
 * The published posts of a series per network and 15-minute UTC slot, summed from their `post_rollups` rows
 * by a trigger (migration 0031, docs/decisions/114-series-slot-rollups.md): the series page's totals, sums per
 * network and heat map read a row per slot with posts for the whole slots of the period, and a row per post
 * only for its partial first and last slots and for the posts clicked on or after its last UTC day. A slot
 * lies in one local hour of every zone whose offset is a multiple of 15 minutes (all in use since 1980), so
 * the heat map is grouped in the series' zone when read, across daylight saving changes. A metric's
 * `reported_*` counts the posts that report it (a sum no post reports is shown as null).
 */
/** A slot row's columns; the changes carry no foreign keys (no key-share lock per publish on the series' row). */
const slotColumns = (referenced: boolean) => ({
  workspaceId: referenced ? workspaceRef() : uuid('workspace_id').notNull(),
  sequenceId: referenced
    ? uuid('sequence_id')
        .notNull()
        .references(() => sequences.id, { onDelete: 'cascade' })
    : uuid('sequence_id').notNull(),
  network: text('network').notNull(),
  slot: instant('slot').notNull(),
  posts: counter('posts'),
  /** Posts with a read or a click. */
  measured: counter('measured'),
  impressions: counter('impressions'),
  likes: counter('likes'),
  reposts: counter('reposts'),
  replies: counter('replies'),
  quotes: counter('quotes'),
  bookmarks: counter('bookmarks'),
  reportedImpressions: counter('reported_impressions'),
  reportedLikes: counter('reported_likes'),
  reportedReposts: counter('reported_reposts'),
  reportedReplies: counter('reported_replies'),
  reportedQuotes: counter('reported_quotes'),
  reportedBookmarks: counter('reported_bookmarks'),
  clicks: counter('clicks'),
  engagement: counter('engagement'),
})
/**
 * The folded part (decision 116): the view `post_slot_rollups` (migration 0032) sums these rows and the
 * changes not yet folded, so a reader sees every committed change.
 */
export const postSlotRollupsFolded = pgTable('post_slot_rollups_folded', slotColumns(true), (t) => [primaryKey({ columns: [t.sequenceId, t.slot, t.network] })])

/**
 * Append-only changes to `post_slot_rollups_folded` (decision 116): a `post_rollups` trigger inserts a row
 * per change of a posted row (its old part with minus signs, its new part), so concurrent publishes of one
 * slot never update one row. `post_slot_rollups_fold()` (run by the reconciler and the metrics job) moves
 * them into the folded rows in one transaction; the page reads the folded rows beside the changes.
 */
export const postSlotChanges = pgTable('post_slot_changes', slotColumns(false), (t) => [index('post_slot_changes_sequence_slot_idx').on(t.sequenceId, t.slot)])

