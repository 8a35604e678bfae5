import { createHmac } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { eq } from 'drizzle-orm'
import { createNetGuard } from '../../connectors/net-guard'
import { getContact, insertFieldDefinition } from '../../db/queries/contacts'
import { listEnrollments } from '../../db/queries/enrollments'
import { listScoreChanges } from '../../db/queries/score-rules'
import { deliveries } from '../../db/schema'
import { createDrip, enrollContact, getDrip, updateDrip } from '../../core/drips.server'
import { startDripHarness, type DripHarness } from './harness'

let h: DripHarness
beforeEach(async () => {
  h = await startDripHarness()
})
afterEach(async () => {
  await h?.close()
})



type Hit = { headers: Record<string, string | string[] | undefined>; body: string }
async function webhookServer(statuses: number[]): Promise<{ url: string; hits: Hit[]; close(): Promise<void> }> {
  const hits: Hit[] = []
  const server: Server = createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => (body += c.toString()))
    req.on('end', () => {
      hits.push({ headers: req.headers, body })
      res.statusCode = statuses[hits.length - 1] ?? 200
      res.end('ok')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}/hook`, hits, close: () => new Promise((resolve) => server.close(() => resolve())) }
}

describe('drip action steps', () => {
  it('email → set field, tag, score +2 → email: the contact changes and the score history shows the action', async () => {
    await insertFieldDefinition(h.database.db, { workspaceId: h.workspaceId, key: 'plan', label: 'Plan', type: 'text' })
    await insertFieldDefinition(h.database.db, { workspaceId: h.workspaceId, key: 'visits', label: 'Visits', type: 'number' })
    const drip = await h.activeDrip({
      steps: [
        { subject: 'One', markdown: 'First' },
        { kind: 'action', action: { type: 'set_field', field: 'plan', value: 'pro' } },
        { kind: 'action', action: { type: 'set_field', field: 'visits', op: 'increment', value: 3 } },
        { kind: 'action', action: { type: 'add_tag', tag: 'vip' } },
        { kind: 'action', action: { type: 'score', points: 2 } },
        { subject: 'Two', markdown: 'Second' },
      ],
    })
    const contactId = await h.contact('ada@example.com', { fields: { visits: 4 }, tags: ['lead'] })
    await enrollContact(h.services, { workspaceId: h.workspaceId, dripId: drip.id, input: { contactId } })
    expect(await h.drain()).toBe(2)
    expect(h.sentTo('ada@example.com').map((m) => m.parsed.subject)).toEqual(['One', 'Two'])
    const c = await getContact(h.database.db, { workspaceId: h.workspaceId, contactId })
    expect(c!.fields).toMatchObject({ plan: 'pro', visits: 7 })
    expect(c!.tags).toEqual(['lead', 'vip'])
    expect(c!.leadScore).toBe(2)
    const history = await listScoreChanges(h.database.db, { workspaceId: h.workspaceId, contactId })
    expect(history.map((x) => [x.rule, x.points])).toEqual([['Drip “Welcome”, step 5: +2', 2]])
    const view = await getDrip(h.services, { workspaceId: h.workspaceId, dripId: drip.id })
    expect(view.steps.map((s) => s.kind)).toEqual(['email', 'action', 'action', 'action', 'action', 'email'])
    expect(view.steps[3]!.counts.delivered).toBe(1)
    const [e] = await listEnrollments(h.database.db, { workspaceId: h.workspaceId, dripId: drip.id })
    expect(e!.status).toBe('completed')
  })

  it('an action already recorded is not applied again when its enrollment is claimed again (after a crash)', async () => {
    const drip = await h.activeDrip({ steps: [{ kind: 'action', action: { type: 'score', points: 5 } }, { subject: 'Two', markdown: 'Second', delay: 'P1D' }] })
    const contactId = await h.contact('ada@example.com')
    const { enrollment } = await enrollContact(h.services, { workspaceId: h.workspaceId, dripId: drip.id, input: { contactId } })
    await h.drain()
    // A worker killed after the commit but before it knew: the enrollment is put back on the action step.
    await h.database.db.execute(
      (await import('drizzle-orm')).sql`UPDATE enrollments SET step_position = 0, next_due_at = ${h.clock.now().toISOString()}::timestamptz WHERE id = ${enrollment.id}`,
    )
    await h.drain()
    expect((await getContact(h.database.db, { workspaceId: h.workspaceId, contactId }))!.leadScore).toBe(5)
    const [e] = await listEnrollments(h.database.db, { workspaceId: h.workspaceId, dripId: drip.id })
    expect(e!.stepPosition).toBe(1)
  })

  it('calls a webhook signed with the drip’s secret, retries a 500, and refuses a loopback address without ALLOW_PRIVATE_NETWORK_HOSTS', async () => {
    const hook = await webhookServer([500, 200])
    try {
      const drip = await h.activeDrip({ steps: [{ kind: 'action', action: { type: 'webhook', url: hook.url } }] })
      const secret = drip.settings.webhookSecret!
      expect(secret).toMatch(/^[0-9a-f]{64}$/)
      const contactId = await h.contact('ada@example.com')
      const { enrollment } = await enrollContact(h.services, { workspaceId: h.workspaceId, dripId: drip.id, input: { contactId } })
      const guard = createNetGuard({ allowPrivateNetworkHosts: true })
      await h.drain({ webhook: { fetch: guard.fetch, backoffMs: 1, attempts: 3 } })
      expect(hook.hits).toHaveLength(2)
      const hit = hook.hits[1]!
      const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(hit.headers['x-trickle-signature']))
      expect(m).not.toBeNull()
      expect(m![2]).toBe(createHmac('sha256', secret).update(`${m![1]}.${hit.body}`).digest('hex'))
      expect(hit.headers['idempotency-key']).toBe(`${enrollment.id}:${drip.steps[0]!.id}`)
      expect(JSON.parse(hit.body)).toMatchObject({ contact: { id: contactId, email: 'ada@example.com' }, drip: { id: drip.id }, step: { position: 0 } })
      const [d] = await h.database.db.select().from(deliveries).where(eq(deliveries.enrollmentId, enrollment.id))
      expect(d!.state).toBe('published')

      // The same drip kept its secret across an edit; a second contact through the default guard: refused.
      const again = await updateDrip(h.services, { workspaceId: h.workspaceId, dripId: drip.id, input: { name: 'Welcome', steps: [{ id: drip.steps[0]!.id, kind: 'action', action: { type: 'webhook', url: hook.url } }] } })
      expect(again.settings.webhookSecret).toBe(secret)
      const bob = await h.contact('bob@example.com')
      const r2 = await enrollContact(h.services, { workspaceId: h.workspaceId, dripId: drip.id, input: { contactId: bob } })
      await h.drain({ webhook: undefined })
      expect(hook.hits).toHaveLength(2)
      const [d2] = await h.database.db.select().from(deliveries).where(eq(deliveries.enrollmentId, r2.enrollment.id))
      expect(d2!.state).toBe('failed')
      expect(d2!.lastError).toMatch(/not allowed/)
      const view = await getDrip(h.services, { workspaceId: h.workspaceId, dripId: drip.id })
      expect([view.steps[0]!.counts.delivered, view.steps[0]!.counts.failed]).toEqual([1, 1])
      await guard.close()
    } finally {
      await hook.close()
    }
  })

  it('enrolls into another drip and removes from one', async () => {
    const other = await h.activeDrip({ name: 'Onboarding', steps: [{ subject: 'Other', markdown: 'Hi', delay: 'P1D' }] })
    const leave = await h.activeDrip({ name: 'Trial', steps: [{ subject: 'Trial', markdown: 'Hi', delay: 'P1D' }] })
    const drip = await h.activeDrip({ steps: [{ kind: 'action', action: { type: 'enroll', dripId: other.id } }, { kind: 'action', action: { type: 'unenroll', dripId: leave.id } }] })
    const contactId = await h.contact('ada@example.com')
    await enrollContact(h.services, { workspaceId: h.workspaceId, dripId: leave.id, input: { contactId } })
    await enrollContact(h.services, { workspaceId: h.workspaceId, dripId: drip.id, input: { contactId } })
    await h.drain()
    const [o] = await listEnrollments(h.database.db, { workspaceId: h.workspaceId, dripId: other.id })
    expect([o!.status, o!.source]).toEqual(['active', `drip:${drip.id}`])
    const [l] = await listEnrollments(h.database.db, { workspaceId: h.workspaceId, dripId: leave.id })
    expect([l!.status, l!.endReason]).toEqual(['exited', 'removed by drip “Welcome”'])
  })

  it('refuses bad actions with a 400 naming steps.N.action.…, and saves nothing', async () => {
    await insertFieldDefinition(h.database.db, { workspaceId: h.workspaceId, key: 'plan', label: 'Plan', type: 'text' })
    const other = await createDrip(h.services, { workspaceId: h.workspaceId, input: { name: 'Other', steps: [{ subject: 's', markdown: 'm' }] } })
    const attempt = async (action: unknown, dripId?: string) => {
      const input = { name: 'Bad', steps: [{ subject: 's', markdown: 'm' }, { kind: 'action', action }] }
      try {
        await (dripId ? updateDrip(h.services, { workspaceId: h.workspaceId, dripId, input }) : createDrip(h.services, { workspaceId: h.workspaceId, input }))
      } catch (error) {
        return { status: (error as { status: number }).status, field: (error as { field: string }).field }
      }
      return null
    }
    expect(await attempt({ type: 'set_field', field: 'nope', value: 'x' })).toEqual({ status: 400, field: 'steps.1.action.field' })
    expect(await attempt({ type: 'set_field', field: 'plan', op: 'increment', value: 1 })).toEqual({ status: 400, field: 'steps.1.action.field' })
    expect(await attempt({ type: 'enroll', dripId: '6d0c7a52-0a8b-4c3e-9d4e-2a9f0f1b2c3d' })).toEqual({ status: 400, field: 'steps.1.action.dripId' })
    expect(await attempt({ type: 'enroll', dripId: other.id }, other.id)).toEqual({ status: 400, field: 'steps.1.action.dripId' })
    expect(await attempt({ type: 'webhook', url: 'ftp://x.test/' })).toEqual({ status: 400, field: 'steps.1.action.url' })
    expect(await attempt(undefined)).toEqual({ status: 400, field: 'steps.1.action' })
    const view = await getDrip(h.services, { workspaceId: h.workspaceId, dripId: other.id })
    expect([view.name, view.steps.length]).toEqual(['Other', 1])
  })
})
