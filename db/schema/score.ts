import { bigserial, doublePrecision, index, integer, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core'
import type { ScoreRuleKind } from '../../domain/email/types'
import { instant } from './columns'
import { contactEvents, contacts } from './contacts'
import { workspaceRef } from './workspaces'

/**
 * Lead scoring of a workspace (docs/decisions/072-score-rules-and-audience-navigation.md): its rules,
 * one row each, and every change a rule made to a contact's score (the contact page's history).
 */

export const scoreRules = pgTable(
  'score_rules',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    workspaceId: workspaceRef(),
    /** `opened`, `clicked`, `event` (by `eventName`) or `inactive` (the decay: `points` < 0 every `everyDays` days without activity). */
    kind: text('kind').$type<ScoreRuleKind>().notNull(),
    /** The API event's name for `event`; '' otherwise (so one rule per kind and event is a plain unique index). */
    eventName: text('event_name').notNull().default(''),
    points: doublePrecision('points').notNull(),
    everyDays: integer('every_days'),
    createdAt: instant('created_at').notNull(),
    updatedAt: instant('updated_at').notNull(),
  },
  (t) => [uniqueIndex('score_rules_workspace_kind_event_uq').on(t.workspaceId, t.kind, t.eventName)],
)

/** Points a rule added to or took from a contact's score, and when. */
export const scoreChanges = pgTable(
  'score_changes',
  {
    /** A sequence: changes of the same instant (a click and the open it implies) keep their order. */
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    workspaceId: workspaceRef(),
    contactId: uuid('contact_id')
      .notNull()
      .references(() => contacts.id, { onDelete: 'cascade' }),
    /** Null once the rule was removed; `rule` still says what it was. */
    ruleId: uuid('rule_id').references(() => scoreRules.id, { onDelete: 'set null' }),
    /** The rule as it read when it applied ("Clicked a link: +2"). */
    rule: text('rule').notNull(),
    points: doublePrecision('points').notNull(),
    /** The activity that earned the points; null for a decay. */
    eventId: uuid('event_id').references(() => contactEvents.id, { onDelete: 'set null' }),
    /** The activity's instant, or for a decay the end of the period it applies to. */
    occurredAt: instant('occurred_at').notNull(),
  },
  (t) => [
    index('score_changes_contact_idx').on(t.workspaceId, t.contactId, t.occurredAt),
    index('score_changes_rule_idx').on(t.ruleId, t.contactId, t.occurredAt),
  ],
)
