import { insertContact } from '../../db/queries/contacts'
import { setDripStatus } from '../../db/queries/drips'
import { listEnrollments } from '../../db/queries/enrollments'
import { insertSegment } from '../../db/queries/segments'
import { eq } from 'drizzle-orm'
import { contacts, sequences, suppressions, workspaces } from '../../db/schema'
import { loadEmailVolume } from '../../core/calendar.server'
import { listContactDrips, removeFromDrip } from '../../core/contact-drips.server'
import { loadBulkEnrollPage, runBulkEnrollment, startBulkEnrollment } from '../../core/drips/bulk-enroll.server'
import { activateDrip, createDrip, enrollContact, type DripInput } from '../../core/drips.server'
import { openJobStore, type JobStore } from '../../jobs/store'
import { startDripHarness, T0, type DripHarness } from './harness'

/**
 * Enrollment from the UI at the core level (decision 074): bulk enrollment of a segment and of a CSV
 * (counts, suppressed contacts skipped, a crash then a resume, a second run), removing a contact from a
 * drip (nothing more is sent), and the calendar's projected drip emails for a known set of enrollments.
 */

let h: DripHarness
let store: JobStore
let other: string
beforeAll(async () => {
  h = await startDripHarness()
  store = await openJobStore({ databaseUrl: h.database.url, embeddedDataDir: null, name: `enrollment-ui-${process.pid}` })
  Object.assign(h.services, { jobs: store })
  const [ws] = await h.database.db.insert(workspaces).values({ name: 'Other' }).returning()
  other = ws!.id
})
// One database for the file: each test starts at T0 and deletes its drips (so they neither send nor project in the next).
beforeEach(() => h.clock.set(T0))
afterEach(async () => {
  await db().delete(sequences).where(eq(sequences.kind, 'drip'))
})
afterAll(async () => {
  await store?.close({ drainMs: 0 })
  await h?.close()
})

const DAY = 86_400_000
const db = () => h.database.db
const steps: DripInput['steps'] = [
  { subject: 'One', markdown: 'Step one' },
  { subject: 'Two', markdown: 'Step two', delay: 'P1D' },
  { subject: 'Three', markdown: 'Step three', delay: 'P2D' },
]
async function makeDrip(name: string, input: Partial<DripInput> = {}) {
  const drip = await createDrip(h.services, { workspaceId: h.workspaceId, input: { name, steps, ...input } })
  await activateDrip(h.services, { workspaceId: h.workspaceId, dripId: drip.id })
  return drip
}
const enrollmentsOf = (dripId: string) => listEnrollments(db(), { workspaceId: h.workspaceId, dripId })
const mailsTo = (address: string) => h.smtp.messages.filter((m) => m.envelope.to.includes(address))
const contact = (email: string, status: 'subscribed' | 'unsubscribed' | 'bounced' | 'pending' = 'subscribed', tags: string[] = []) =>
  insertContact(db(), { workspaceId: h.workspaceId, email, status, tags, at: h.clock.now() }).then((c) => c.id)

