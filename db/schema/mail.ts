import { doublePrecision, index, jsonb, pgTable, text, uuid } from 'drizzle-orm/pg-core'
import type { PostalAddress } from '../../domain/mail/address'
import { accounts } from './accounts'
import { instant } from './columns'
import { deliveries } from './deliveries'
import { workspaceRef, workspaces } from './workspaces'

/**
 * Direct mail (docs/decisions/089-direct-mail-drip-step.md): the workspace's Lob settings and the
 * tracking events Lob's webhooks report for each piece.
 */

/** One row per workspace: the `mail` account (Lob API key and webhook secret sealed by the vault), the return address, prices. */
export const mailSettings = pgTable('mail_settings', {
  workspaceId: uuid('workspace_id')
    .primaryKey()
    .references(() => workspaces.id, { onDelete: 'cascade' }),
  accountId: uuid('account_id').references(() => accounts.id, { onDelete: 'set null' }),
  returnAddress: jsonb('return_address').$type<PostalAddress>().notNull(),
  postcardPrice: doublePrecision('postcard_price').notNull().default(0.63),
  letterPrice: doublePrecision('letter_price').notNull().default(0.85),
  letterExtraPagePrice: doublePrecision('letter_extra_page_price').notNull().default(0.1),
  currency: text('currency').notNull().default('USD'),
  updatedAt: instant('updated_at').notNull().defaultNow(),
})

/** One row per Lob event (its id: a redelivered webhook records nothing twice), on the delivery of its piece. */
export const mailTrackingEvents = pgTable(
  'mail_tracking_events',
  {
    id: text('id').primaryKey(),
    workspaceId: workspaceRef(),
    deliveryId: uuid('delivery_id')
      .notNull()
      .references(() => deliveries.id, { onDelete: 'cascade' }),
    /** Lob's event type (`postcard.in_transit`, `letter.delivered`, …). */
    type: text('type').notNull(),
    occurredAt: instant('occurred_at').notNull(),
    createdAt: instant('created_at').notNull(),
  },
  (t) => [index('mail_tracking_events_delivery_idx').on(t.deliveryId, t.occurredAt)],
)
