import { createTestDatabase } from '../db'
import type { Database } from '../../db/client'
import { insertContact, setLeadScore } from '../../db/queries/contacts'
import { insertContactEvent, listActivitySince } from '../../db/queries/events'
import { insertSegment, walkSegmentMembers } from '../../db/queries/segments'
import { getSuppression, isSuppressed, liftUnsubscribe, suppressAddress } from '../../db/queries/suppression'
import { workspaces } from '../../db/schema'
import { checkFrequencyCap } from '../../domain/email/frequency'

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
