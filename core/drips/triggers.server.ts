import type { Db } from '../../db/client'
import { getEmailSettings, walkContacts } from '../../db/queries/contacts'
import { findTriggeredDrips, getDrip, type DripWithSteps } from '../../db/queries/drips'
import { getSegment, markSegmentLeavers, markSegmentMembers, segmentEntrants, walkSegmentMembers } from '../../db/queries/segments'
import type { Clock } from '../../domain/clock'
import { nextAnniversary, zoneFor } from '../../domain/drip/runner'
import { triggerSource, type DripTrigger } from '../../domain/drip/schema'
import { enrollInto } from './enroll.server'

/**
 * The periodic drip triggers (docs/decisions/016-drip-engine.md): date fields (every year on a
 * contact's date at a local time in their zone) and segment entry. One recurring job walks contacts
 * in batches; enrollments are idempotent by key (`date:<field>:<year>:<contact>`, `segment:<segment>:<contact>:<n>`
 * for the n-th entry), so a re-run or a second worker enrolls nobody twice. A drip may have several
 * date and segment triggers (decision 071); each is walked on its own, and a contact two of them enroll
 * at once is enrolled once unless the re-entry policy is `every_time`. A segment entry is a contact found
 * in the segment who was out of it at the previous look (`drip_segment_members`, per drip and segment);
 * leaving and coming back is a new entry, enrolled under the drip's re-entry policy. An entry is recorded
 * only after its enrollment, so a crash in between enrolls it on the next run (same key). The drip runner sends.
 */

/** Date triggers enroll occurrences from this long ago (a worker that was down catches up) … */
const DATE_LOOKBACK_MS = 24 * 3_600_000
/** … up to this far ahead (the enrollment's first step waits for the local time). */
const DATE_LOOKAHEAD_MS = 24 * 3_600_000

export type DripTriggerDeps = { db: Db; clock: Clock }

export async function runDripTriggers(deps: DripTriggerDeps): Promise<{ date: number; segment: number }> {
  const { db, clock } = deps
  const services = { database: { db } as never, clock }
  let date = 0
  let segment = 0
  const now = clock.now()
  for (const row of await findTriggeredDrips(db, { kind: 'date' })) {
    const drip = await getDrip(db, { workspaceId: row.workspaceId, dripId: row.id })
    if (!drip) continue
    for (const trigger of drip.drip.settings.triggers) {
      if (trigger.kind !== 'date') continue
      for await (const batch of walkContacts(db, { workspaceId: row.workspaceId, batchSize: 1000 })) {
        for (const contact of batch) {
          const value = contact.fields[trigger.field]
          if (typeof value !== 'string' || contact.status !== 'subscribed') continue
          const next = nextAnniversary({ date: value, time: trigger.time, zone: zoneFor(drip.drip, contact.timezone), from: new Date(now.getTime() - DATE_LOOKBACK_MS) })
          if (!next || next.at.getTime() > now.getTime() + DATE_LOOKAHEAD_MS) continue
          const r = await enrollInto(services, { drip, contact, source: `${triggerSource(trigger)}:${next.year}`, enrollKey: `date:${trigger.field}:${next.year}:${contact.id}`, startedAt: next.at })
          if (r.created) date++
        }
      }
    }
  }
  for (const row of await findTriggeredDrips(db, { kind: 'segment' })) {
    const drip = await getDrip(db, { workspaceId: row.workspaceId, dripId: row.id })
    if (!drip) continue
    for (const trigger of drip.drip.settings.triggers) {
      if (trigger.kind === 'segment') segment += await enrollSegmentEntrants({ db, services, drip, trigger, now })
    }
  }
  return { date, segment }
}

/** One segment trigger of one drip: enroll the contacts who entered the segment since the last look. */
async function enrollSegmentEntrants(args: { db: Db; services: Parameters<typeof enrollInto>[0]; drip: DripWithSteps; trigger: Extract<DripTrigger, { kind: 'segment' }>; now: Date }): Promise<number> {
  const { db, drip, now } = args
  const { workspaceId, id: sequenceId } = drip.drip
  const seg = await getSegment(db, { workspaceId, segmentId: args.trigger.segmentId })
  if (!seg) return 0
  const ref = { sequenceId, segmentId: seg.id }
  const settings = await getEmailSettings(db, { workspaceId })
  let enrolled = 0
  for await (const members of walkSegmentMembers(db, { workspaceId, rule: seg.rule, now, halfLifeDays: settings?.scoreHalfLifeDays ?? null, batchSize: 1000 })) {
    const contactIds = members.map((c) => c.id)
    const entrants = await segmentEntrants(db, { ...ref, contactIds })
    for (const contact of members) {
      const entry = entrants.get(contact.id)
      if (entry === undefined || contact.status !== 'subscribed') continue
      const enrollKey = `segment:${seg.id}:${contact.id}:${entry}`
      if ((await enrollInto(args.services, { drip, contact, source: triggerSource(args.trigger)!, enrollKey })).created) enrolled++
    }
    await markSegmentMembers(db, { ...ref, workspaceId, contactIds, at: now })
  }
  await markSegmentLeavers(db, { ...ref, seenAt: now })
  return enrolled
}
