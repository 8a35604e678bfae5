import { activateDrip, createDrip, enrollContact } from '../../core/drips.server'
import { previewDripTimeline } from '../../core/drips/timeline.server'
import { startDripHarness, type DripHarness } from './harness'

let h: DripHarness
beforeEach(async () => {
  h = await startDripHarness()
})
afterEach(async () => {
  await h?.close()
})

describe('the timeline preview', () => {
  it('names the instants the runner really sends at (send window, a step after the enrollment, the contact’s zone)', async () => {
    const timing = {
      timezone: 'Europe/Berlin',
      window: { days: ['MO', 'TU', 'WE', 'TH', 'FR'], start: '09:00', end: '17:00' },
      quietHours: { start: '12:00', end: '13:00' },
    }
    const steps = [
      { subject: 'One', markdown: 'x', delay: 'P0D' },
      { subject: 'Two', markdown: 'x', delay: 'PT3H' },
      { subject: 'Three', markdown: 'x', delay: 'P3D', after: 'enrollment' as const },
    ]
    const drip = await createDrip(h.services, { workspaceId: h.workspaceId, input: { name: 'Timed', ...timing, steps } })
    await activateDrip(h.services, { workspaceId: h.workspaceId, dripId: drip.id })
    await h.contact('tokyo@example.com', { timezone: 'Asia/Tokyo' })
    // Monday 2026-11-02 08:00Z is 17:00 in Tokyo: the window has just closed.
    const preview = await previewDripTimeline(h.services, {
      workspaceId: h.workspaceId,
      input: { ...timing, email: 'tokyo@example.com', steps: steps.map((s) => ({ delay: s.delay, after: s.after })) },
    })
    expect(preview).toMatchObject({ zone: 'Asia/Tokyo', contact: { email: 'tokyo@example.com', timezone: 'Asia/Tokyo' }, local: '2026-11-02T17:00' })
    expect(preview.steps.map((s) => [s.local, s.at])).toEqual([
      ['2026-11-03T09:00', '2026-11-03T00:00:00.000Z'], // the next morning
      ['2026-11-03T13:00', '2026-11-03T04:00:00.000Z'], // 12:00 is quiet
      ['2026-11-06T09:00', '2026-11-06T00:00:00.000Z'], // three days after the enrollment is 17:00 Thursday: Friday morning
    ])
    await enrollContact(h.services, { workspaceId: h.workspaceId, dripId: drip.id, input: { email: 'tokyo@example.com' } })
    for (const step of preview.steps) {
      h.clock.set(new Date(Date.parse(step.at) - 60_000))
      expect(await h.drain(), `step ${step.position + 1} early`).toBe(0)
      h.clock.set(new Date(step.at))
      expect(await h.drain(), `step ${step.position + 1} on time`).toBe(1)
    }
    expect(h.smtp.messages.map((m) => m.parsed.subject)).toEqual(['One', 'Two', 'Three'])
  })

  it('refuses a zone and an email together, an unknown contact, and a bad zone (400 naming the field)', async () => {
    const preview = (input: object) => previewDripTimeline(h.services, { workspaceId: h.workspaceId, input: { steps: [{ delay: 'P1D' }], ...input } })
    await expect(preview({ zone: 'Asia/Tokyo', email: 'a@example.com' })).rejects.toMatchObject({ status: 400, field: 'email' })
    await expect(preview({ email: 'nobody@example.com' })).rejects.toMatchObject({ status: 400, field: 'email' })
    await expect(preview({ zone: 'Mars/Base' })).rejects.toMatchObject({ status: 400, field: 'zone' })
    await expect(preview({ steps: [{ delay: 'soon' }] })).rejects.toMatchObject({ status: 400, field: 'steps.0.delay' })
    await expect(preview({ window: { days: ['MO'], start: '09:00', end: '10:00' }, quietHours: { start: '08:00', end: '11:00' } })).rejects.toMatchObject({ status: 400, field: 'quietHours' })
    expect((await preview({ zone: 'Asia/Tokyo' })).steps[0]).toMatchObject({ local: '2026-11-03T17:00', offset: '+09:00', movedByWindow: false })
  })
})
