import { eq } from 'drizzle-orm'
import { deliveries, memberships, users } from '../../db/schema'
import { defineCustomField } from '../../core/contacts.server'
import { createDrip, enrollContact, onContactTrigger, type DripInput } from '../../core/drips.server'
import { recordApiEvent, recordTrackedActivity } from '../../core/email.server'
import { verifyEmailToken } from '../../core/email-links.server'
import { startDripHarness, type DripHarness } from './harness'

/** Wait-until and notify action steps (decision 096). */

let h: DripHarness
beforeEach(async () => {
  h = await startDripHarness()
})
afterEach(async () => {
  await h?.close()
})

const HOUR = 3_600_000
const DAY = 24 * HOUR
const subjects = (address: string) => h.sentTo(address).map((m) => m.parsed.subject)
const stepRow = async (dripId: string, stepId: string, enrollmentId: string) =>
  (await h.database.db.select().from(deliveries).where(eq(deliveries.sequenceId, dripId))).find((d) => d.stepId === stepId && d.enrollmentId === enrollmentId)

async function member(email: string, name = 'Grace Hopper') {
  const [user] = await h.database.db.insert(users).values({ email, name, passwordHash: 'x' }).returning()
  await h.database.db.insert(memberships).values({ workspaceId: h.workspaceId, userId: user!.id, role: 'editor' })
  return user!.id
}

