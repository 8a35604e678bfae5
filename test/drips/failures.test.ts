import { ConnectorError } from '../../connectors/types'
import { listEnrollments } from '../../db/queries/enrollments'
import { isSuppressed } from '../../db/queries/suppression'
import { insertFieldDefinition } from '../../db/queries/contacts'
import { deliveries } from '../../db/schema'
import { activateDrip, createDrip, enrollContact, getDrip } from '../../core/drips.server'
import { applyDsn } from '../../core/email.server'
import { runDripPass } from '../../core/drips/runner.server'
import { startDripHarness, T0, type DripHarness } from './harness'

/**
 * The drip runner records what domain/drip/failure.ts decides for a failed send, against a real SMTP
 * server on loopback that bounces, defers or loses its answer.
 */

let h: DripHarness
const RETRY_MS = 10 * 60_000

beforeEach(async () => {
  h = await startDripHarness()
})
afterEach(async () => {
  await h?.close()
})

async function enrolledDrip(addresses: string[]) {
  const drip = await createDrip(h.services, {
    workspaceId: h.workspaceId,
    input: { name: 'Onboarding', steps: [{ subject: 'One', markdown: 'one' }, { subject: 'Two', markdown: 'two', delay: 'P1D' }] },
  })
  await activateDrip(h.services, { workspaceId: h.workspaceId, dripId: drip.id })
  for (const address of addresses) await enrollContact(h.services, { workspaceId: h.workspaceId, dripId: drip.id, input: { contactId: await h.contact(address) } })
  return drip
}

const enrollmentsOf = (dripId: string) => listEnrollments(h.database.db, { workspaceId: h.workspaceId, dripId })
const emailDeliveries = () => h.database.db.select().from(deliveries)

