import { date, doublePrecision, pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core'
import { counter, instant } from './columns'
import { enrollments } from './drips'
import { sequences } from './sequences'
import { workspaceRef } from './workspaces'

/**
 * Drip analytics roll-ups (docs/decisions/094-drip-analytics-roll-ups.md): counters per drip, step,
 * cohort day (the local day, in the drip's zone, its enrollments started) and activity day (the local
 * day the fact happened). Maintained by triggers where each fact is written (migration 0018), rebuilt
 * per drip by `drip_rollups_rebuild(drip)`; the raw query of db/queries/drip-analytics.ts is the oracle.
 */
const dripRef = () =>
  uuid('sequence_id')
    .notNull()
    .references(() => sequences.id, { onDelete: 'cascade' })

/**
 * Per step: sends and first activities (distinct messages) by cohort and activity day; all opens and clicks
 * for the daily chart. `bounced` counts messages with a hard bounce, `soft_bounced` messages with a soft one,
 * `any_bounced` messages with either (a message with both is one bounce, a hard one: decision 104);
 * `review`, `skipped` and `failed` count the step's deliveries in those states (the drip page's per-state
 * counts; `sent` includes `review`).
 */
export const dripRollups = pgTable(
  'drip_rollups',
  {
    workspaceId: workspaceRef(),
    sequenceId: dripRef(),
    stepId: uuid('step_id').notNull(),
    cohortDay: date('cohort_day').notNull(),
    activityDay: date('activity_day').notNull(),
    sent: counter('sent'),
    opened: counter('opened'),
    clicked: counter('clicked'),
    unsubscribed: counter('unsubscribed'),
    bounced: counter('bounced'),
    softBounced: counter('soft_bounced'),
    anyBounced: counter('any_bounced'),
    complained: counter('complained'),
    opens: counter('opens'),
    clicks: counter('clicks'),
    review: counter('review'),
    skipped: counter('skipped'),
    failed: counter('failed'),
  },
  (t) => [primaryKey({ columns: [t.sequenceId, t.stepId, t.cohortDay, t.activityDay] })],
)

/** Enrollments started and goal reached, by cohort day. */
export const dripCohortRollups = pgTable(
  'drip_cohort_rollups',
  {
    workspaceId: workspaceRef(),
    sequenceId: dripRef(),
    cohortDay: date('cohort_day').notNull(),
    enrolled: counter('enrolled'),
    goalReached: counter('goal_reached'),
  },
  (t) => [primaryKey({ columns: [t.sequenceId, t.cohortDay] })],
)

/** Messages (enrollment × step) with a first click on a link. */
export const dripLinkRollups = pgTable(
  'drip_link_rollups',
  {
    workspaceId: workspaceRef(),
    sequenceId: dripRef(),
    stepId: uuid('step_id').notNull(),
    url: text('url').notNull(),
    cohortDay: date('cohort_day').notNull(),
    activityDay: date('activity_day').notNull(),
    clicks: counter('clicks'),
  },
  (t) => [primaryKey({ columns: [t.sequenceId, t.stepId, t.url, t.cohortDay, t.activityDay] })],
)

/** Conversions attributed to a step (activity day = the goal event's day); currency '' = none given. */
export const dripConversionRollups = pgTable(
  'drip_conversion_rollups',
  {
    workspaceId: workspaceRef(),
    sequenceId: dripRef(),
    stepId: uuid('step_id').notNull(),
    currency: text('currency').notNull().default(''),
    cohortDay: date('cohort_day').notNull(),
    activityDay: date('activity_day').notNull(),
    conversions: counter('conversions'),
    valued: counter('valued'),
    revenue: doublePrecision('revenue').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.sequenceId, t.stepId, t.currency, t.cohortDay, t.activityDay] })],
)

/** The first activity of each kind per message: the unique row that says "count this one". */
export const dripFirsts = pgTable(
  'drip_firsts',
  {
    enrollmentId: uuid('enrollment_id')
      .notNull()
      .references(() => enrollments.id, { onDelete: 'cascade' }),
    stepId: uuid('step_id').notNull(),
    /** opened, clicked, unsubscribed, bounced, bounced_soft, complained, or link (with `url`). */
    kind: text('kind').notNull(),
    url: text('url').notNull().default(''),
    occurredAt: instant('occurred_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.enrollmentId, t.stepId, t.kind, t.url] })],
)