describe('wait-until steps', () => {
  it('waits for an API event (woken by it at once) or goes on at the timeout, recording which', async () => {
    const drip = await h.activeDrip({ steps: [{ kind: 'action', action: { type: 'wait_until', until: { kind: 'event', event: 'purchase' }, timeout: 'P3D' } }, { subject: 'After', markdown: 'thanks' }] })
    const ada = await h.contact('ada@example.com')
    const bob = await h.contact('bob@example.com')
    const ea = (await enrollContact(h.services, { workspaceId: h.workspaceId, dripId: drip.id, input: { contactId: ada } })).enrollment
    const eb = (await enrollContact(h.services, { workspaceId: h.workspaceId, dripId: drip.id, input: { contactId: bob } })).enrollment
    expect(await h.drain()).toBe(0)
    h.clock.advance(HOUR)
    await recordApiEvent(h.services, { workspaceId: h.workspaceId, input: { email: 'ada@example.com', type: 'purchase' } })
    await onContactTrigger(h.services, { workspaceId: h.workspaceId, contactId: ada, trigger: { kind: 'event', event: 'purchase' } })
    expect(await h.drain()).toBe(1)
    expect(subjects('ada@example.com')).toEqual(['After'])
    expect(subjects('bob@example.com')).toEqual([])
    expect(await stepRow(drip.id, drip.steps[0]!.id, ea.id)).toMatchObject({ state: 'published', lastError: null })
    h.clock.advance(2 * DAY)
    expect(await h.drain()).toBe(0)
    h.clock.advance(DAY)
    expect(await h.drain()).toBe(1)
    expect(subjects('bob@example.com')).toEqual(['After'])
    expect(await stepRow(drip.id, drip.steps[0]!.id, eb.id)).toMatchObject({ state: 'published', lastError: 'timed out after P3D', lastErrorKind: 'wait-timeout' })
  })

  it('an event arriving while a runner holds the waiting enrollment still wakes it (the wake is not overwritten by the runner’s settlement)', async () => {
    const drip = await h.activeDrip({ steps: [{ kind: 'action', action: { type: 'wait_until', until: { kind: 'event', event: 'purchase' }, timeout: 'P3D' } }, { subject: 'After', markdown: 'thanks' }] })
    const ada = await h.contact('ada@example.com')
    await enrollContact(h.services, { workspaceId: h.workspaceId, dripId: drip.id, input: { contactId: ada } })
    // The first look claims the enrollment; the event comes (and wakes it) before the runner settles its decision to wait.
    let arrived = false
    const afterClaim = async () => {
      if (arrived) return
      arrived = true
      await recordApiEvent(h.services, { workspaceId: h.workspaceId, input: { email: 'ada@example.com', type: 'purchase' } })
      await onContactTrigger(h.services, { workspaceId: h.workspaceId, contactId: ada, trigger: { kind: 'event', event: 'purchase' } })
    }
    expect(await h.drain({ afterClaim })).toBe(1)
    expect(arrived).toBe(true)
    expect(subjects('ada@example.com')).toEqual(['After'])
    // Already waiting (next look at the timeout), then woken while a runner holds it: the same.
    const bob = await h.contact('bob@example.com')
    await enrollContact(h.services, { workspaceId: h.workspaceId, dripId: drip.id, input: { contactId: bob } })
    expect(await h.drain()).toBe(0)
    h.clock.advance(HOUR)
    await recordApiEvent(h.services, { workspaceId: h.workspaceId, input: { email: 'bob@example.com', type: 'visit' } })
    await onContactTrigger(h.services, { workspaceId: h.workspaceId, contactId: bob, trigger: { kind: 'event', event: 'visit' } })
    arrived = false
    const purchase = async () => {
      if (arrived) return
      arrived = true
      await recordApiEvent(h.services, { workspaceId: h.workspaceId, input: { email: 'bob@example.com', type: 'purchase' } })
      await onContactTrigger(h.services, { workspaceId: h.workspaceId, contactId: bob, trigger: { kind: 'event', event: 'purchase' } })
    }
    expect(await h.drain({ afterClaim: purchase })).toBe(1)
    expect(subjects('bob@example.com')).toEqual(['After'])
  })

  it('waits for a click on step 1 (woken by the click), and for a date field at its local time', async () => {
    await defineCustomField(h.services, { workspaceId: h.workspaceId, key: 'renewal', label: 'Renewal', type: 'date' })
    const clicks = await h.activeDrip({
      name: 'Clicks',
      steps: [{ subject: 'One', markdown: '[Offer](https://brand.test/offer)' }, { kind: 'action', action: { type: 'wait_until', until: { kind: 'email', activity: 'clicked', step: 0 }, timeout: 'P2W' } }, { subject: 'Two', markdown: 'two' }],
    })
    const renewal = await h.activeDrip({ name: 'Renewal', steps: [{ kind: 'action', action: { type: 'wait_until', until: { kind: 'date', field: 'renewal', time: '10:00' }, timeout: 'P30D' } }, { subject: 'Renews today', markdown: 'r' }] })
    const ada = await h.contact('ada@example.com', { timezone: 'Europe/Berlin', fields: { renewal: '2026-11-05' } })
    await enrollContact(h.services, { workspaceId: h.workspaceId, dripId: clicks.id, input: { contactId: ada } })
    await enrollContact(h.services, { workspaceId: h.workspaceId, dripId: renewal.id, input: { contactId: ada } })
    await h.drain()
    expect(subjects('ada@example.com')).toEqual(['One'])
    h.clock.advance(DAY)
    const token = /\/t\/c\/([^"]+)"/.exec(h.sentTo('ada@example.com')[0]!.parsed.html as string)![1]!.replace(/&amp;/g, '&')
    await recordTrackedActivity(h.services, { claims: verifyEmailToken(h.services, 'click', token)!, type: 'clicked' })
    await h.drain()
    expect(subjects('ada@example.com')).toEqual(['One', 'Two'])
    // 2026-11-05 10:00 in Berlin is 09:00 UTC.
    h.clock.set(new Date('2026-11-05T08:59:00Z'))
    await h.drain()
    expect(subjects('ada@example.com')).toHaveLength(2)
    h.clock.set(new Date('2026-11-05T09:00:00Z'))
    await h.drain()
    expect(subjects('ada@example.com')).toEqual(['One', 'Two', 'Renews today'])
  })
})

describe('notify steps', () => {
  it('emails the teammate through the workspace’s sender with the contact’s merge fields', async () => {
    const grace = await member('grace@brand.test')
    const drip = await h.activeDrip({
      steps: [{ kind: 'action', action: { type: 'notify', userId: grace, subject: 'Hot lead: {{ contact.email }}', text: 'Call {{ contact.first_name | default: "them" }} <today>.\n\nScore is rising.' } }],
    })
    const ada = await h.contact('ada@example.com', { name: 'Ada Lovelace' } as never)
    const { enrollment } = await enrollContact(h.services, { workspaceId: h.workspaceId, dripId: drip.id, input: { contactId: ada } })
    await h.drain()
    const [note] = h.sentTo('grace@brand.test')
    expect(note!.parsed.subject).toBe('Hot lead: ada@example.com')
    expect(note!.parsed.text).toContain('Call Ada <today>.')
    expect(note!.parsed.html).toContain('<p>Call Ada &lt;today&gt;.</p><p>Score is rising.</p>')
    expect(note!.parsed.from!.value[0]!.address).toBe('news@brand.test')
    expect(h.sentTo('ada@example.com')).toEqual([])
    expect(await stepRow(drip.id, drip.steps[0]!.id, enrollment.id)).toMatchObject({ state: 'published' })
  })

  it('refuses a non-member, an unknown merge field, a non-date wait field and a bad timeout: 400 naming the field, nothing saved', async () => {
    await defineCustomField(h.services, { workspaceId: h.workspaceId, key: 'plan', label: 'Plan', type: 'text' })
    const grace = await member('grace@brand.test')
    const attempt = async (action: unknown) => {
      try {
        await createDrip(h.services, { workspaceId: h.workspaceId, input: { name: 'Bad', steps: [{ subject: 'Hi', markdown: 'x' }, { kind: 'action', action }] } as DripInput })
      } catch (error) {
        return { status: (error as { status: number }).status, field: (error as { field: string }).field }
      }
      return null
    }
    expect(await attempt({ type: 'notify', userId: '6d0c7a52-0a8b-4c3e-9d4e-2a9f0f1b2c3d', subject: 's', text: 't' })).toEqual({ status: 400, field: 'steps.1.action.userId' })
    expect(await attempt({ type: 'notify', userId: grace, subject: '{{ contact.fields.nope }}', text: 't' })).toEqual({ status: 400, field: 'steps.1.action.subject' })
    expect(await attempt({ type: 'notify', userId: grace, subject: 's', text: '  ' })).toEqual({ status: 400, field: 'steps.1.action.text' })
    expect(await attempt({ type: 'wait_until', until: { kind: 'date', field: 'plan' }, timeout: 'P1D' })).toEqual({ status: 400, field: 'steps.1.action.until.field' })
    expect(await attempt({ type: 'wait_until', until: { kind: 'event', event: 'purchase' }, timeout: 'three days' })).toEqual({ status: 400, field: 'steps.1.action.timeout' })
    expect(await attempt({ type: 'wait_until', until: { kind: 'email', activity: 'clicked', step: 1 }, timeout: 'P1D' })).toEqual({ status: 400, field: 'steps.1.action.until.step' })
    const { listDrips } = await import('../../core/drips.server')
    expect(await listDrips(h.services, { workspaceId: h.workspaceId })).toEqual([])
    expect(await attempt({ type: 'notify', userId: grace, subject: 'New: {{ contact.email }}', text: 'Plan {{ contact.fields.plan }}' })).toBeNull()
  })
})
