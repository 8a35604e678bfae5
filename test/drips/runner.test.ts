import { eq, sql } from 'drizzle-orm'
import { messageIdFor } from '../../connectors/email/index'
import { listEnrollments } from '../../db/queries/enrollments'
import { insertContactEvent } from '../../db/queries/events'
import { insertSegment } from '../../db/queries/segments'
import { suppressAddress } from '../../db/queries/suppression'
import { deliveries, emailSettings } from '../../db/schema'
import { enrollContact, getDrip, onContactTrigger } from '../../core/drips.server'
import { unsubscribeContact } from '../../core/email.server'
import { runDripPass } from '../../core/drips/runner.server'
import { startDripHarness, T0, type DripHarness } from './harness'

let h: DripHarness
const HOUR = 3_600_000
const DAY = 24 * HOUR

beforeEach(async () => {
  h = await startDripHarness()
})
afterEach(async () => {
  await h?.close()
})



describe('drip runner', () => {
  it('sends steps after their delays, inside the send window in the contact’s zone, with a deterministic Message-ID', async () => {
    const drip = await h.activeDrip({
      steps: [
        { subject: 'Welcome {{ first_name | "friend" }}', markdown: 'Hello **{{ name | "you" }}**, [read](https://example.com/a)' },
        { subject: 'Day two', markdown: 'Two', delay: 'P2D', window: { days: ['MO', 'TU', 'WE', 'TH', 'FR'], start: '09:00', end: '17:00' } },
        { subject: 'Day three', markdown: 'Three', delay: 'PT1H', quietHours: { start: '20:00', end: '08:00' } },
      ],
    })
    const contactId = await h.contact('ada@example.com', { timezone: 'America/New_York' })
    await h.contact('bob@example.com')
    const { enrollment, created } = await enrollContact(h.services, { workspaceId: h.workspaceId, dripId: drip.id, input: { contactId } })
    expect(created).toBe(true)
    expect(await h.drain()).toBe(1)
    const [first] = h.sentTo('ada@example.com')
    expect(first!.parsed.subject).toBe('Welcome friend')
    expect(first!.parsed.messageId).toBe(messageIdFor({ idempotencyKey: `${enrollment.id}:${drip.steps[0]!.id}`, fromAddress: 'news@brand.test' }))
    expect(first!.raw).toMatch(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click\r?$/im)
    expect(first!.raw).toMatch(/^List-Unsubscribe:\s*<http:\/\/127\.0\.0\.1:9\/u\//im)
    expect(first!.parsed.text).toContain('Brand Inc., 1 Main St, Springfield')
    // Step 2: 2 days after 03:00 New York (Mon) = Wed 03:00 → window opens Wed 09:00 New York = 14:00Z.
    const [e1] = await listEnrollments(h.database.db, { workspaceId: h.workspaceId, dripId: drip.id })
    expect(e1!.stepPosition).toBe(1)
    expect(e1!.nextDueAt!.toISOString()).toBe('2026-11-04T14:00:00.000Z')
    h.clock.set(new Date('2026-11-04T13:59:00Z'))
    expect(await h.drain()).toBe(0)
    h.clock.set(new Date('2026-11-04T14:00:00Z'))
    expect(await h.drain()).toBe(1)
    // Step 3: PT1H after 09:00 local = 10:00 local (outside quiet hours).
    const [e2] = await listEnrollments(h.database.db, { workspaceId: h.workspaceId, dripId: drip.id })
    expect(e2!.nextDueAt!.toISOString()).toBe('2026-11-04T15:00:00.000Z')
    h.clock.set(new Date('2026-11-04T15:00:00Z'))
    expect(await h.drain()).toBe(1)
    const [done] = await listEnrollments(h.database.db, { workspaceId: h.workspaceId, dripId: drip.id })
    expect(done).toMatchObject({ status: 'completed', stepPosition: 3, nextDueAt: null })
    expect(h.sentTo('ada@example.com').map((m) => m.parsed.subject)).toEqual(['Welcome friend', 'Day two', 'Day three'])
    const view = await getDrip(h.services, { workspaceId: h.workspaceId, dripId: drip.id })
    expect(view.totals).toMatchObject({ enrolled: 1, completed: 1, sent: 3, delivered: 3 })
    expect(view.funnel.map((f) => f.reached)).toEqual([1, 1, 1])
  })

  it('branches on opens and events, ends on a goal, and respects re-entry policies', async () => {
    const drip = await h.activeDrip({
      reentry: 'once_at_a_time',
      goals: ['purchase'],
      steps: [
        { subject: 'One', markdown: 'one' },
        { subject: 'Opened one', markdown: 'thanks for reading', delay: 'P1D', condition: { kind: 'email', activity: 'opened', step: 0, withinDays: 1 }, onFalse: 'skip' },
        { subject: 'Not opened', markdown: 'did you miss it?', delay: 'PT1H', condition: { kind: 'email', activity: 'opened', step: 0, negate: true }, onFalse: 'exit' },
      ],
    })
    const reader = await h.contact('reader@example.com')
    const skipper = await h.contact('skipper@example.com')
    const buyer = await h.contact('buyer@example.com')
    for (const contactId of [reader, skipper, buyer]) await enrollContact(h.services, { workspaceId: h.workspaceId, dripId: drip.id, input: { contactId } })
    // once_at_a_time: a second enrollment while active returns the first.
    const again = await enrollContact(h.services, { workspaceId: h.workspaceId, dripId: drip.id, input: { contactId: reader } })
    expect(again.created).toBe(false)
    expect(await h.drain()).toBe(3)
    const enrollments = await listEnrollments(h.database.db, { workspaceId: h.workspaceId, dripId: drip.id })
    const of = (c: string) => enrollments.find((e) => e.contactId === c)!
    await insertContactEvent(h.database.db, { workspaceId: h.workspaceId, contactId: reader, type: 'opened', enrollmentId: of(reader).id, stepId: drip.steps[0]!.id, sequenceId: drip.id, occurredAt: new Date(T0.getTime() + HOUR) })
    h.clock.set(new Date(T0.getTime() + 2 * HOUR))
    await onContactTrigger(h.services, { workspaceId: h.workspaceId, contactId: buyer, trigger: { kind: 'event', event: 'purchase' } })
    h.clock.set(new Date(T0.getTime() + DAY))
    // The reader gets step 2; the skipper's step 2 is skipped and step 3 waits its hour after the skip.
    expect(await h.drain()).toBe(1)
    h.clock.set(new Date(T0.getTime() + DAY + 2 * HOUR))
    expect(await h.drain()).toBe(1)
    expect(h.sentTo('reader@example.com').map((m) => m.parsed.subject)).toEqual(['One', 'Opened one'])
    expect(h.sentTo('skipper@example.com').map((m) => m.parsed.subject)).toEqual(['One', 'Not opened'])
    expect(h.sentTo('buyer@example.com').map((m) => m.parsed.subject)).toEqual(['One'])
    const after = await listEnrollments(h.database.db, { workspaceId: h.workspaceId, dripId: drip.id })
    expect(after.find((e) => e.contactId === reader)).toMatchObject({ status: 'exited' })
    expect(after.find((e) => e.contactId === skipper)).toMatchObject({ status: 'completed' })
    expect(after.find((e) => e.contactId === buyer)).toMatchObject({ status: 'goal_reached' })
    // once_at_a_time: after the enrollment ended, a new one (cycle 2) starts.
    const re = await enrollContact(h.services, { workspaceId: h.workspaceId, dripId: drip.id, input: { contactId: buyer } })
    expect(re).toMatchObject({ created: true, enrollment: { cycle: 2 } })
    const view = await getDrip(h.services, { workspaceId: h.workspaceId, dripId: drip.id })
    expect(view.steps.map((s) => s.counts.sent)).toEqual([3, 1, 1])
    expect(view.steps[1]!.counts.skipped).toBe(1)
    expect(view.totals).toMatchObject({ goalReached: 1, completed: 1, exited: 1 })
  })

  it('once_ever and every_time policies, idempotency keys', async () => {
    const once = await h.activeDrip({ reentry: 'once_ever', steps: [{ subject: 'a', markdown: 'a' }] })
    const every = await h.activeDrip({ reentry: 'every_time', steps: [{ subject: 'b', markdown: 'b' }] })
    const c = await h.contact('x@example.com')
    const e = (dripId: string, key?: string) => enrollContact(h.services, { workspaceId: h.workspaceId, dripId, input: { email: 'X@example.com', idempotencyKey: key } })
    expect((await e(once.id)).created).toBe(true)
    await h.drain()
    expect((await e(once.id)).created).toBe(false)
    expect((await e(every.id, 'k1')).created).toBe(true)
    expect((await e(every.id, 'k1')).created).toBe(false)
    expect((await e(every.id, 'k2')).enrollment.cycle).toBe(2)
    expect(await h.drain()).toBe(2)
    expect(h.sentTo('x@example.com')).toHaveLength(3)
    void c
  })

  it('delays a capped message until the frequency cap allows it, never drops it', async () => {
    await h.database.db.update(emailSettings).set({ frequencyCap: { max: 2, periodHours: 24 } }).where(eq(emailSettings.workspaceId, h.workspaceId))
    const drips = []
    for (const n of [1, 2, 3]) drips.push(await h.activeDrip({ name: `d${n}`, steps: [{ subject: `drip ${n}`, markdown: 'x' }] }))
    await h.contact('cap@example.com')
    for (const d of drips) await enrollContact(h.services, { workspaceId: h.workspaceId, dripId: d.id, input: { email: 'cap@example.com' } })
    expect(await h.drain()).toBe(2)
    h.clock.set(new Date(T0.getTime() + DAY - 1000))
    expect(await h.drain()).toBe(0)
    h.clock.set(new Date(T0.getTime() + DAY + 1000))
    expect(await h.drain()).toBe(1)
    expect(h.sentTo('cap@example.com')).toHaveLength(3)
  })

  it('an unsubscribe between steps stops the next step; a suppressed address gets nothing', async () => {
    const drip = await h.activeDrip({ steps: [{ subject: 'one', markdown: '1' }, { subject: 'two', markdown: '2', delay: 'P1D' }] })
    const u = await h.contact('u@example.com')
    await h.contact('s@example.com')
    for (const email of ['u@example.com', 's@example.com']) await enrollContact(h.services, { workspaceId: h.workspaceId, dripId: drip.id, input: { email } })
    // Suppressed after enrolling (a suppressed address is not enrolled at all: 409).
    await suppressAddress(h.database.db, { workspaceId: h.workspaceId, email: 's@example.com', reason: 'complaint', at: T0 })
    await expect(enrollContact(h.services, { workspaceId: h.workspaceId, dripId: drip.id, input: { email: 's@example.com' } })).rejects.toMatchObject({ status: 409, code: 'contact_suppressed' })
    expect(await h.drain()).toBe(1)
    await unsubscribeContact(h.services, { claims: { workspaceId: h.workspaceId, contactId: u, sequenceId: drip.id }, source: 'one-click' })
    h.clock.set(new Date(T0.getTime() + DAY))
    expect(await h.drain()).toBe(0)
    expect(h.sentTo('u@example.com').map((m) => m.parsed.subject)).toEqual(['one'])
    expect(h.sentTo('s@example.com')).toHaveLength(0)
    const statuses = (await listEnrollments(h.database.db, { workspaceId: h.workspaceId, dripId: drip.id })).map((e) => e.status).sort()
    expect(statuses).toEqual(['unsubscribed', 'unsubscribed'])
  })

  it('an unsubscribe that commits during a batch stops that contact’s message in the same batch (send window 1: one at a time)', async () => {
    const drip = await h.activeDrip({ steps: [{ subject: 'one', markdown: '1' }] })
    const ids: string[] = []
    for (let i = 0; i < 40; i++) ids.push(await h.contact(`b${i}@example.com`))
    for (const contactId of ids) await enrollContact(h.services, { workspaceId: h.workspaceId, dripId: drip.id, input: { contactId } })
    // As soon as the first message arrives (the batch is already claimed), unsubscribe a contact that is
    // not its recipient (the batch's order is not the order of creation: ids are random); the server
    // answers that first message only once the unsubscribe has committed, so the runner cannot reach
    // that contact before it (the runner sends one message at a time).
    let target = ''
    const unsubscribed = h.smtp.waitForMessages(1).then(async ([first]) => {
      target = first!.envelope.to.includes('b39@example.com') ? 'b38@example.com' : 'b39@example.com'
      const contactId = ids[Number(/^b(\d+)@/.exec(target)![1])]!
      await unsubscribeContact(h.services, { claims: { workspaceId: h.workspaceId, contactId }, source: 'test' })
    })
    h.smtp.injectFault({ kind: 'hold', until: unsubscribed })
    const report = await runDripPass(h.runner({ batchSize: 100, sendWindow: 1 }))
    await unsubscribed
    expect(report.claimed).toBe(40)
    expect(h.sentTo(target)).toHaveLength(0)
    expect(report.sent).toBe(39)
    expect(report.blocked).toBe(1)
  })

  it('with the default send window, an unsubscribe that commits before a group is marked stops that contact’s message', async () => {
    const drip = await h.activeDrip({ steps: [{ subject: 'one', markdown: '1' }] })
    const emails = new Map<string, string>()
    for (let i = 0; i < 40; i++) {
      const contactId = await h.contact(`w${i}@example.com`)
      emails.set(contactId, `w${i}@example.com`)
      await enrollContact(h.services, { workspaceId: h.workspaceId, dripId: drip.id, input: { contactId } })
    }
    // All are due at the same instant, so the batch runs in enrollment id order: the last one is in the last group.
    const last = (await listEnrollments(h.database.db, { workspaceId: h.workspaceId, dripId: drip.id })).sort((a, b) => (a.id < b.id ? -1 : 1)).at(-1)!
    // Every send waits until the unsubscribe (started by the first send) has committed: the two groups marked
    // before it (the window, 10 messages) are in flight; every later group is marked after it.
    let started = false
    let release!: () => void
    const committed = new Promise<void>((resolve) => (release = resolve))
    const email = {
      ...h.email,
      async publish(args: Parameters<typeof h.email.publish>[0]) {
        if (!started) {
          started = true
          void unsubscribeContact(h.services, { claims: { workspaceId: h.workspaceId, contactId: last.contactId }, source: 'test' }).then(release)
        }
        await committed
        return h.email.publish(args)
      },
    }
    const report = await runDripPass(h.runner({ batchSize: 100, email }))
    expect(report.claimed).toBe(40)
    expect(report.sent).toBe(39)
    expect(report.blocked).toBe(1)
    expect(h.sentTo(emails.get(last.contactId)!)).toHaveLength(0)
    const [ended] = (await listEnrollments(h.database.db, { workspaceId: h.workspaceId, dripId: drip.id })).filter((e) => e.id === last.id)
    expect(ended).toMatchObject({ status: 'unsubscribed' })
    expect(h.smtp.messages).toHaveLength(39)
  })

  it('keeps at most the send window’s messages handed over without their outcome recorded', async () => {
    const drip = await h.activeDrip({ steps: [{ subject: 'one', markdown: '1' }] })
    for (let i = 0; i < 60; i++) await enrollContact(h.services, { workspaceId: h.workspaceId, dripId: drip.id, input: { contactId: await h.contact(`f${i}@example.com`) } })
    for (const sendWindow of [10, 3]) {
      await h.database.db.execute(sql`UPDATE enrollments SET step_position = 0, status = 'active', next_due_at = ${T0.toISOString()}::timestamptz, ended_at = NULL WHERE sequence_id = ${drip.id}`)
      await h.database.db.execute(sql`DELETE FROM deliveries WHERE sequence_id = ${drip.id}`)
      let handedOver = 0
      let most = 0
      // Sends started and not yet answered, counted synchronously (no database read in between to race with).
      let answered = 0
      let together = 0
      const email = {
        ...h.email,
        async publish(args: Parameters<typeof h.email.publish>[0]) {
          handedOver++
          together = Math.max(together, handedOver - answered)
          // Handed over as of this call (more may be by the time the count comes back, under load).
          const mine = handedOver
          // Recorded outcomes only grow, so this reading can only understate what is in flight: a bound it passes holds.
          const recorded = (await h.database.db.execute(sql`SELECT count(*)::int AS n FROM deliveries WHERE sequence_id = ${drip.id} AND state = 'published'`)) as unknown as Array<{ n: number }> | { rows: Array<{ n: number }> }
          const n = Number((Array.isArray(recorded) ? recorded : recorded.rows)[0]!.n)
          most = Math.max(most, mine - n)
          try {
            return await h.email.publish(args)
          } finally {
            answered++
          }
        },
      }
      const report = await runDripPass(h.runner({ batchSize: 100, sendWindow, email }))
      expect(report.sent).toBe(60)
      expect(most).toBeLessThanOrEqual(sendWindow)
      // Groups really go out together: a whole group is handed over before any of it is answered (so before
      // any of its outcomes is recorded). Measured without the count query, whose answer can come back after
      // recordings under load and understate the group (this assertion failed that way at load ~6).
      expect(together).toBeLessThanOrEqual(sendWindow)
      expect(together).toBeGreaterThanOrEqual(Math.ceil(sendWindow / 2))
    }
  })

  it('segment and rule conditions', async () => {
    const seg = await insertSegment(h.database.db, { workspaceId: h.workspaceId, name: 'vip', rule: { match: 'all', conditions: [{ kind: 'tag', tag: 'vip', has: true }] }, at: T0 })
    const drip = await h.activeDrip({
      steps: [
        { subject: 'vip only', markdown: 'x', condition: { kind: 'segment', segmentId: seg.id } },
        { subject: 'german', markdown: 'x', condition: { kind: 'rule', rule: { match: 'all', conditions: [{ kind: 'field', field: 'country', op: 'eq', value: 'DE' }] } } },
      ],
    })
    await h.contact('vip@example.com', { tags: ['vip'] })
    await h.contact('de@example.com', { fields: { country: 'DE' } })
    for (const email of ['vip@example.com', 'de@example.com']) await enrollContact(h.services, { workspaceId: h.workspaceId, dripId: drip.id, input: { email } })
    await h.drain()
    expect(h.sentTo('vip@example.com').map((m) => m.parsed.subject)).toEqual(['vip only'])
    expect(h.sentTo('de@example.com').map((m) => m.parsed.subject)).toEqual(['german'])
    const view = await getDrip(h.services, { workspaceId: h.workspaceId, dripId: drip.id })
    expect(view.steps.map((s) => [s.counts.sent, s.counts.skipped])).toEqual([[1, 1], [1, 1]])
    expect(view.totals).toMatchObject({ completed: 2 })
  })

  it('costs at most 2 database statements per message (batched claim, one statement per group of messages)', async () => {
    const drip = await h.activeDrip({ steps: [{ subject: 'hello {{ name | "x" }}', markdown: 'body' }] })
    for (let i = 0; i < 300; i++) await h.contact(`m${i}@example.com`)
    const { enrollContacts } = await import('../../core/drips.server')
    await enrollContacts(h.services, { workspaceId: h.workspaceId, dripId: drip.id, emails: Array.from({ length: 300 }, (_, i) => `m${i}@example.com`) })
    if (!h.database.url) return // PGlite: no postgres.js statement hook
    h.statements.count = 0
    const report = await runDripPass(h.runner({ batchSize: 200 }))
    expect(report.sent).toBe(300)
    const perMessage = h.statements.count / report.sent
    expect(perMessage).toBeLessThanOrEqual(2)
    // The default send window (10) goes out in groups of 5: one statement records a group and marks the next.
    expect(perMessage).toBeLessThan(0.3)
    const rows = await h.database.db.select().from(deliveries).where(eq(deliveries.sequenceId, drip.id))
    expect(rows).toHaveLength(300)
    expect(rows.every((r) => r.state === 'published' && r.enrollmentId && r.accountId === null)).toBe(true)
  })
})
