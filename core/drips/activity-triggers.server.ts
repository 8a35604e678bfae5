import { getContact } from '../../db/queries/contacts'
import { findTriggeredDrips, getDrip } from '../../db/queries/drips'
import { triggerSource, type DripTrigger, type EmailActivity } from '../../domain/drip/schema'
import { enrollInto, wakeDripRunner } from '../drips.server'
import type { Services } from '../services.server'

export type RecordedActivity = { activity: EmailActivity; eventId: string; sequenceId: string | null; stepId: string | null; url?: string }

/** Does this `email_activity` trigger match the activity (the step named by position in its drip)? */
export function activityMatches(t: Extract<DripTrigger, { kind: 'email_activity' }>, a: RecordedActivity & { stepPosition: number | null }): boolean {
  if (t.activity !== a.activity) return false
  if (t.dripId && t.dripId !== a.sequenceId) return false
  if (t.step !== undefined && t.step !== a.stepPosition) return false
  return !t.url || t.url === a.url
}

/**
 * Behaviour triggers (decision 079): enroll the contact into every active drip of the workspace with an
 * `email_activity` trigger this activity matches, under the drip's re-entry policy (keyed by the event,
 * so a replayed hook enrolls nobody twice). A drip's own email never enrolls into that same drip (no loop).
 * Called after the activity's transaction committed (core/email.server.ts).
 */
export async function onEmailActivity(services: Services, args: { workspaceId: string; contactId: string; activities: RecordedActivity[] }): Promise<number> {
  const db = services.database.db
  let enrolled = 0
  for (const a of args.activities) {
    const rows = await findTriggeredDrips(db, { workspaceId: args.workspaceId, kind: 'email_activity', key: a.activity })
    const candidates = rows.filter((r) => r.id !== a.sequenceId)
    if (candidates.length === 0) continue
    const contact = await getContact(db, { workspaceId: args.workspaceId, contactId: args.contactId })
    if (!contact) return enrolled
    const source = a.sequenceId ? await getDrip(db, { workspaceId: args.workspaceId, dripId: a.sequenceId }) : null
    const stepPosition = source?.steps.find((s) => s.id === a.stepId)?.position ?? null
    for (const row of candidates) {
      const drip = await getDrip(db, { workspaceId: args.workspaceId, dripId: row.id })
      const trigger = drip?.drip.settings.triggers.find((t) => t.kind === 'email_activity' && activityMatches(t, { ...a, stepPosition }))
      if (!drip || !trigger) continue
      if ((await enrollInto(services, { drip, contact, source: triggerSource(trigger)!, enrollKey: `activity:${a.eventId}` })).created) enrolled++
    }
  }
  if (enrolled) await wakeDripRunner(services)
  return enrolled
}
