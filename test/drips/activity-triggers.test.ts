import { listEnrollments } from '../../db/queries/enrollments'
import { workspaces } from '../../db/schema'
import { activateDrip, createDrip, enrollContact, getDrip, listDrips, updateDrip } from '../../core/drips.server'
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

  it('refuses a trigger naming a drip of another workspace, an unknown one or the drip itself: 400 naming triggers.N.dripId, nothing saved', async () => {
    const [other] = await h.database.db.insert(workspaces).values({ name: 'Other' }).returning()
    const theirs = await createDrip(h.services, { workspaceId: other!.id, input: { name: 'Theirs', steps: [{ subject: 's', markdown: 'm' }] } })
    const mine = await createDrip(h.services, { workspaceId: h.workspaceId, input: { name: 'Mine', steps: [{ subject: 's', markdown: 'm' }] } })
    const attempt = async (dripId: string, editing?: string) => {
      const input = { name: 'Follow-up', triggers: [{ kind: 'event', event: 'x' }, { kind: 'email_activity', activity: 'clicked', dripId }], steps: [{ subject: 's', markdown: 'm' }] }
      try {
        await (editing ? updateDrip(h.services, { workspaceId: h.workspaceId, dripId: editing, input }) : createDrip(h.services, { workspaceId: h.workspaceId, input }))
      } catch (error) {
        return { status: (error as { status: number }).status, field: (error as { field: string }).field }
      }
      return null
    }
    expect(await attempt(theirs.id)).toEqual({ status: 400, field: 'triggers.1.dripId' })
    expect(await attempt('6d0c7a52-0a8b-4c3e-9d4e-2a9f0f1b2c3d')).toEqual({ status: 400, field: 'triggers.1.dripId' })
    expect(await attempt(mine.id, mine.id)).toEqual({ status: 400, field: 'triggers.1.dripId' })
    expect((await listDrips(h.services, { workspaceId: h.workspaceId })).map((d) => d.name)).toEqual(['Mine'])
    expect((await getDrip(h.services, { workspaceId: h.workspaceId, dripId: mine.id })).settings.triggers).toEqual([{ kind: 'manual' }])
    expect(await attempt(mine.id)).toBeNull()
  })
})
