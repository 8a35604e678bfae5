import type { DbOrTx } from '../../db/client'
import { getContact } from '../../db/queries/contacts'
import { findTriggeredDrips, getDrip } from '../../db/queries/drips'
import { contactsByEmail } from '../../db/queries/bulk-enrollments'
import { enrollContactRows, wakeWaitingEnrollments } from '../../db/queries/enrollments'
import { firstStepDueAt } from '../../domain/drip/runner'
import { triggerSource, type DripTrigger, type EmailActivity } from '../../domain/drip/schema'
import { enrollInto, wakeDripRunner } from './enroll.server'
import type { Services } from '../services.server'

export type RecordedActivity = {
  activity: EmailActivity
  /** The recorded event (or another key unique to this activity): enrollments are keyed by it, so a replay enrolls nobody twice. */
  eventId: string
  sequenceId: string | null
  stepId: string | null
  url?: string
  /** Soft bounces: how many the contact has had, this one included. */
  count?: number
}

/** The web process passes its services (the runner is woken after enrollments); the runner and its actions pass their database and clock only. */
export type TriggerServices = Pick<Services, 'clock'> & { database: { db: DbOrTx }; jobs?: Services['jobs'] }

/** Does this `email_activity` trigger match the activity (the step named by position in its drip)? */
export function activityMatches(t: Extract<DripTrigger, { kind: 'email_activity' }>, a: RecordedActivity & { stepPosition: number | null }): boolean {
  if (t.activity !== a.activity) return false
  if (t.dripId && t.dripId !== a.sequenceId) return false
  if (t.step !== undefined && t.step !== a.stepPosition) return false
  if (t.times !== undefined && t.times !== a.count) return false
  return !t.url || t.url === a.url
}

/** Does this `field_changed` trigger match the field's new value? Any value but empty, or the one named (a number field's `5` matches `5`). */
export function fieldChangeMatches(t: Extract<DripTrigger, { kind: 'field_changed' }>, value: string | number | null | undefined): boolean {
  if (value === null || value === undefined || value === '') return false
  return t.to === undefined || t.to === value || (typeof t.to === typeof value ? false : String(t.to) === String(value))
}

/**
 * Behaviour triggers (decisions 079, 096): enroll the contact into every active drip of the workspace
 * with an `email_activity` trigger this activity matches (open, click, hard or soft bounce, complaint,
 * unsubscribe), under the drip's re-entry policy (keyed by the event, so a replayed hook enrolls nobody
 * twice). A drip's own email never enrolls into that same drip (no loop). Called after the activity's
 * transaction committed (core/email.server.ts, core/complaints.server.ts, the runner's SMTP bounce).
 */
export async function onEmailActivity(services: TriggerServices, args: { workspaceId: string; contactId: string; activities: RecordedActivity[] }): Promise<number> {
  const db = services.database.db
  let enrolled = 0
  // A wait-until step may be waiting for this open or click.
  if (args.activities.some((a) => a.activity === 'opened' || a.activity === 'clicked')) await wakeWaitingEnrollments(db, { workspaceId: args.workspaceId, contactId: args.contactId, now: services.clock.now() })
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
  if (enrolled && services.jobs) await wakeDripRunner({ jobs: services.jobs, clock: services.clock })
  return enrolled
}

/**
 * "Field changed" triggers (decision 096): after a change of the contact's custom fields committed,
 * enroll into every active drip with a `field_changed` trigger on a changed field whose new value it
 * matches. The key names the contact, field, value and instant, so a retried request that changes
 * nothing enrolls nobody and the same change is never enrolled twice.
 */
