import { doublePrecision, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core'
import { accounts } from './accounts'
import { instant } from './columns'
import { workspaceRef, workspaces } from './workspaces'

/**
 * SMS (docs/decisions/081-sms-step.md): the workspace's Twilio settings and the numbers that must never
 * get an SMS. Email's suppression list stays separate: a STOP by text stops texts, not email.
 */

/** One row per workspace: the `sms` account holding the account SID and auth token (sealed by the vault), the sender and the price. */
export const smsSettings = pgTable('sms_settings', {
  workspaceId: uuid('workspace_id')
    .primaryKey()
    .references(() => workspaces.id, { onDelete: 'cascade' }),
  accountId: uuid('account_id').references(() => accounts.id, { onDelete: 'set null' }),
  /** E.164 sender number, or null when a messaging service picks one. */
  fromNumber: text('from_number'),
  messagingServiceSid: text('messaging_service_sid'),
  /** What one segment costs (shown in the builder as the cost per send). */
  pricePerSegment: doublePrecision('price_per_segment').notNull().default(0.0079),
  currency: text('currency').notNull().default('USD'),
  /** Answer to HELP. */
  helpText: text('help_text'),
  updatedAt: instant('updated_at').notNull().defaultNow(),
})

export const SMS_SUPPRESSION_REASONS = ['stop_keyword', 'carrier_opt_out', 'manual'] as const
export type SmsSuppressionReason = (typeof SMS_SUPPRESSION_REASONS)[number]

/** E.164 numbers that opted out (STOP, or Twilio's 21610): checked right before every SMS. */
export const smsSuppressions = pgTable(
  'sms_suppressions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    workspaceId: workspaceRef(),
    phone: text('phone').notNull(),
    reason: text('reason').$type<SmsSuppressionReason>().notNull(),
    detail: text('detail'),
    createdAt: instant('created_at').notNull(),
  },
  (t) => [uniqueIndex('sms_suppressions_workspace_phone_uq').on(t.workspaceId, t.phone)],
)