describe('bulk enrollment', () => {
  it('a segment: in batches, suppressed skipped, a crash then a resume, a second run enrolls nobody twice', async () => {
    const drip = await makeDrip('Segment drip', { reentry: 'every_time' })
    const vips = await Promise.all([1, 2, 3, 4, 5, 6].map((i) => contact(`vip${i}@seg.test`, 'subscribed', ['vip'])))
    await contact('unsub@seg.test', 'unsubscribed', ['vip'])
    await contact('bounced@seg.test', 'bounced', ['vip'])
    await contact('pending@seg.test', 'pending', ['vip'])
    await contact('listed@seg.test', 'subscribed', ['vip'])
    await db().insert(suppressions).values({ workspaceId: h.workspaceId, email: 'listed@seg.test', reason: 'complaint', createdAt: h.clock.now() })
    for (const i of [1, 2, 3]) await contact(`other${i}@seg.test`)
    await enrollContact(h.services, { workspaceId: h.workspaceId, dripId: drip.id, input: { contactId: vips[0]! }, source: 'manual' })
    const segment = await insertSegment(db(), { workspaceId: h.workspaceId, name: 'VIPs', rule: { match: 'all', conditions: [{ kind: 'tag', tag: 'vip', has: true }] }, at: h.clock.now() })

    const started = await startBulkEnrollment(h.services, { workspaceId: h.workspaceId, dripId: drip.id, input: { from: 'segment', segmentId: segment.id }, startedBy: 'ada@brand.test' })
    expect(started).toMatchObject({ kind: 'enrollment', status: 'validating', totalRows: 13, processedRows: 0, startedBy: 'ada@brand.test' })
    const queued = (await store.agenda.queryJobs({ name: 'bulk-enroll' })).jobs.map((j) => j.data as { runId: string; workspaceId: string })
    expect(queued).toContainEqual(expect.objectContaining({ runId: started.id, workspaceId: h.workspaceId }))

    // The worker dies in the second batch: the first batch's enrollments and counts are committed, the second's are not.
    let batches = 0
    const crash = () => {
      if (++batches === 2) throw new Error('worker killed')
    }
    await expect(runBulkEnrollment(h.services, { workspaceId: h.workspaceId, runId: started.id, batchSize: 4, onBatch: crash })).rejects.toThrow('worker killed')
    const halfway = (await loadBulkEnrollPage(h.services, { workspaceId: h.workspaceId, dripId: drip.id })).runs[0]!
    expect(halfway).toMatchObject({ id: started.id, status: 'importing', processedRows: 4 })
    expect(await enrollmentsOf(drip.id)).toHaveLength(1 + halfway.importedRows)

    // The job runs again and resumes at the cursor.
    const done = await runBulkEnrollment(h.services, { workspaceId: h.workspaceId, runId: started.id, batchSize: 4 })
    expect(done).toMatchObject({ status: 'done', totalRows: 13, processedRows: 13, importedRows: 5, existingRows: 1, suppressedRows: 4, invalidRows: 0, errors: [] })
    const enrolled = await enrollmentsOf(drip.id)
    expect(new Set(enrolled.map((e) => e.contactId))).toEqual(new Set(vips))
    expect(enrolled).toHaveLength(6)
    expect(enrolled.filter((e) => e.enrollKey === `bulk:${started.id}:${e.contactId}` && e.source === `segment:${segment.id}`)).toHaveLength(5)

    // Running the finished job again, or a second bulk run of the segment, enrolls nobody (even under `every_time`).
    expect(await runBulkEnrollment(h.services, { workspaceId: h.workspaceId, runId: started.id })).toMatchObject({ status: 'done', importedRows: 5 })
    const again = await startBulkEnrollment(h.services, { workspaceId: h.workspaceId, dripId: drip.id, input: { from: 'segment', segmentId: segment.id } })
    expect(await runBulkEnrollment(h.services, { workspaceId: h.workspaceId, runId: again.id })).toMatchObject({ status: 'done', importedRows: 0, existingRows: 6, suppressedRows: 4 })
    expect(await enrollmentsOf(drip.id)).toHaveLength(6)

    // Step 1 goes to the six, never to a skipped address.
    expect(await h.drain()).toBe(6)
    for (const address of ['unsub', 'bounced', 'pending', 'listed']) expect(mailsTo(`${address}@seg.test`)).toEqual([])
    expect(mailsTo('vip6@seg.test')).toHaveLength(1)
  })

  it('a CSV: invalid rows with their line numbers, unknown addresses, duplicates and suppressed contacts counted', async () => {
    const drip = await makeDrip('CSV drip')
    await contact('ann@csv.test')
    await contact('bo@csv.test')
    await contact('gone@csv.test', 'unsubscribed')
    const file = 'name,email\nAnn,ann@csv.test\n"Bo\nBerg", BO@CSV.TEST \nNobody,nobody@csv.test\nBad,not-an-address\nAnn again,ann@csv.test\nGone,gone@csv.test\n'
    const run = await startBulkEnrollment(h.services, { workspaceId: h.workspaceId, dripId: drip.id, input: { from: 'csv', file } })
    expect(run).toMatchObject({ status: 'validating', totalRows: 6 })
    // Two workers run the same job at once (a lock that expired under a slow one): the batches take turns, counts stay exact.
    const both = () => runBulkEnrollment(h.services, { workspaceId: h.workspaceId, runId: run.id, batchSize: 2 })
    const [done] = await Promise.all([both(), both()])
    expect(done).toMatchObject({ status: 'done', processedRows: 6, importedRows: 2, existingRows: 1, suppressedRows: 1, invalidRows: 2 })
    expect(done!.errors).toEqual([
      { row: 3, line: 5, field: 'email', message: 'no contact with the address nobody@csv.test (add it under Contacts first)' },
      { row: 4, line: 6, field: 'email', message: '“not-an-address” is not an email address' },
    ])
    expect((await enrollmentsOf(drip.id)).map((e) => e.source)).toEqual(['import', 'import'])
  })

  it('takes a contact who cannot be emailed into a drip with an action step for them, never into an email-only drip (decision 096)', async () => {
    const emailOnly = await makeDrip('Email only')
    const mixed = await makeDrip('Email then a tag', { steps: [{ subject: 'Hello', markdown: 'Hi' }, { kind: 'action', action: { type: 'add_tag', tag: 'lapsed' } }] })
    const unsub = await contact('unsub@reach.test', 'unsubscribed')
    const bounced = await contact('bounced@reach.test', 'bounced')
    await contact('pending@reach.test', 'pending')
    const listed = await contact('listed@reach.test')
    await db().insert(suppressions).values({ workspaceId: h.workspaceId, email: 'listed@reach.test', reason: 'hard_bounce', createdAt: h.clock.now() })
    // Manual: the email-only drip refuses as before (409 naming the field); the mixed drip takes them.
    for (const contactId of [unsub, bounced, listed]) {
      await expect(enrollContact(h.services, { workspaceId: h.workspaceId, dripId: emailOnly.id, input: { contactId } })).rejects.toMatchObject({ status: 409, code: 'contact_suppressed', field: 'contactId' })
    }
    expect((await enrollContact(h.services, { workspaceId: h.workspaceId, dripId: mixed.id, input: { contactId: unsub } })).created).toBe(true)
    // CSV: the email-only drip counts them as suppressed, as before; the mixed drip enrolls all but the unconfirmed one.
    const file = 'email\nunsub@reach.test\nbounced@reach.test\nlisted@reach.test\npending@reach.test\n'
    const run = async (dripId: string) => {
      const started = await startBulkEnrollment(h.services, { workspaceId: h.workspaceId, dripId, input: { from: 'csv', file } })
      return runBulkEnrollment(h.services, { workspaceId: h.workspaceId, runId: started.id })
    }
    expect(await run(emailOnly.id)).toMatchObject({ status: 'done', importedRows: 0, suppressedRows: 4 })
    expect(await run(mixed.id)).toMatchObject({ status: 'done', importedRows: 2, existingRows: 1, suppressedRows: 1 })
    expect(await enrollmentsOf(emailOnly.id)).toEqual([])
    // The runner skips their email with the reason and runs the action: no message leaves.
    await h.drain()
    for (const address of ['unsub', 'bounced', 'listed', 'pending']) expect(mailsTo(`${address}@reach.test`)).toEqual([])
    const ended = await enrollmentsOf(mixed.id)
    expect(ended.map((e) => e.status)).toEqual(['completed', 'completed', 'completed'])
    const tagged = await db().select({ email: contacts.email, tags: contacts.tags }).from(contacts).where(eq(contacts.workspaceId, h.workspaceId))
    expect(tagged.filter((c) => c.tags.includes('lapsed')).map((c) => c.email).sort()).toEqual(['bounced@reach.test', 'listed@reach.test', 'unsub@reach.test'])
  })

  it('refuses bad input naming the field, and writes nothing', async () => {
    const drip = await makeDrip('Refusals')
    const start = (input: unknown, dripId = drip.id) => startBulkEnrollment(h.services, { workspaceId: h.workspaceId, dripId, input })
    const elsewhere = await insertSegment(db(), { workspaceId: other, name: 'Theirs', rule: { match: 'all', conditions: [] }, at: h.clock.now() })
    await expect(start({ from: 'segment', segmentId: elsewhere.id })).rejects.toMatchObject({ status: 404, field: 'segmentId' })
    await expect(start({ from: 'csv', file: 'a@x.io' }, '00000000-0000-4000-8000-000000000000')).rejects.toMatchObject({ status: 404, field: 'dripId' })
    await expect(start({ from: 'csv', file: 'email\na@x.io\n"open' })).rejects.toMatchObject({ status: 400, field: 'file', message: expect.stringContaining('line 3') })
    await expect(start({ from: 'csv', file: 'email\n' })).rejects.toMatchObject({ status: 400, field: 'file', message: expect.stringContaining('no addresses') })
    await expect(start({ from: 'csv' })).rejects.toMatchObject({ status: 400, field: 'file' })
    await expect(start({ from: 'segment', segmentId: 'nope' })).rejects.toMatchObject({ status: 400, field: 'segmentId' })
    await expect(start({ from: 'everyone' })).rejects.toMatchObject({ status: 400, field: 'from' })
    expect((await loadBulkEnrollPage(h.services, { workspaceId: h.workspaceId, dripId: drip.id })).runs).toEqual([])
  })
})