describe('drip send failures', () => {
  it('a template that reaches a render limit for one contact fails that send (invalid content); the batch goes on', async () => {
    await insertFieldDefinition(h.database.db, { workspaceId: h.workspaceId, key: 'seats', label: 'Seats', type: 'number' })
    const markdown = 'Seats: {% for i in (1..contact.fields.seats) %}{% for j in (1..contact.fields.seats) %}{% endfor %}{{ i }} {% endfor %}'
    const drip = await createDrip(h.services, { workspaceId: h.workspaceId, input: { name: 'Seats', steps: [{ subject: 'Seats', markdown }] } })
    await activateDrip(h.services, { workspaceId: h.workspaceId, dripId: drip.id })
    for (const [address, seats] of [['huge@example.com', 100_000], ['small@example.com', 2]] as const) {
      await enrollContact(h.services, { workspaceId: h.workspaceId, dripId: drip.id, input: { contactId: await h.contact(address, { fields: { seats } }) } })
    }
    expect(await runDripPass(h.runner())).toMatchObject({ sent: 1, failed: 1 })
    expect(h.smtp.messages.map((m) => [m.envelope.to[0], m.parsed.text?.split('\n')[0]])).toEqual([['small@example.com', 'Seats: 1 2']])
    expect(await emailDeliveries()).toContainEqual(expect.objectContaining({ state: 'failed', lastErrorKind: 'invalid-content', lastError: expect.stringMatching(/^template: .*limit exceeded/) }))
    expect((await enrollmentsOf(drip.id)).map((e) => e.status).sort()).toEqual(['completed', 'failed'])
  })

  it('a hard bounce fails the delivery, ends the enrollment as bounced and suppresses the address', async () => {
    h.smtp.rejected.add('gone@example.com')
    const drip = await enrolledDrip(['gone@example.com'])
    const report = await runDripPass(h.runner())
    expect(report).toMatchObject({ sent: 0, failed: 1 })
    const [enrollment] = await enrollmentsOf(drip.id)
    expect(enrollment).toMatchObject({ status: 'bounced', stepPosition: 0, nextDueAt: null, endReason: 'hard bounce' })
    expect(await emailDeliveries()).toEqual([expect.objectContaining({ state: 'failed', lastErrorKind: 'hard_bounce' })])
    expect(await isSuppressed(h.database.db, { workspaceId: h.workspaceId, email: 'gone@example.com' })).toBe(true)
  })

  it('a hard bounce reported later by DSN counts as a bounce of its step and ends the enrollment as bounced, not unsubscribed', async () => {
    const drip = await enrolledDrip(['late@example.com', 'stays@example.com'])
    expect(await runDripPass(h.runner())).toMatchObject({ sent: 2 })
    const dsn = { recipient: 'late@example.com', action: 'failed', status: '5.1.1', diagnostic: 'smtp; 550 5.1.1 User unknown', hard: true }
    await applyDsn(h.services, { workspaceId: h.workspaceId, recipients: [dsn] })
    await applyDsn(h.services, { workspaceId: h.workspaceId, recipients: [dsn] }) // reported twice: counted once
    h.clock.set(new Date(T0.getTime() + 25 * 3_600_000))
    expect(await runDripPass(h.runner())).toMatchObject({ sent: 1 })
    const byAddress = new Map((await enrollmentsOf(drip.id)).map((e) => [e.contactId, e.status]))
    expect([...byAddress.values()].sort()).toEqual(['bounced', 'completed'])
    const view = await getDrip(h.services, { workspaceId: h.workspaceId, dripId: drip.id })
    expect(view.steps[0]!.counts).toMatchObject({ sent: 2, bounced: 1 })
    expect(view.totals).toMatchObject({ bounced: 1, unsubscribed: 0, completed: 1 })
  })

  it('a deferral queues the message for retryAt, gives the rest of the batch back, and both go out later (send window 1)', async () => {
    const drip = await enrolledDrip(['ann@example.com', 'bob@example.com'])
    h.smtp.injectFault({ kind: 'defer' })
    const report = await runDripPass(h.runner({ retryMs: RETRY_MS, sendWindow: 1 }))
    expect(report).toMatchObject({ sent: 0, failed: 1 })
    expect(h.smtp.messages).toHaveLength(0)
    const retryAt = new Date(T0.getTime() + RETRY_MS)
    expect((await enrollmentsOf(drip.id)).map((e) => ({ status: e.status, stepPosition: e.stepPosition, nextDueAt: e.nextDueAt }))).toEqual([
      { status: 'active', stepPosition: 0, nextDueAt: retryAt },
      { status: 'active', stepPosition: 0, nextDueAt: retryAt },
    ])
    expect(await emailDeliveries()).toEqual([expect.objectContaining({ state: 'queued', lastErrorKind: 'transient' })])
    expect(await h.drain()).toBe(0)
    h.clock.set(retryAt)
    expect(await h.drain()).toBe(2)
    expect(h.smtp.messages.map((m) => m.envelope.to[0]).sort()).toEqual(['ann@example.com', 'bob@example.com'])
  })

  it('with the default send window a deferral lets the groups in flight finish, gives the rest back, and all go out once', async () => {
    const addresses = Array.from({ length: 12 }, (_, i) => `d${i}@example.com`)
    const drip = await enrolledDrip(addresses)
    h.smtp.injectFault({ kind: 'defer' })
    const report = await runDripPass(h.runner({ retryMs: RETRY_MS }))
    // The window (10) is two groups of 5 marked at once: one message deferred, the other 9 sent; the last 2 never marked.
    expect(report).toMatchObject({ claimed: 12, sent: 9, failed: 1 })
    const retryAt = new Date(T0.getTime() + RETRY_MS)
    const waiting = (await enrollmentsOf(drip.id)).filter((e) => e.stepPosition === 0)
    expect(waiting.map((e) => ({ status: e.status, nextDueAt: e.nextDueAt }))).toEqual(Array.from({ length: 3 }, () => ({ status: 'active', nextDueAt: retryAt })))
    expect((await emailDeliveries()).filter((d) => d.state === 'queued')).toEqual([expect.objectContaining({ lastErrorKind: 'transient' })])
    h.clock.set(retryAt)
    expect(await h.drain()).toBe(3)
    expect(h.smtp.messages.map((m) => m.envelope.to[0]).sort()).toEqual([...addresses].sort())
  })

  it('a failure that stops the batch records the messages marked but not yet sent as queued (never sent), and all go out once later', async () => {
    const addresses = Array.from({ length: 30 }, (_, i) => `q${i}@example.com`)
    const drip = await enrolledDrip(addresses)
    // Sends 1–5 go through; 6–15 wait until the 15th is handed over (by then the statement after the first 5
    // replies has marked 10 more: 5 sent, 5 ready); then the 6th fails with a deferral, which stops the batch.
    let calls = 0
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    const email = {
      ...h.email,
      async publish(args: Parameters<typeof h.email.publish>[0]) {
        const call = ++calls
        if (call > 5) {
          if (call === 15) release()
          await gate
          if (call === 6) throw new ConnectorError('transient', 'The SMTP server deferred the message: 451 try later')
        }
        return h.email.publish(args)
      },
    }
    const report = await runDripPass(h.runner({ retryMs: RETRY_MS, email }))
    expect(report).toMatchObject({ claimed: 30, sent: 14, failed: 1 })
    expect(calls).toBe(15)
    const retryAt = new Date(T0.getTime() + RETRY_MS)
    const waiting = (await enrollmentsOf(drip.id)).filter((e) => e.stepPosition === 0)
    // The deferred one, the 5 marked but never handed over, and the 10 never marked.
    expect(waiting).toHaveLength(16)
    expect(waiting.every((e) => e.status === 'active' && e.nextDueAt?.getTime() === retryAt.getTime() && e.claimId === null)).toBe(true)
    const queued = (await emailDeliveries()).filter((d) => d.state === 'queued')
    expect(queued.map((d) => d.lastErrorKind ?? 'not sent').sort()).toEqual(['not sent', 'not sent', 'not sent', 'not sent', 'not sent', 'transient'])
    expect(h.smtp.messages).toHaveLength(14)
    h.clock.set(retryAt)
    expect(await h.drain()).toBe(16)
    expect(h.smtp.messages.map((m) => m.envelope.to[0]).sort()).toEqual([...addresses].sort())
  })

  it('a render that throws (not a template error) fails the pass; what its statement marked is recorded as not sent, and all go out once later', async () => {
    const addresses = Array.from({ length: 5 }, (_, i) => `r${i}@example.com`)
    const drip = await enrolledDrip(addresses)
    // Decision 113: the marked messages are rendered while their statement runs; the third render throws.
    let renders = 0
    const runner = h.runner({ retryMs: RETRY_MS })
    const compose: typeof runner.compose = (args) => {
      if (++renders === 3) throw new Error('renderer crashed')
      return runner.compose(args)
    }
    await expect(runDripPass({ ...runner, compose })).rejects.toThrow('renderer crashed')
    expect(h.smtp.messages).toHaveLength(0)
    const queued = await emailDeliveries()
    expect(queued.map((d) => [d.state, d.lastErrorKind])).toEqual(addresses.map(() => ['queued', null]))
    const retryAt = new Date(T0.getTime() + RETRY_MS)
    expect((await enrollmentsOf(drip.id)).every((e) => e.status === 'active' && e.claimId === null && e.nextDueAt?.getTime() === retryAt.getTime())).toBe(true)
    h.clock.set(retryAt)
    expect(await h.drain()).toBe(5)
    expect(h.smtp.messages.map((m) => m.envelope.to[0]).sort()).toEqual(addresses)
  })

  it('an answer lost after the message was handed over needs review, counts as sent and is never re-sent', async () => {
    const drip = await enrolledDrip(['cid@example.com'])
    h.smtp.injectFault({ kind: 'reset-after-data' })
    const report = await runDripPass(h.runner())
    expect(report).toMatchObject({ sent: 0, failed: 1 })
    const [enrollment] = await enrollmentsOf(drip.id)
    expect(enrollment).toMatchObject({ status: 'active', stepPosition: 1, nextDueAt: new Date(T0.getTime() + 24 * 3_600_000) })
    expect(await emailDeliveries()).toEqual([expect.objectContaining({ state: 'needs_review', lastErrorKind: 'unknown-outcome' })])
    expect(await h.drain()).toBe(0)
    expect(h.smtp.messages).toHaveLength(1)
  })
})
