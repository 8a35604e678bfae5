import { getContact } from '../../db/queries/contacts'
import { listEnrollments } from '../../db/queries/enrollments'
import { defineCustomField, startContactImport, updateContactFromApi } from '../../core/contacts.server'
import { applyDsn, unsubscribeContact } from '../../core/email.server'
import { createDrip, enrollContact, listDrips } from '../../core/drips.server'
import type { DripInput } from '../../domain/drip/schema'
import { startDripHarness, type DripHarness } from './harness'

/** Behaviour triggers that fire (decision 096): bounces (DSN and SMTP), soft bounces counted, complaints, unsubscribes, field changes. */

let h: DripHarness
beforeEach(async () => {
  h = await startDripHarness()
})
afterEach(async () => {
  await h?.close()
})

const enrolledIn = async (dripId: string) => (await listEnrollments(h.database.db, { workspaceId: h.workspaceId, dripId })).map((e) => [e.contactId, e.source])
const dsn = (recipient: string, action: string, status: string) => ({ recipient, action, status, diagnostic: null, hard: action === 'failed' && status.startsWith('5.') })

describe('behaviour triggers', () => {
  it('a hard bounce (DSN of drip A’s step 1, and an SMTP 5xx) and the third soft bounce enroll; a replayed DSN enrolls nobody twice', async () => {
    const a = await h.activeDrip({ name: 'A', reentry: 'every_time', steps: [{ subject: 'One', markdown: 'one' }, { subject: 'Two', markdown: 'two', delay: 'P1D' }] })
    const onBounce = await h.activeDrip({ name: 'Bounced', triggers: [{ kind: 'email_activity', activity: 'bounced', dripId: a.id, step: 0 }], steps: [{ kind: 'action', action: { type: 'add_tag', tag: 'bounced' } }] })
    const onAnyBounce = await h.activeDrip({ name: 'Any bounce', triggers: [{ kind: 'email_activity', activity: 'bounced' }], steps: [{ kind: 'action', action: { type: 'add_tag', tag: 'x' } }] })
    const onSoft = await h.activeDrip({ name: 'Soft ×3', triggers: [{ kind: 'email_activity', activity: 'soft_bounced', times: 3 }], steps: [{ kind: 'action', action: { type: 'add_tag', tag: 'soft' } }] })
    const ada = await h.contact('ada@example.com')
    const bob = await h.contact('bob@example.com')
    const cy = await h.contact('cy@example.com')
    h.smtp.rejected.add('cy@example.com')
    for (const contactId of [ada, bob, cy]) await enrollContact(h.services, { workspaceId: h.workspaceId, dripId: a.id, input: { contactId } })
    await h.drain()
    expect(h.sentTo('ada@example.com')).toHaveLength(1)
    // cy's address was refused at RCPT TO: a hard bounce of step 1 during the send.
    expect(await enrolledIn(onBounce.id)).toEqual([[cy, `email_activity:bounced:${a.id}:0:*`]])

    const first = await applyDsn(h.services, { workspaceId: h.workspaceId, recipients: [dsn('ada@example.com', 'failed', '5.1.1')] })
    expect(first.suppressed).toEqual(['ada@example.com'])
    await applyDsn(h.services, { workspaceId: h.workspaceId, recipients: [dsn('ada@example.com', 'failed', '5.1.1')] })
    expect((await enrolledIn(onBounce.id)).map(([c]) => c).sort()).toEqual([ada, cy].sort())
    expect((await enrolledIn(onAnyBounce.id)).map(([c]) => c).sort()).toEqual([ada, cy].sort())

    // Soft bounces: once per sent email (a delay then a failure of the same email is one), counted per contact; the third enrolls.
    await applyDsn(h.services, { workspaceId: h.workspaceId, recipients: [dsn('bob@example.com', 'delayed', '4.2.2')] })
    await applyDsn(h.services, { workspaceId: h.workspaceId, recipients: [dsn('bob@example.com', 'failed', '4.4.7')] })
    h.clock.advance(24 * 3_600_000)
    await h.drain()
    expect(h.sentTo('bob@example.com')).toHaveLength(2)
    await applyDsn(h.services, { workspaceId: h.workspaceId, recipients: [dsn('bob@example.com', 'failed', '4.4.7')] })
    expect(await enrolledIn(onSoft.id)).toEqual([])
    h.clock.advance(60_000)
    await enrollContact(h.services, { workspaceId: h.workspaceId, dripId: a.id, input: { contactId: bob } })
    await h.drain()
    expect(h.sentTo('bob@example.com')).toHaveLength(3)
    await applyDsn(h.services, { workspaceId: h.workspaceId, recipients: [dsn('bob@example.com', 'delayed', '4.2.2')] })
    expect(await enrolledIn(onSoft.id)).toEqual([[bob, 'email_activity:soft_bounced:*:*:*:3']])
  })

  it('an unsubscribe (link or API) and a complaint (API) enroll into their drips', async () => {
    const onUnsub = await h.activeDrip({ name: 'Unsubscribed', triggers: [{ kind: 'email_activity', activity: 'unsubscribed' }], steps: [{ kind: 'action', action: { type: 'add_tag', tag: 'gone' } }] })
    const onComplaint = await h.activeDrip({ name: 'Complained', triggers: [{ kind: 'email_activity', activity: 'complained' }], steps: [{ kind: 'action', action: { type: 'add_tag', tag: 'spam' } }] })
    const ada = await h.contact('ada@example.com')
    const bob = await h.contact('bob@example.com')
    const cy = await h.contact('cy@example.com')
    await unsubscribeContact(h.services, { claims: { workspaceId: h.workspaceId, contactId: ada }, source: 'unsubscribe link' })
    await unsubscribeContact(h.services, { claims: { workspaceId: h.workspaceId, contactId: ada }, source: 'unsubscribe link' })
    await updateContactFromApi(h.services, { workspaceId: h.workspaceId, contactId: bob, input: { status: 'unsubscribed' } })
    await updateContactFromApi(h.services, { workspaceId: h.workspaceId, contactId: cy, input: { status: 'complained' } })
    expect((await enrolledIn(onUnsub.id)).sort()).toEqual([[ada, 'email_activity:unsubscribed:*:*:*'], [bob, 'email_activity:unsubscribed:*:*:*']].sort())
    expect(await enrolledIn(onComplaint.id)).toEqual([[cy, 'email_activity:complained:*:*:*']])
  })

  it('a field change through the API enrolls into drips on that field (to a value, or any value); the same value again does not', async () => {
    await defineCustomField(h.services, { workspaceId: h.workspaceId, key: 'lifecycle_stage', label: 'Lifecycle stage', type: 'text' })
    await defineCustomField(h.services, { workspaceId: h.workspaceId, key: 'seats', label: 'Seats', type: 'number' })
    const customer = await h.activeDrip({ name: 'Customer', triggers: [{ kind: 'field_changed', field: 'lifecycle_stage', to: 'customer' }], steps: [{ subject: 'Welcome aboard', markdown: 'hi' }] })
    const anyStage = await h.activeDrip({ name: 'Any stage', reentry: 'every_time', triggers: [{ kind: 'field_changed', field: 'lifecycle_stage' }], steps: [{ subject: 'Stage', markdown: 'hi' }] })
    const tenSeats = await h.activeDrip({ name: 'Ten seats', triggers: [{ kind: 'field_changed', field: 'seats', to: 10 }], steps: [{ subject: 'Seats', markdown: 'hi' }] })
    const ada = await h.contact('ada@example.com', { fields: { lifecycle_stage: 'lead' } })
    const update = (fields: Record<string, string | number | null>) => updateContactFromApi(h.services, { workspaceId: h.workspaceId, contactId: ada, input: { fields } })
    await update({ lifecycle_stage: 'lead' })
    expect(await enrolledIn(anyStage.id)).toEqual([])
    await update({ lifecycle_stage: 'customer', seats: 10 })
    expect(await enrolledIn(customer.id)).toEqual([[ada, 'field_changed:lifecycle_stage:customer']])
    expect(await enrolledIn(anyStage.id)).toEqual([[ada, 'field_changed:lifecycle_stage:*']])
    expect(await enrolledIn(tenSeats.id)).toEqual([[ada, 'field_changed:seats:10']])
    h.clock.advance(60_000)
    await update({ lifecycle_stage: 'customer' })
    await update({ lifecycle_stage: null })
    expect(await enrolledIn(anyStage.id)).toHaveLength(1)
    await update({ lifecycle_stage: 'churned' })
    expect(await enrolledIn(anyStage.id)).toHaveLength(2)
  })

  it('refuses bad behaviour triggers with a 400 naming the field, nothing saved', async () => {
    await defineCustomField(h.services, { workspaceId: h.workspaceId, key: 'lifecycle_stage', label: 'Lifecycle stage', type: 'text' })
    await defineCustomField(h.services, { workspaceId: h.workspaceId, key: 'seats', label: 'Seats', type: 'number' })
    const attempt = async (triggers: unknown) => {
      try {
        await createDrip(h.services, { workspaceId: h.workspaceId, input: { name: 'Bad', triggers, steps: [{ subject: 's', markdown: 'm' }] } as DripInput })
      } catch (error) {
        return { status: (error as { status: number }).status, field: (error as { field: string }).field }
      }
      return null
    }
    expect(await attempt([{ kind: 'field_changed', field: 'stage' }])).toEqual({ status: 400, field: 'triggers.0.field' })
    expect(await attempt([{ kind: 'field_changed', field: 'Lifecycle Stage' }])).toEqual({ status: 400, field: 'triggers.0.field' })
    expect(await attempt([{ kind: 'event', event: 'x' }, { kind: 'field_changed', field: 'seats', to: 'ten' }])).toEqual({ status: 400, field: 'triggers.1.to' })
    expect(await attempt([{ kind: 'field_changed', field: 'lifecycle_stage', to: 3 }])).toEqual({ status: 400, field: 'triggers.0.to' })
    expect(await attempt([{ kind: 'email_activity', activity: 'clicked', times: 2 }])).toEqual({ status: 400, field: 'triggers.0.times' })
    expect(await attempt([{ kind: 'email_activity', activity: 'soft_bounced', times: 0 }])).toEqual({ status: 400, field: 'triggers.0.times' })
    expect(await attempt([{ kind: 'email_activity', activity: 'bounced', url: 'https://example.com' }])).toEqual({ status: 400, field: 'triggers.0.url' })
    expect(await attempt([{ kind: 'email_activity', activity: 'bounces' }])).toEqual({ status: 400, field: 'triggers.0.activity' })
    expect(await listDrips(h.services, { workspaceId: h.workspaceId })).toEqual([])
    expect(await attempt([{ kind: 'field_changed', field: 'seats', to: 10 }, { kind: 'email_activity', activity: 'soft_bounced', times: 2 }])).toBeNull()
  })
})