describe('removing a contact from a drip', () => {
  it('ends the enrollment as exited with the reason; the runner sends nothing more; 404/400 naming the field', async () => {
    const drip = await makeDrip('Removal')
    const leaver = await contact('leaver@rm.test')
    const stayer = await contact('stayer@rm.test')
    for (const contactId of [leaver, stayer]) await enrollContact(h.services, { workspaceId: h.workspaceId, dripId: drip.id, input: { contactId } })
    const before = h.smtp.messages.length
    expect(await h.drain()).toBe(2)
    const removed = await removeFromDrip(h.services, { workspaceId: h.workspaceId, dripId: drip.id, contactId: leaver, by: 'ada@brand.test', input: { reason: 'asked by phone' } })
    expect(removed.exited).toHaveLength(1)
    expect(removed.exited[0]).toMatchObject({ status: 'exited', endReason: 'removed by ada@brand.test: asked by phone', nextDueAt: null, endedAt: h.clock.now() })
    const [view] = await listContactDrips(h.services, { workspaceId: h.workspaceId, contactId: leaver })
    expect(view).toMatchObject({ dripId: drip.id, dripName: 'Removal', status: 'exited', stepPosition: 1, stepCount: 3, nextSendAt: null, enrolledAt: h.clock.now() })

    h.clock.advance(DAY)
    expect(await h.drain()).toBe(1) // step 2, to the stayer only
    h.clock.advance(2 * DAY)
    expect(await h.drain()).toBe(1) // step 3
    expect(mailsTo('leaver@rm.test')).toHaveLength(1)
    expect(mailsTo('stayer@rm.test')).toHaveLength(3)
    expect(h.smtp.messages.length).toBe(before + 4)
    // Again: nothing active any more, nothing to end.
    expect((await removeFromDrip(h.services, { workspaceId: h.workspaceId, dripId: drip.id, contactId: leaver, by: 'ada@brand.test' })).exited).toEqual([])

    const remove = (args: { dripId?: string; contactId: string; input?: unknown }) => removeFromDrip(h.services, { workspaceId: h.workspaceId, dripId: drip.id, by: 'x', ...args })
    const never = await contact('never@rm.test')
    const theirs = await insertContact(db(), { workspaceId: other, email: 'theirs@rm.test', at: h.clock.now() })
    await expect(remove({ contactId: never })).rejects.toMatchObject({ status: 404, field: 'contactId' })
    await expect(remove({ contactId: theirs.id })).rejects.toMatchObject({ status: 404, field: 'contactId' })
    await expect(remove({ contactId: 'not-a-uuid' })).rejects.toMatchObject({ status: 404, field: 'contactId' })
    await expect(remove({ dripId: '00000000-0000-4000-8000-000000000000', contactId: stayer })).rejects.toMatchObject({ status: 404, field: 'dripId' })
    await expect(remove({ contactId: stayer, input: { reason: 'x'.repeat(201) } })).rejects.toMatchObject({ status: 400, field: 'reason' })
    await expect(remove({ contactId: stayer, input: { colour: 'red' } })).rejects.toMatchObject({ status: 400, field: 'colour' })
  })
})

