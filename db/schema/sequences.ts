import { sql } from 'drizzle-orm'
import { boolean, index, integer, jsonb, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core'
import { instant } from './columns'
import type { DripAction } from '../../domain/drip/actions'
import type { MailStep } from '../../domain/mail/piece'
import type { DripSettings, DripStepSettings } from '../../domain/drip/schema'
import { workspaceRef } from './workspaces'

/**
 * One part of a step's message (a thread has several). `images` point into the workspace's media store
 * (app/utils/media.server.ts) with their alt text; publishing turns them into the connectors' `media`.
 */
export type StepContent = {
  parts: Array<{ text: string; images?: Array<{ mediaId: string; alt: string }> }>
  /** The last part is the post's first comment (a reply right after it, decision 091), not part of the thread people wrote. */
  firstComment?: true
  /**
   * Per-network variants (decision 098), keyed by connector kind: that network publishes these parts
   * (then the first comment, which stays shared) instead of the main ones.
   */
  variants?: Record<string, { parts: Array<{ text: string; images?: Array<{ mediaId: string; alt: string }> }> }>
  /** An email step (drips): subject and Markdown body with merge fields (domain/email/template.ts). */
  email?: { subject: string; markdown: string }
  /** An action step (drips, decision 079): what it does instead of sending an email. */
  action?: DripAction
  /** An SMS step (drips, decision 081): the text with merge fields. */
  sms?: { text: string }
  /** A direct-mail step (drips, decision 089): the postcard or letter with merge fields. */
  mail?: MailStep
}

/**
 * A sequence: ordered steps plus a timing. Kind `series` (social, calendar-anchored) or `drip` (email,
 * enrollment-anchored). Only what the publishing pipeline needs lives here so far.
 */
export const sequences = pgTable(
  'sequences',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    workspaceId: workspaceRef(),
    /** `series` | `drip` */
    kind: text('kind').notNull(),
    name: text('name').notNull(),
    /** IANA zone the timing is expressed in. */
    timezone: text('timezone').notNull().default('UTC'),
    /** `active` | `paused` */
    status: text('status').notNull().default('active'),
    /** A delivery that came due while no worker ran goes out up to this late; later it is `missed`. */
    maxLatenessSeconds: integer('max_lateness_seconds').notNull().default(3600),
    /** Drips only: trigger, re-entry policy, goals, default send window (domain/drip/schema.ts). */
    settings: jsonb('settings').$type<DripSettings>(),
    /**
     * Links in its posts (series) or emails (drips) carry UTM parameters; a series' posts go out with
     * short links `APP_URL/l/{code}` (decision 084). Off for sequences made before it; new ones start on.
     */
    shortLinks: boolean('short_links').notNull().default(false),
    /** A campaign tag shared by series and drips: the workspace funnel across channels (decision 094). */
    campaign: text('campaign'),
    createdAt: instant('created_at').notNull().defaultNow(),
    updatedAt: instant('updated_at').notNull().defaultNow(),
  },
  (t) => [index('sequences_workspace_idx').on(t.workspaceId), index('sequences_campaign_idx').on(t.workspaceId, t.campaign).where(sql`${t.campaign} is not null`)],
)

export const sequenceSteps = pgTable(
  'sequence_steps',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    workspaceId: workspaceRef(),
    sequenceId: uuid('sequence_id')
      .notNull()
      .references(() => sequences.id, { onDelete: 'cascade' }),
    /** 0-based order within the sequence. */
    position: integer('position').notNull(),
    content: jsonb('content').$type<StepContent>().notNull(),
    /** Drip steps only: delay, send window, condition/branch (domain/drip/schema.ts). */
    settings: jsonb('settings').$type<DripStepSettings>(),
    createdAt: instant('created_at').notNull().defaultNow(),
    updatedAt: instant('updated_at').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('sequence_steps_position_uq').on(t.sequenceId, t.position), index('sequence_steps_workspace_idx').on(t.workspaceId)],
)
