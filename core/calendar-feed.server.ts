import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto'
import ical, { ICalCalendarMethod, ICalEventStatus } from 'ical-generator'
import { deleteCalendarFeed, findCalendarFeed, getCalendarFeed, rotateCalendarFeed } from '../db/queries/calendar-feeds'
import { listCalendarDeliveries } from '../db/queries/series'
import type { Services } from './services.server'

/**
 * The workspace's ICS feed: a secret, revocable URL any calendar app can subscribe to. The URL is
 * `/ics/<feedId>.<HMAC(feedId)>.ics`; the key derives from SESSION_SECRET, so nothing secret is stored
 * and the URL can be shown again. Regenerating gives the feed a new id; revoking deletes it.
 */

/** How far back the feed reaches (published history); everything scheduled ahead is included. */
const HISTORY_DAYS = 90
/** Posts are instants; calendar apps want a duration to draw. */
const EVENT_MINUTES = 15

function feedKey(services: Pick<Services, 'config'>): Buffer {
  return Buffer.from(hkdfSync('sha256', services.config.SESSION_SECRET, 'trickle', 'trickle.calendar-feed.v1', 32))
}

const sign = (services: Pick<Services, 'config'>, feedId: string) => createHmac('sha256', feedKey(services)).update(feedId).digest('base64url')

function feedUrl(services: Pick<Services, 'config'>, feedId: string): string {
  return new URL(`/ics/${feedId}.${sign(services, feedId)}.ics`, services.config.APP_URL).toString()
}

/** The feed URL, or null while the workspace has none. */
export async function calendarFeedUrl(services: Services, args: { workspaceId: string }): Promise<string | null> {
  const feed = await getCalendarFeed(services.database.db, args)
  return feed ? feedUrl(services, feed.feedId) : null
}

export async function regenerateCalendarFeed(services: Services, args: { workspaceId: string }): Promise<string> {
  const feed = await rotateCalendarFeed(services.database.db, { workspaceId: args.workspaceId, clock: services.clock })
  return feedUrl(services, feed.feedId)
}

export async function revokeCalendarFeed(services: Services, args: { workspaceId: string }): Promise<void> {
  await deleteCalendarFeed(services.database.db, args)
}

/** The workspace a feed token opens, or null for a tampered, regenerated or revoked one. */
async function workspaceOfToken(services: Services, token: string): Promise<{ workspaceId: string } | null> {
  const match = /^([0-9a-f-]{36})\.([A-Za-z0-9_-]{43})(?:\.ics)?$/.exec(token)
  if (!match) return null
  const [, feedId, mac] = match
  const expected = Buffer.from(sign(services, feedId!))
  if (!timingSafeEqual(expected, Buffer.from(mac!))) return null
  const feed = await findCalendarFeed(services.database.db, { feedId: feedId! })
  return feed ? { workspaceId: feed.workspaceId } : null
}

/** The RFC 5545 calendar of a feed token: one VEVENT per post and account, UTC times, stable UIDs. Null: no such feed. */
export async function renderCalendarFeed(services: Services, args: { token: string }): Promise<string | null> {
  const owner = await workspaceOfToken(services, args.token)
  if (!owner) return null
  const now = services.clock.now()
  const rows = await listCalendarDeliveries(services.database.db, {
    workspaceId: owner.workspaceId,
    from: new Date(now.getTime() - HISTORY_DAYS * 86_400_000),
    states: ['planned', 'queued', 'publishing', 'published', 'failed', 'missed', 'needs_review', 'skipped'],
  })
  const calendar = ical({ name: 'Trickle schedule', prodId: { company: 'Trickle', product: 'Trickle', language: 'EN' }, method: ICalCalendarMethod.PUBLISH, ttl: 15 * 60 })
  for (const row of rows) {
    const excerpt = row.text.replace(/\s+/g, ' ').slice(0, 80)
    const attention = row.state === 'failed' || row.state === 'missed' || row.state === 'needs_review'
    calendar.createEvent({
      id: `${row.id}@trickle`,
      start: row.dueAt,
      end: new Date(row.dueAt.getTime() + EVENT_MINUTES * 60_000),
      stamp: now,
      summary: `${attention ? `[${row.state.replace('_', ' ')}] ` : ''}@${row.accountHandle}: ${excerpt}`,
      description: [`${row.seriesName}, post ${row.position + 1} (${row.state.replace('_', ' ')})`, row.text, row.lastError ? `Last error: ${row.lastError}` : ''].filter(Boolean).join('\n\n'),
      status: row.state === 'skipped' ? ICalEventStatus.CANCELLED : row.state === 'published' ? ICalEventStatus.CONFIRMED : ICalEventStatus.TENTATIVE,
      url: row.remoteUrl ?? new URL(`/app/series/${row.sequenceId}`, services.config.APP_URL).toString(),
    })
  }
  return calendar.toString()
}
