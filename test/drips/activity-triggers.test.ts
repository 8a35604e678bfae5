import { listEnrollments } from '../../db/queries/enrollments'
import { activateDrip, createDrip, enrollContact } from '../../core/drips.server'
import { recordTrackedActivity } from '../../core/email.server'
import { startDripHarness, type DripHarness } from './harness'

let h: DripHarness
beforeEach(async () => {
  h = await startDripHarness()
})
afterEach(async () => {
  await h?.close()
})

describe('email_activity triggers', () => {
  it('a click on drip A’s email enrolls into drip B (once under once_ever); A’s own click does not re-enroll into A', async () => {
    const a = await createDrip(h.services, {
      workspaceId: h.workspaceId,
      input: { name: 'A', triggers: [{ kind: 'email_activity', activity: 'clicked' }], reentry: 'every_time', steps: [{ subject: 'A', markdown: '[x](https://example.com/x)' }] },
    })
    await activateDrip(h.services, { workspaceId: h.workspaceId, dripId: a.id })
    const b = await createDrip(h.services, {
      workspaceId: h.workspaceId,
      input: { name: 'B', triggers: [{ kind: 'email_activity', activity: 'clicked', dripId: a.id, step: 0 }], steps: [{ subject: 'B', markdown: 'b', delay: 'P1D' }] },
    })
    await activateDrip(h.services, { workspaceId: h.workspaceId, dripId: b.id })
    const contactId = await h.contact('ada@example.com')
    const { enrollment } = await enrollContact(h.services, { workspaceId: h.workspaceId, dripId: a.id, input: { contactId } })
    const claims = { workspaceId: h.workspaceId, contactId, sequenceId: a.id, enrollmentId: enrollment.id, stepId: a.steps[0]!.id }
    await recordTrackedActivity(h.services, { claims: { ...claims, url: 'https://example.com/x' }, type: 'clicked' })
    await recordTrackedActivity(h.services, { claims: { ...claims, url: 'https://example.com/y' }, type: 'clicked' })
    const inB = await listEnrollments(h.database.db, { workspaceId: h.workspaceId, dripId: b.id })
    expect(inB.map((e) => [e.contactId, e.source])).toEqual([[contactId, `email_activity:clicked:${a.id}:0:*`]])
    expect(await listEnrollments(h.database.db, { workspaceId: h.workspaceId, dripId: a.id })).toHaveLength(1)
    // An open alone matches neither trigger.
    const bob = await h.contact('bob@example.com')
    await recordTrackedActivity(h.services, { claims: { ...claims, contactId: bob }, type: 'opened' })
    expect(await listEnrollments(h.database.db, { workspaceId: h.workspaceId, dripId: b.id })).toHaveLength(1)
  })
})
