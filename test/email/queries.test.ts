import { createTestDatabase } from '../db'
import type { Database } from '../../db/client'
import { getContact, insertContact, setLeadScore } from '../../db/queries/contacts'
import { insertContactEvent, listActivitySince } from '../../db/queries/events'
import { insertSegment, walkSegmentMembers } from '../../db/queries/segments'
import { getSuppression, isSuppressed, liftUnsubscribe, suppressAddress } from '../../db/queries/suppression'
import { workspaces } from '../../db/schema'
import { checkFrequencyCap } from '../../domain/email/frequency'
import { mailability } from '../../core/mailability.server'

let database: Database
let workspaceId: string
let otherWorkspaceId: string
const now = new Date('2026-11-02T12:00:00Z')
const daysAgo = (n: number) => new Date(now.getTime() - n * 86_400_000)

beforeAll(async () => {
  database = await createTestDatabase()
  const [a, b] = await database.db.insert(workspaces).values([{ name: 'A' }, { name: 'B' }]).returning()
  workspaceId = a!.id
  otherWorkspaceId = b!.id
})
afterAll(async () => {
  await database?.close()
})

describe('suppression list', () => {
  it('is idempotent, per workspace, moves the contact status, and never lifts a hard bounce', async () => {
    const db = database.db
    await insertContact(db, { workspaceId, email: 'hb@example.com', at: now })
    expect(await suppressAddress(db, { workspaceId, email: 'HB@example.com', reason: 'hard_bounce', detail: '550 5.1.1', at: now })).toEqual({ created: true })
    expect(await suppressAddress(db, { workspaceId, email: 'hb@example.com', reason: 'unsubscribed', at: now })).toEqual({ created: false })
    expect(await getSuppression(db, { workspaceId, email: 'hb@example.com' })).toMatchObject({ reason: 'hard_bounce', detail: '550 5.1.1' })
    expect(await isSuppressed(db, { workspaceId: otherWorkspaceId, email: 'hb@example.com' })).toBe(false)
    expect(await liftUnsubscribe(db, { workspaceId, email: 'hb@example.com' })).toBe(false)
    expect(await isSuppressed(db, { workspaceId, email: 'hb@example.com' })).toBe(true)
    await suppressAddress(db, { workspaceId, email: 'u@example.com', reason: 'unsubscribed', at: now })
    expect(await liftUnsubscribe(db, { workspaceId, email: 'u@example.com' })).toBe(true)
  })

  it('says whether a contact may be mailed, why not, and whether that is for good (mailability)', async () => {
    const db = database.db
    const contact = async (email: string, status?: 'pending' | 'complained') => insertContact(db, { workspaceId, email, status, at: now })
    // The contact as it is now (suppressing an address moves its contact's status).
    const check = async (c: { id: string }) => mailability(db, { workspaceId, contact: (await getContact(db, { workspaceId, contactId: c.id }))! })
    expect(await check(await contact('ok@example.com'))).toEqual({ mailable: true, neverAgain: false, suppression: null })
    expect(await check(await contact('pending@example.com', 'pending'))).toMatchObject({ mailable: true })

    const unsubscribed = await contact('unsub@example.com')
    await suppressAddress(db, { workspaceId, email: unsubscribed.email, reason: 'manual', at: now })
    expect(await check(unsubscribed)).toMatchObject({ mailable: false, reason: 'unsubscribed', neverAgain: false, suppression: { reason: 'manual' } })

    const bounced = await contact('bounced@example.com')
    await suppressAddress(db, { workspaceId, email: bounced.email, reason: 'hard_bounce', at: now })
    expect(await check(bounced)).toMatchObject({ mailable: false, reason: 'bounced', neverAgain: true })
    expect(await check(await contact('complained@example.com', 'complained'))).toMatchObject({ mailable: false, reason: 'complained', neverAgain: true, suppression: null })

    // On the list, though the contact row still says subscribed (added before the contact existed).
    await suppressAddress(db, { workspaceId, email: 'listed@example.com', reason: 'complaint', at: now })
    await suppressAddress(db, { workspaceId, email: 'optedout@example.com', reason: 'unsubscribed', at: now })
    expect(await mailability(db, { workspaceId, contact: { email: 'listed@example.com', status: 'subscribed' } })).toMatchObject({ mailable: false, reason: 'suppressed', neverAgain: true })
    expect(await mailability(db, { workspaceId, contact: { email: 'optedout@example.com', status: 'subscribed' } })).toMatchObject({ mailable: false, reason: 'suppressed', neverAgain: false })
    // Another workspace's list does not count.
    expect(await mailability(db, { workspaceId: otherWorkspaceId, contact: { email: 'listed@example.com', status: 'subscribed' } })).toMatchObject({ mailable: true })
  })
})

describe('segments over the database', () => {
  it('walks the contacts matching a rule in batches (tags, decayed score, activity)', async () => {
    const db = database.db
    const made = []
    for (let i = 0; i < 25; i++) {
      const contact = await insertContact(db, { workspaceId, email: `s${i}@example.com`, tags: i % 2 === 0 ? ['beta'] : [], at: now })
      await setLeadScore(db, { workspaceId, contactId: contact.id, score: i * 2, at: daysAgo(10) })
      if (i % 5 === 0) await insertContactEvent(db, { workspaceId, contactId: contact.id, type: 'clicked', occurredAt: daysAgo(i) })
      made.push(contact)
    }
    await insertContact(db, { workspaceId: otherWorkspaceId, email: 's0@example.com', tags: ['beta'], at: now })
    const rule = {
      match: 'all' as const,
      conditions: [
        { kind: 'tag' as const, tag: 'beta', has: true },
        { kind: 'score' as const, op: 'gte' as const, value: 10 }, // 10-day half-life halves the stored score
        { kind: 'activity' as const, activity: 'clicked' as const, withinDays: 14 },
      ],
    }
    const segment = await insertSegment(db, { workspaceId, name: 'engaged beta', rule, at: now })
    const members: string[] = []
    for await (const batch of walkSegmentMembers(db, { workspaceId, rule: segment.rule, now, halfLifeDays: 10, batchSize: 7 })) members.push(...batch.map((c) => c.email))
    // beta: even i; clicked within 14 days: i ∈ {0, 5, 10}; score i*2/2 = i ≥ 10: i = 10.
    expect(members).toEqual(['s10@example.com'])
  })

  it('gives the frequency cap its recent sends', async () => {
    const db = database.db
    const contact = await insertContact(db, { workspaceId, email: 'cap@example.com', at: now })
    for (const hours of [1, 5, 30]) await insertContactEvent(db, { workspaceId, contactId: contact.id, type: 'sent', occurredAt: new Date(now.getTime() - hours * 3_600_000) })
    const sends = await listActivitySince(db, { workspaceId, contactIds: [contact.id], since: daysAgo(1), types: ['sent'] })
    expect(sends).toHaveLength(2)
    expect(checkFrequencyCap({ cap: { max: 2, periodHours: 24 }, sentAt: sends.map((s) => s.occurredAt), now })).toEqual({ allowed: false, nextAllowedAt: new Date(now.getTime() + 19 * 3_600_000) })
  })
})