describe('bounce, complaint and unsubscribe conditions (decision 096)', () => {
  it('branch on a hard bounce of an earlier email of this enrollment, and on the contact’s state now', async () => {
    const drip = await h.activeDrip({
      steps: [
        { subject: 'One', markdown: 'one' },
        { kind: 'action', delay: 'P1D', action: { type: 'add_tag', tag: 'bounced-one' }, condition: { kind: 'email', activity: 'bounced', step: 0 } },
        { kind: 'action', action: { type: 'add_tag', tag: 'unsubscribed' }, condition: { kind: 'email', activity: 'unsubscribed' } },
        { kind: 'action', action: { type: 'add_tag', tag: 'bounced' }, condition: { kind: 'email', activity: 'bounced' } },
        { kind: 'action', action: { type: 'add_tag', tag: 'clean' }, condition: { kind: 'email', activity: 'complained', negate: true } },
      ],
    })
    const ada = await h.contact('ada@example.com')
    const bob = await h.contact('bob@example.com')
    const cy = await h.contact('cy@example.com')
    for (const contactId of [ada, bob, cy]) await enrollContact(h.services, { workspaceId: h.workspaceId, dripId: drip.id, input: { contactId } })
    await h.drain()
    expect(h.sentTo('ada@example.com')).toHaveLength(1)
    await applyDsn(h.services, { workspaceId: h.workspaceId, recipients: [dsn('ada@example.com', 'failed', '5.1.1')] })
    await unsubscribeContact(h.services, { claims: { workspaceId: h.workspaceId, contactId: bob }, source: 'unsubscribe link' })
    h.clock.advance(86_400_000)
    await h.drain()
    const tags = async (contactId: string) => (await getContact(h.database.db, { workspaceId: h.workspaceId, contactId }))!.tags
    expect(await tags(ada)).toEqual(['bounced-one', 'bounced', 'clean'])
    expect(await tags(bob)).toEqual(['unsubscribed', 'clean'])
    expect(await tags(cy)).toEqual(['clean'])
  })
})

