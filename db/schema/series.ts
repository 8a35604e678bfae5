import type { ApprovalState } from '../../domain/approval'
import { index, jsonb, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core'
import { instant } from './columns'
import { accounts } from './accounts'
import { sequences } from './sequences'
import { workspaceRef } from './workspaces'

/** An occurrence override as stored (see domain/recurrence OccurrenceOverrideSchema). */
export type StoredOverride = { kind: 'skip'; occurrence: number } | { kind: 'move'; occurrence: number; to: string }
/**
 * A pause; `policy` is chosen when the series is resumed (absent while still paused). Instants as ISO 8601 UTC.
 * `reason: 'approval'` marks the hold of a series waiting for an owner's approval (released by approving).
 */
export type StoredPause = { from: string; until?: string; policy?: 'shift' | 'skip'; reason?: 'approval' }
/**
 * Where a series stands in the approval flow (docs/decisions/012-series-approval-threads-import.md): only `approved`
 * series publish. `draft` (written by an editor, not yet submitted), `pending_approval` (submitted, or an
 * approved series edited by an editor), `changes_requested` (an owner sent it back with a comment).
 */
export { APPROVAL_STATES, type ApprovalState } from '../../domain/approval'
/** An evergreen series' repeat (decision 107): step 1 again at least `minGap` (ISO 8601 duration) after the last step, until the local date-time `until`. */
export type StoredEvergreen = { minGap: string; until: string }
/** The timing parts a rule change replaces. */
export type StoredTiming = { rule: string; start: string; timezone: string; exdates: string[]; rdates: string[]; evergreen?: StoredEvergreen | null }
/** A rule change at instant `from` (ISO 8601 UTC): later occurrences follow `timing`. */
export type StoredRevision = { from: string; timing: StoredTiming; overrides: StoredOverride[] }

/**
 * The timing of a series, 1:1 with its sequence (docs/decisions/011-series-and-calendar.md). Only the
 * user's intent is stored — rule, local start, zone, edits — never the instants, which are re-planned
 * from it (a tzdb change or an edit re-plans the same way).
 */
export const seriesTimings = pgTable(
  'series_timings',
  {
    sequenceId: uuid('sequence_id')
      .primaryKey()
      .references(() => sequences.id, { onDelete: 'cascade' }),
    workspaceId: workspaceRef(),
    /** RRULE as the user wrote it; without COUNT/UNTIL the series ends with its last post. */
    rule: text('rule').notNull(),
    /** Local date-time YYYY-MM-DDTHH:mm in `timezone`. */
    start: text('start').notNull(),
    timezone: text('timezone').notNull(),
    exdates: jsonb('exdates').$type<string[]>().notNull().default([]),
    rdates: jsonb('rdates').$type<string[]>().notNull().default([]),
    /** Null: the series ends with its last post; else it starts again from post 1 (decision 107). */
    evergreen: jsonb('evergreen').$type<StoredEvergreen>(),
    /** Overrides of the original timing (revision 0); a revision carries its own. */
    overrides: jsonb('overrides').$type<StoredOverride[]>().notNull().default([]),
    pauses: jsonb('pauses').$type<StoredPause[]>().notNull().default([]),
    revisions: jsonb('revisions').$type<StoredRevision[]>().notNull().default([]),
    approval: text('approval').$type<ApprovalState>().notNull().default('approved'),
    /** The owner's comment when requesting changes (cleared on approval). */
    approvalComment: text('approval_comment'),
    /** Who last submitted, approved or requested changes, and when. */
    approvalBy: uuid('approval_by'),
    approvalAt: instant('approval_at'),
    createdAt: instant('created_at').notNull().defaultNow(),
    updatedAt: instant('updated_at').notNull().defaultNow(),
  },
  (t) => [index('series_timings_workspace_idx').on(t.workspaceId)],
)

/** The accounts a series publishes to: every step goes to every target. */
export const seriesTargets = pgTable(
  'series_targets',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    workspaceId: workspaceRef(),
    sequenceId: uuid('sequence_id')
      .notNull()
      .references(() => sequences.id, { onDelete: 'cascade' }),
    accountId: uuid('account_id')
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    createdAt: instant('created_at').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('series_targets_uq').on(t.sequenceId, t.accountId), index('series_targets_workspace_idx').on(t.workspaceId)],
)