describe('projected drip emails on the calendar', () => {
  it('counts per day and per drip for the visible range only, from active enrollments of active drips of this workspace', async () => {
    const drip = await makeDrip('Calendar drip', { timezone: 'UTC' })
    const paused = await makeDrip('Paused drip', { timezone: 'UTC' })
    const enroll = async (dripId: string, email: string) => enrollContact(h.services, { workspaceId: h.workspaceId, dripId, input: { contactId: await contact(email) } })
    // Three enroll on Monday 08:00 UTC, two on Tuesday 08:00 UTC; one in a drip that is then paused.
    for (const i of [1, 2, 3]) await enroll(drip.id, `mon${i}@cal.test`)
    await enroll(paused.id, 'paused@cal.test')
    await setDripStatus(db(), { workspaceId: h.workspaceId, dripId: paused.id, status: 'paused', at: T0 })
    h.clock.set(new Date(T0.getTime() + DAY))
    for (const i of [1, 2]) await enroll(drip.id, `tue${i}@cal.test`)
    h.clock.set(T0)
    // Another workspace's active drip with enrollments due on the same days.
    const theirs = await createDrip(h.services, { workspaceId: other, input: { name: 'Theirs', steps } })
    await setDripStatus(db(), { workspaceId: other, dripId: theirs.id, status: 'active', at: T0 })
    const c = await insertContact(db(), { workspaceId: other, email: 'x@cal.test', at: T0 })
    await enrollContact(h.services, { workspaceId: other, dripId: theirs.id, input: { contactId: c.id } })

    const volume = (query: unknown) => loadEmailVolume(h.services, { workspaceId: h.workspaceId, query })
    const days = await volume({ from: '2026-11-01', to: '2026-11-30', tz: 'UTC' })
    // Monday's three: step 1 Mon, step 2 a day later (Tue), step 3 two days after that (Thu); Tuesday's two: Tue, Wed, Fri.
    expect(days.map((d) => [d.date, d.count])).toEqual([
      ['2026-11-02', 3],
      ['2026-11-03', 5],
      ['2026-11-04', 2],
      ['2026-11-05', 3],
      ['2026-11-06', 2],
    ])
    expect(days[1]!.drips).toEqual([{ id: drip.id, name: 'Calendar drip', count: 5 }])
    // Only the days asked for; in another zone the days shift (08:00 UTC is 17:00 in Tokyo, same day).
    expect((await volume({ from: '2026-11-04', to: '2026-11-05', tz: 'UTC' })).map((d) => [d.date, d.count])).toEqual([
      ['2026-11-04', 2],
      ['2026-11-05', 3],
    ])
    expect((await volume({ from: '2026-11-06', to: '2026-11-06', tz: 'America/Los_Angeles' })).map((d) => [d.date, d.count])).toEqual([['2026-11-06', 2]])

    await expect(volume({ from: '2026-11-05', to: '2026-11-04', tz: 'UTC' })).rejects.toMatchObject({ status: 400, field: 'to' })
    await expect(volume({ from: '2026-11-01', to: '2027-01-02', tz: 'UTC' })).rejects.toMatchObject({ status: 400, field: 'to' })
    await expect(volume({ from: '2026-13-01', to: '2026-11-04', tz: 'UTC' })).rejects.toMatchObject({ status: 400, field: 'from' })
    await expect(volume({ from: '2026-11-01', to: '2026-11-04', tz: 'Mars/Base' })).rejects.toMatchObject({ status: 400, field: 'tz' })
  })
})
