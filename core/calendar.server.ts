import { listAccounts } from '../db/queries/accounts'
import { loadDripDefinitions } from '../db/queries/drips'
import { dueEnrollmentGroups } from '../db/queries/enrollments'
import { listCalendarDeliveries } from '../db/queries/series'
import { projectEmailVolume, type EmailVolumeDay } from '../domain/drip/projection'
import { DAY, formatLocal, instantToWall, parseLocal, wallToInstant } from '../domain/timing/zone'
import type { Services } from './services.server'
import { loadCalendar } from './series/calendar-actions.server'

/** Networks and transports as the calendar's "Channel" filter names them. */
const CHANNEL_LABELS: Record<string, string> = { x: 'X', mastodon: 'Mastodon', bluesky: 'Bluesky', email: 'Email' }

/** Delivery states as the Status filter names them (the same words as the calendar's legend). */
const STATUS_LABELS: Record<string, string> = {
  planned: 'Planned',
  queued: 'Scheduled',
  publishing: 'Publishing',
  published: 'Published',
  failed: 'Failed',
  missed: 'Missed',
  needs_review: 'Needs review',
  skipped: 'Skipped',
  canceled: 'Canceled',
}

/** How far ahead the calendar projects drip emails. */
const EMAIL_PROJECTION_DAYS = 90

/**
 * How many drip emails are projected to go out on each day between `from` and `to` (local dates
 * `YYYY-MM-DD` in `timeZone`): the active enrollments' next steps and the steps after them
 * (domain/drip/projection.ts). The calendar draws each day as an all-day "N emails" marker.
 */
export async function projectedEmailVolume(services: Services, args: { workspaceId: string; from: string; to: string; timeZone: string }): Promise<EmailVolumeDay[]> {
  const db = services.database.db
  const until = new Date(wallToInstant(args.timeZone, parseLocal(`${args.to}T23:59`)!).at + 60_000)
  const groups = await dueEnrollmentGroups(db, { workspaceId: args.workspaceId, timeZone: args.timeZone, until })
  if (groups.length === 0) return []
  const drips = await loadDripDefinitions(db, { dripIds: [...new Set(groups.map((g) => g.dripId))] })
  return projectEmailVolume({ groups, drips, timeZone: args.timeZone, from: args.from, to: args.to, now: services.clock.now() })
}

/**
 * The calendar page: the series deliveries with the page's filters (account, series, status, time
 * zone from `loadCalendar`, plus the channel here) and the projected email volume per day.
 */
export async function loadCalendarPage(services: Services, args: { workspaceId: string; params: URLSearchParams }) {
  const db = services.database.db
  const [page, accounts] = await Promise.all([loadCalendar(services, args), listAccounts(db, { workspaceId: args.workspaceId })])
  const kinds = [...new Set(accounts.map((a) => a.kind))]
  const requested = args.params.get('channel') ?? ''
  const channel = kinds.includes(requested) ? requested : ''
  let items = page.items
  if (channel) {
    const accountIds = accounts.filter((a) => a.kind === channel).map((a) => a.id)
    const inChannel = new Set((await listCalendarDeliveries(db, { workspaceId: args.workspaceId, accountIds })).map((d) => d.id))
    items = items.filter((i) => inChannel.has(i.id))
  }
  const dates = items.map((i) => i.local.slice(0, 10)).sort()
  const now = services.clock.now().getTime()
  const today = formatLocal(instantToWall(page.filters.tz, now)).slice(0, 10)
  const horizon = formatLocal(instantToWall(page.filters.tz, now + EMAIL_PROJECTION_DAYS * DAY)).slice(0, 10)
  const emailVolume = await projectedEmailVolume(services, {
    workspaceId: args.workspaceId,
    from: dates[0] && dates[0] < today ? dates[0] : today,
    to: dates.at(-1) && dates.at(-1)! > horizon ? dates.at(-1)! : horizon,
    timeZone: page.filters.tz,
  })
  return {
    ...page,
    items,
    emailVolume: emailVolume.filter((d) => d.count > 0),
    filters: { ...page.filters, channel },
    options: {
      ...page.options,
      statuses: page.options.statuses.map((o) => ({ value: o.value, label: STATUS_LABELS[o.value] ?? o.label })),
      channels: kinds.map((k) => ({ value: k, label: CHANNEL_LABELS[k] ?? k })),
    },
  }
}
