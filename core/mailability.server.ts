import type { DbOrTx } from '../db/client'
import type { Contact } from '../db/queries/contacts'
import { getSuppression, type Suppression } from '../db/queries/suppression'
import type { SuppressionReason } from '../db/schema'

/** A bounce or a complaint ends mailing for good; an unsubscribe (the person's or an editor's) can be lifted. */
export function endsMailingForGood(reason: SuppressionReason): boolean {
  return reason !== 'unsubscribed' && reason !== 'manual'
}

/**
 * May this contact's address be mailed? Read from its status and the workspace's suppression list.
 * When not: `reason` is the status that stops it (`unsubscribed`, `bounced`, `complained`) or
 * `suppressed` (the address is on the list), and `neverAgain` says a bounce or a complaint stands
 * behind it (never lifted), unlike an unsubscribe that the person may undo by signing up again.
 * A `pending` contact is mailable here; marketing sends also need `subscribed`.
 */
export type Mailability =
  | { mailable: true; neverAgain: false; suppression: null }
  | { mailable: false; reason: 'unsubscribed' | 'bounced' | 'complained'; neverAgain: boolean; suppression: Suppression | null }
  | { mailable: false; reason: 'suppressed'; neverAgain: boolean; suppression: Suppression }

export async function mailability(db: DbOrTx, args: { workspaceId: string; contact: Pick<Contact, 'email' | 'status'> }): Promise<Mailability> {
  const { status, email } = args.contact
  const suppression = await getSuppression(db, { workspaceId: args.workspaceId, email })
  const neverAgain = status === 'bounced' || status === 'complained' || (suppression !== null && endsMailingForGood(suppression.reason))
  if (status === 'unsubscribed' || status === 'bounced' || status === 'complained') return { mailable: false, reason: status, neverAgain, suppression }
  if (suppression) return { mailable: false, reason: 'suppressed', neverAgain, suppression }
  return { mailable: true, neverAgain: false, suppression: null }
}