export async function onFieldsChanged(
  services: TriggerServices,
  args: { workspaceId: string; contactId: string; before: Record<string, string | number | null>; after: Record<string, string | number | null>; at: Date; /** Drips not to enroll into (a set-field action's own drip). */ exceptDripId?: string },
): Promise<number> {
  const changed = Object.keys(args.after).filter((k) => args.after[k] !== args.before[k] && args.after[k] !== null && args.after[k] !== '')
  if (changed.length === 0) return 0
  const db = services.database.db
  // A wait-until step may be waiting for a date field that moved.
  await wakeWaitingEnrollments(db, { workspaceId: args.workspaceId, contactId: args.contactId, now: services.clock.now() })
  let enrolled = 0
  for (const field of changed) {
    const rows = (await findTriggeredDrips(db, { workspaceId: args.workspaceId, kind: 'field_changed', key: field })).filter((r) => r.id !== args.exceptDripId)
    if (rows.length === 0) continue
    const contact = await getContact(db, { workspaceId: args.workspaceId, contactId: args.contactId })
    if (!contact) return enrolled
    const value = args.after[field]
    for (const row of rows) {
      const drip = await getDrip(db, { workspaceId: args.workspaceId, dripId: row.id })
      const trigger = drip?.drip.settings.triggers.find((t) => t.kind === 'field_changed' && t.field === field && fieldChangeMatches(t, value))
      if (!drip || !trigger) continue
      const enrollKey = `field:${args.contactId}:${field}:${JSON.stringify(value)}:${args.at.toISOString()}`
      if ((await enrollInto(services, { drip, contact, source: triggerSource(trigger)!, enrollKey })).created) enrolled++
    }
  }
  if (enrolled && services.jobs) await wakeDripRunner({ jobs: services.jobs, clock: services.clock })
  return enrolled
}

const IMPORT_CHUNK = 1000

/**
 * "Field changed" triggers for a contacts CSV import (decision 096): every imported contact whose custom
 * field got a value a `field_changed` trigger matches is enrolled into that drip, as the contacts API's
 * change would (same source and key). Batched: one look for such drips; then per 1,000 contacts one
 * lookup of their ids and one enrollment statement per drip, however many rows the file had.
 */
export async function onContactsImported(
  services: TriggerServices,
  args: { workspaceId: string; contacts: ReadonlyArray<{ email: string; fields: Record<string, string | number | null> }>; at: Date },
): Promise<number> {
  const db = services.database.db
  const { workspaceId, at } = args
  const rows = await findTriggeredDrips(db, { workspaceId, kind: 'field_changed' })
  if (rows.length === 0) return 0
  const drips = (await Promise.all(rows.map((r) => getDrip(db, { workspaceId, dripId: r.id })))).flatMap((d) => (d ? [d] : []))
  const watched = new Set(drips.flatMap((d) => d.drip.settings.triggers.flatMap((t) => (t.kind === 'field_changed' ? [t.field] : []))))
  const changed = args.contacts.filter((c) => Object.entries(c.fields).some(([k, v]) => watched.has(k) && v !== null && v !== ''))
  let enrolled = 0
  for (let i = 0; i < changed.length; i += IMPORT_CHUNK) {
    const chunk = changed.slice(i, i + IMPORT_CHUNK)
    const found = await contactsByEmail(db, { workspaceId, emails: chunk.map((c) => c.email) })
    for (const drip of drips) {
      const enroll: Parameters<typeof enrollContactRows>[1]['rows'] = []
      for (const c of chunk) {
        const contact = found.get(c.email)
        // The first trigger of the drip this import's values match (a contact enters a drip once per import).
        const trigger = drip.drip.settings.triggers.find((t) => t.kind === 'field_changed' && fieldChangeMatches(t, c.fields[t.field]))
        if (!contact || trigger?.kind !== 'field_changed') continue
        const value = c.fields[trigger.field]
        const nextDueAt = drip.steps[0] ? firstStepDueAt({ drip: drip.drip, step: drip.steps[0], contactTimezone: contact.timezone, enrolledAt: at }) : null
        enroll.push({ contactId: contact.id, source: triggerSource(trigger)!, enrollKey: `field:${contact.id}:${trigger.field}:${JSON.stringify(value)}:${at.toISOString()}`, nextDueAt })
      }
      enrolled += await enrollContactRows(db, { workspaceId, dripId: drip.drip.id, policy: drip.drip.settings.reentry, rows: enroll, at })
    }
  }
  if (enrolled && services.jobs) await wakeDripRunner({ jobs: services.jobs, clock: services.clock })
  return enrolled
}
