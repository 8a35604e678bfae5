import { getContact, insertContact } from '../../db/queries/contacts'
import { insertContactEvent } from '../../db/queries/events'
import { createWorkspace } from '../../db/queries/workspaces'
import { users } from '../../db/schema'
import { fixedClock } from '../../domain/clock'
import { recordApiEvent, recordTrackedActivity } from '../../core/email.server'
import { applyScoreDecay, createScoreRule, listScoreHistory, listScoreRules, removeScoreRule, replaceScoreRule } from '../../core/score-rules.server'
import type { Services } from '../../core/services.server'
import { createTestDatabase } from '../db'

/** Score rules at the core: a workspace's own rules change scores and leave a history; the decay pass (injected clock). */

const T0 = new Date('2026-03-02T09:00:00Z')
const DAY = 86_400_000
let database: Awaited<ReturnType<typeof createTestDatabase>>
const clock = fixedClock(T0)
let services: Services
let workspaceId: string
let actorUserId: string

beforeAll(async () => {
  database = await createTestDatabase()
  services = { database, clock } as unknown as Services
  const [user] = await database.db.insert(users).values({ email: 'owner@score.test', name: 'Owner', passwordHash: 'x' }).returning()
  actorUserId = user!.id
  workspaceId = (await createWorkspace(database.db, { name: 'Score', ownerUserId: actorUserId })).id
})
afterAll(async () => {
  await database?.close()
})

const score = async (contactId: string, ws = workspaceId) => (await getContact(database.db, { workspaceId: ws, contactId }))!.leadScore

it('starts a new workspace with opened +1 and clicked +2', async () => {
  expect((await listScoreRules(services, { workspaceId })).map((r) => r.label)).toEqual(['Opened an email: +1', 'Clicked a link: +2'])
})

it('scores by the custom rules (event demo_booked +10, clicked +5, a negative rule) and records which rule, when and how much', async () => {
  const rules = await listScoreRules(services, { workspaceId })
  const clicked = rules.find((r) => r.on === 'clicked')!
  await replaceScoreRule(services, { workspaceId, actorUserId, ruleId: clicked.id, input: { on: 'clicked', points: 5 } })
  const demo = await createScoreRule(services, { workspaceId, actorUserId, input: { on: 'event', name: 'demo_booked', points: 10 } })
  await createScoreRule(services, { workspaceId, actorUserId, input: { on: 'event', name: 'competitor_signup', points: -4 } })

  const booked = await recordApiEvent(services, { workspaceId, input: { email: 'lead@score.test', type: 'demo_booked' } })
  expect(booked.event.scoreDelta).toBe(10)
  const contactId = booked.contactId
  clock.advance(60_000)
  // A click implies the open: opened +1, clicked +5.
  await recordTrackedActivity(services, { claims: { workspaceId, contactId, url: 'https://brand.test/a' }, type: 'clicked' })
  clock.advance(60_000)
  await recordApiEvent(services, { workspaceId, input: { email: 'lead@score.test', type: 'competitor_signup' } })
  expect(await score(contactId)).toBe(10 + 1 + 5 - 4)

  const history = await listScoreHistory(services, { workspaceId, contactId })
  expect(history.map((h) => [h.rule, h.points, h.occurredAt.getTime() - T0.getTime()])).toEqual([
    ['Event competitor_signup: −4', -4, 120_000],
    ['Clicked a link: +5', 5, 60_000],
    ['Opened an email: +1', 1, 60_000],
    ['Event demo_booked: +10', 10, 0],
  ])
  expect(history.at(-1)!.ruleId).toBe(demo.id)

  // A removed rule scores nothing more; its history stays, by name.
  await removeScoreRule(services, { workspaceId, actorUserId, ruleId: demo.id })
  expect((await recordApiEvent(services, { workspaceId, input: { email: 'lead@score.test', type: 'demo_booked' } })).event.scoreDelta).toBe(0)
  const after = await listScoreHistory(services, { workspaceId, contactId })
  expect(after).toHaveLength(4)
  expect(after.at(-1)).toMatchObject({ ruleId: null, rule: 'Event demo_booked: +10' })
})

it('decays −N every D days without activity: due periods only, once each, never below zero, restarted by activity', async () => {
  clock.set(T0)
  // A workspace of its own: the contacts above must not take part.
  const workspaceId = (await createWorkspace(database.db, { name: 'Decay', ownerUserId: actorUserId })).id
  const decay = await createScoreRule(services, { workspaceId, actorUserId, input: { on: 'inactive', points: -5, everyDays: 30 } })
  const quiet = await insertContact(database.db, { workspaceId, email: 'quiet@score.test', at: T0 })
  const busy = await insertContact(database.db, { workspaceId, email: 'busy@score.test', at: T0 })
  for (const contact of [quiet, busy]) {
    const event = await insertContactEvent(database.db, { workspaceId, contactId: contact.id, type: 'opened', occurredAt: T0 })
    await database.db.transaction(async (tx) => {
      const { scoreActivity } = await import('../../core/score-rules.server')
      const { lockContact } = await import('../../db/queries/contacts')
      for (let i = 0; i < 12; i++) await scoreActivity(tx, { contact: (await lockContact(tx, { workspaceId, contactId: contact.id }))!, activity: { type: 'opened' }, eventId: event!.id, halfLifeDays: null, at: T0 })
    })
  }
  expect(await score(quiet.id, workspaceId)).toBe(12)

  clock.set(new Date(T0.getTime() + 29 * DAY))
  expect(await applyScoreDecay(services)).toEqual({ contacts: 0, points: 0 })
  // Day 20: the busy one is active again.
  await insertContactEvent(database.db, { workspaceId, contactId: busy.id, type: 'clicked', occurredAt: new Date(T0.getTime() + 20 * DAY) })

  clock.set(new Date(T0.getTime() + 31 * DAY))
  const first = await applyScoreDecay(services, { batchSize: 1 })
  expect(first.points).toBe(-5)
  expect(await score(quiet.id, workspaceId)).toBe(7)
  expect(await score(busy.id, workspaceId)).toBe(12)
  // Run again the same day: nothing more.
  expect((await applyScoreDecay(services)).points).toBe(0)

  // Two periods later at once (the job did not run): −10 asked, −7 taken (not below zero); busy: two periods since day 20 (days 50 and 80).
  clock.set(new Date(T0.getTime() + 91 * DAY))
  await applyScoreDecay(services)
  expect(await score(quiet.id, workspaceId)).toBe(0)
  expect(await score(busy.id, workspaceId)).toBe(2)
  const history = await listScoreHistory(services, { workspaceId, contactId: quiet.id, limit: 2 })
  expect(history.map((h) => [h.ruleId, h.rule, h.points, (h.occurredAt.getTime() - T0.getTime()) / DAY])).toEqual([
    [decay.id, 'No activity for 30 days: −5', -7, 90],
    [decay.id, 'No activity for 30 days: −5', -5, 30],
  ])
})
