import { insertFieldDefinition, insertSignupForm, updateContact } from '../../db/queries/contacts'
import { listEnrollments } from '../../db/queries/enrollments'
import { insertSegment } from '../../db/queries/segments'
import { createDrip, onContactTrigger, type DripInput } from '../../core/drips.server'
import { runDripTriggers } from '../../core/drips/triggers.server'
import { startDripHarness, type DripHarness } from './harness'

let h: DripHarness
beforeEach(async () => {
  h = await startDripHarness()
})
afterEach(async () => {
  await h?.close()
})


describe('drip triggers', () => {
  it('a date trigger needs a defined date field; a blank body or an unknown merge field is refused (400 naming the field)', async () => {
    const create = (input: Partial<DripInput>) => createDrip(h.services, { workspaceId: h.workspaceId, input: { name: 'Checks', steps: [{ subject: 'Hi', markdown: 'x' }], ...input } })
    const date = { kind: 'date' as const, field: 'birthdya', time: '09:00' }
    await expect(create({ trigger: date })).rejects.toMatchObject({ status: 400, field: 'triggers.0.field', message: expect.stringContaining('no contact field “birthdya”') })
    await insertFieldDefinition(h.database.db, { workspaceId: h.workspaceId, key: 'plan', label: 'Plan', type: 'text' })
    await expect(create({ triggers: [{ kind: 'event', event: 'signup' }, { ...date, field: 'plan' }] })).rejects.toMatchObject({ field: 'triggers.1.field', message: expect.stringContaining('a text field, not a date') })
    await expect(create({ steps: [{ subject: 'Hi', markdown: ' \n\t ' }] })).rejects.toMatchObject({ status: 400, field: 'steps.0.markdown' })
    // A misspelt merge field would be sent as an empty string: refused when saving.
    await expect(create({ steps: [{ subject: 'Hi', markdown: 'Hello {{ frist_name }}' }] })).rejects.toMatchObject({ status: 400, field: 'steps.0.markdown', message: expect.stringContaining('no contact field “frist_name”') })
    await expect(create({ steps: [{ subject: 'Hi', markdown: 'x' }, { subject: 'Your {{ pland }}', markdown: 'x' }] })).rejects.toMatchObject({ field: 'steps.1.subject' })
    expect((await create({ steps: [{ subject: 'Your {{ plan }}', markdown: 'Hi {{ first_name | "friend" }}' }] })).steps).toHaveLength(1)
  })

  it('date field: every year on the contact’s date at the local time in their zone (Feb 29 → Feb 28)', async () => {
    await insertFieldDefinition(h.database.db, { workspaceId: h.workspaceId, key: 'birthday', label: 'Birthday', type: 'date' })
    await h.activeDrip({ reentry: 'every_time', trigger: { kind: 'date', field: 'birthday', time: '09:00' }, steps: [{ subject: 'Happy birthday {{ first_name | "friend" }}', markdown: '🎂' }] })
    await h.contact('tokyo@example.com', { timezone: 'Asia/Tokyo', fields: { birthday: '1990-11-03' } })
    await h.contact('leap@example.com', { timezone: 'Europe/Berlin', fields: { birthday: '2000-02-29' } })
    await h.contact('later@example.com', { fields: { birthday: '1985-12-24' } })
    // 2026-11-02 08:00Z: Tokyo's 09:00 on Nov 3 is 2026-11-03T00:00Z (within the day ahead).
    expect(await runDripTriggers({ db: h.database.db, clock: h.clock })).toMatchObject({ date: 1 })
    expect(await runDripTriggers({ db: h.database.db, clock: h.clock })).toMatchObject({ date: 0 }) // idempotent
    expect(await h.drain()).toBe(0)
    h.clock.set(new Date('2026-11-02T23:59:00Z'))
    expect(await h.drain()).toBe(0)
    h.clock.set(new Date('2026-11-03T00:00:00Z'))
    expect(await h.drain()).toBe(1)
    expect(h.sentTo('tokyo@example.com')).toHaveLength(1)
    // 2027-02-28 09:00 Berlin = 08:00Z.
    h.clock.set(new Date('2027-02-27T12:00:00Z'))
    await runDripTriggers({ db: h.database.db, clock: h.clock })
    h.clock.set(new Date('2027-02-28T07:59:00Z'))
    expect(await h.drain()).toBe(0)
    h.clock.set(new Date('2027-02-28T08:00:00Z'))
    expect(await h.drain()).toBe(1)
    expect(h.sentTo('leap@example.com')).toHaveLength(1)
    // Next year Tokyo again (a second cycle).
    h.clock.set(new Date('2027-11-02T12:00:00Z'))
    await runDripTriggers({ db: h.database.db, clock: h.clock })
    h.clock.set(new Date('2027-11-03T00:00:00Z'))
    expect(await h.drain()).toBe(1)
    expect(h.sentTo('tokyo@example.com')).toHaveLength(2)
    expect(h.sentTo('later@example.com')).toHaveLength(0)
  })

  it('segment entry: leaving and coming back is a new entry, enrolled per the re-entry policy; staying in is not', async () => {
    const seg = await insertSegment(h.database.db, { workspaceId: h.workspaceId, name: 'vip', rule: { match: 'all', conditions: [{ kind: 'tag', tag: 'vip', has: true }] }, at: h.clock.now() })
    const everyTime = await h.activeDrip({ name: 'every', reentry: 'every_time', trigger: { kind: 'segment', segmentId: seg.id }, steps: [{ subject: 'vip', markdown: 'x' }] })
    const onceEver = await h.activeDrip({ name: 'once', reentry: 'once_ever', trigger: { kind: 'segment', segmentId: seg.id }, steps: [{ subject: 'vip once', markdown: 'x' }] })
    const vip = await h.contact('vip@example.com', { tags: ['vip'] })
    await h.contact('other@example.com')
    const run = async () => {
      h.clock.advance(60_000)
      return (await runDripTriggers({ db: h.database.db, clock: h.clock })).segment
    }
    const keys = async (dripId: string) => (await listEnrollments(h.database.db, { workspaceId: h.workspaceId, dripId })).map((e) => e.enrollKey).sort()
    const tag = (tags: string[]) => updateContact(h.database.db, { workspaceId: h.workspaceId, contactId: vip, patch: { tags }, at: h.clock.now() })

    expect(await run()).toBe(2) // one entry, two drips
    expect(await run()).toBe(0) // still in: not a new entry
    await tag([])
    expect(await run()).toBe(0) // left
    expect(await run()).toBe(0)
    await tag(['vip'])
    expect(await run()).toBe(1) // came back: every_time enrolls again, once_ever does not
    expect(await run()).toBe(0)
    const key = (n: number) => `segment:${seg.id}:${vip}:${n}`
    expect(await keys(everyTime.id)).toEqual([key(1), key(2)])
    expect(await keys(onceEver.id)).toEqual([key(1)])
    await tag([])
    await run()
    await tag(['vip'])
    expect(await run()).toBe(1)
    expect(await keys(everyTime.id)).toEqual([key(1), key(2), key(3)])
  })

  it('several segment and date triggers: each is walked on its own; a contact two of them match at once is enrolled once (once_ever), again under every_time', async () => {
    const rule = (tag: string) => ({ match: 'all' as const, conditions: [{ kind: 'tag' as const, tag, has: true }] })
    const a = await insertSegment(h.database.db, { workspaceId: h.workspaceId, name: 'a', rule: rule('a'), at: h.clock.now() })
    const b = await insertSegment(h.database.db, { workspaceId: h.workspaceId, name: 'b', rule: rule('b'), at: h.clock.now() })
    await insertFieldDefinition(h.database.db, { workspaceId: h.workspaceId, key: 'birthday', label: 'Birthday', type: 'date' })
    const triggers: DripInput['triggers'] = [
      { kind: 'segment', segmentId: a.id },
      { kind: 'segment', segmentId: b.id },
      { kind: 'date', field: 'birthday', time: '09:00' },
    ]
    const once = await h.activeDrip({ name: 'once', reentry: 'once_ever', triggers, steps: [{ subject: 'once', markdown: 'x' }] })
    const every = await h.activeDrip({ name: 'every', reentry: 'every_time', triggers, steps: [{ subject: 'every', markdown: 'x' }] })
    const both = await h.contact('both@example.com', { tags: ['a', 'b'], fields: { birthday: '1990-11-02' } })
    const later = await h.contact('later@example.com', { tags: ['a'] })
    const run = async () => {
      h.clock.advance(60_000)
      return runDripTriggers({ db: h.database.db, clock: h.clock })
    }
    const sources = async (dripId: string) => (await listEnrollments(h.database.db, { workspaceId: h.workspaceId, dripId })).map((e) => `${e.contactId === both ? 'both' : 'later'} ${e.source}`).sort()
    // `both` has a birthday today and is in a and b: three triggers fire in one pass (date triggers first).
    expect(await run()).toEqual({ date: 2, segment: 4 })
    expect(await sources(once.id)).toEqual(['both date:birthday:2026', 'later segment:' + a.id])
    expect(await sources(every.id)).toEqual(['both date:birthday:2026', 'both segment:' + a.id, 'both segment:' + b.id, 'later segment:' + a.id].sort())
    expect(await run()).toEqual({ date: 0, segment: 0 })
    // `later` enters b: a new entry of another trigger, enrolled again only under every_time.
    await updateContact(h.database.db, { workspaceId: h.workspaceId, contactId: later, patch: { tags: ['a', 'b'] }, at: h.clock.now() })
    expect(await run()).toEqual({ date: 0, segment: 1 })
    expect((await sources(once.id)).filter((s) => s.startsWith('later'))).toEqual(['later segment:' + a.id])
    expect((await sources(every.id)).filter((s) => s.startsWith('later'))).toEqual(['later segment:' + a.id, 'later segment:' + b.id].sort())
  })

  it('segment entry enrolls new matches once; form confirmation and API events enroll; goal events end', async () => {
    const seg = await insertSegment(h.database.db, { workspaceId: h.workspaceId, name: 'beta', rule: { match: 'all', conditions: [{ kind: 'tag', tag: 'beta', has: true }] }, at: h.clock.now() })
    const bySegment = await h.activeDrip({ name: 'seg', reentry: 'every_time', trigger: { kind: 'segment', segmentId: seg.id }, steps: [{ subject: 'beta welcome', markdown: 'x' }] })
    await h.contact('b1@example.com', { tags: ['beta'] })
    await h.contact('n1@example.com')
    expect((await runDripTriggers({ db: h.database.db, clock: h.clock })).segment).toBe(1)
    await h.contact('b2@example.com', { tags: ['beta'] })
    expect((await runDripTriggers({ db: h.database.db, clock: h.clock })).segment).toBe(1)
    expect((await runDripTriggers({ db: h.database.db, clock: h.clock })).segment).toBe(0)
    expect((await listEnrollments(h.database.db, { workspaceId: h.workspaceId, dripId: bySegment.id })).length).toBe(2)

    const { id: formId } = await insertSignupForm(h.database.db, { workspaceId: h.workspaceId, name: 'Newsletter', consentText: 'Yes, send it.' })
    const byForm = await h.activeDrip({ name: 'form', trigger: { kind: 'form', formId }, steps: [{ subject: 'thanks for signing up', markdown: 'x' }] })
    const byEvent = await h.activeDrip({ name: 'cart', reentry: 'every_time', goals: ['purchase'], trigger: { kind: 'event', event: 'cart_abandoned' }, steps: [{ subject: 'your cart', markdown: 'x', delay: 'PT1H' }] })
    const f = await h.contact('f@example.com')
    expect(await onContactTrigger(h.services, { workspaceId: h.workspaceId, contactId: f, trigger: { kind: 'form', formId, consentId: 'c1' } })).toMatchObject({ enrolled: 1 })
    expect(await onContactTrigger(h.services, { workspaceId: h.workspaceId, contactId: f, trigger: { kind: 'form', formId, consentId: 'c1' } })).toMatchObject({ enrolled: 0 })
    expect(await onContactTrigger(h.services, { workspaceId: h.workspaceId, contactId: f, trigger: { kind: 'event', event: 'cart_abandoned', eventId: 'e1' } })).toMatchObject({ enrolled: 1 })
    expect(await onContactTrigger(h.services, { workspaceId: h.workspaceId, contactId: f, trigger: { kind: 'event', event: 'cart_abandoned', eventId: 'e1' } })).toMatchObject({ enrolled: 0 })
    expect(await h.drain()).toBe(3) // two segment welcomes + the form drip
    expect(await onContactTrigger(h.services, { workspaceId: h.workspaceId, contactId: f, trigger: { kind: 'event', event: 'purchase', eventId: 'e2' } })).toMatchObject({ goalReached: 1 })
    h.clock.advance(2 * 3_600_000)
    expect(await h.drain()).toBe(0)
    expect(h.sentTo('f@example.com').map((m) => m.parsed.subject)).toEqual(['thanks for signing up'])
    const [cart] = await listEnrollments(h.database.db, { workspaceId: h.workspaceId, dripId: byEvent.id })
    expect(cart).toMatchObject({ status: 'goal_reached', endReason: 'goal: purchase' })
    void byForm
  })
})