describe('a contacts CSV import fires "field changed" triggers (decision 096)', () => {
  it('enrolls the imported contacts whose field got a matching value, in a few statements for the whole file', async () => {
    await defineCustomField(h.services, { workspaceId: h.workspaceId, key: 'lifecycle_stage', label: 'Lifecycle stage', type: 'text' })
    await defineCustomField(h.services, { workspaceId: h.workspaceId, key: 'seats', label: 'Seats', type: 'number' })
    const customers = await h.activeDrip({ name: 'Customers', triggers: [{ kind: 'field_changed', field: 'lifecycle_stage', to: 'customer' }], steps: [{ subject: 'Welcome, customer', markdown: 'hi' }] })
    const seats = await h.activeDrip({ name: 'Seats', triggers: [{ kind: 'field_changed', field: 'seats' }], steps: [{ subject: 'Seats', markdown: 'hi', delay: 'P1D' }] })
    const rows = Array.from({ length: 60 }, (_, i) => `u${i}@import.test,${i % 6 === 0 ? 'customer' : i % 6 === 1 ? 'lead' : ''},${i % 4 === 0 ? i : ''}`)
    h.statements.count = 0
    const { done } = await startContactImport(h.services as never, { workspaceId: h.workspaceId, csv: ['email,lifecycle_stage,seats', ...rows].join('\n') })
    await done
    // Batched: ~20 statements for the whole import, whatever its length (one enrollment per row would cost 3 or more for each of the 25).
    expect(h.statements.count).toBeLessThan(25)
    const byDrip = async (dripId: string) => (await listEnrollments(h.database.db, { workspaceId: h.workspaceId, dripId })).map((e) => e.source)
    expect(await byDrip(customers.id)).toEqual(Array(10).fill('field_changed:lifecycle_stage:customer'))
    expect(await byDrip(seats.id)).toEqual(Array(15).fill('field_changed:seats:*'))
    expect(await h.drain()).toBe(10)
    expect(h.sentTo('u0@import.test').map((m) => m.parsed.subject)).toEqual(['Welcome, customer'])
    expect(h.sentTo('u1@import.test')).toEqual([])
  })
})
