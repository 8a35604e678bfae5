import { z } from 'zod'
import { listAccounts } from '../db/queries/accounts'
import { listDripRows, loadDripDefinitions } from '../db/queries/drips'
import { dueEnrollmentGroups } from '../db/queries/enrollments'
import { listCalendarDeliveries } from '../db/queries/series'
import { projectEmailVolume, type EmailVolumeDay } from '../domain/drip/projection'
import { DAY, isValidTimeZone, parseLocal, wallToInstant } from '../domain/timing/zone'
import { parseInput } from './parse-input'
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

/** The longest range the calendar asks projected emails for (a month view shows six weeks). */
export const MAX_EMAIL_VOLUME_DAYS = 62

/**
 * How many drip emails are projected to go out on each day between `from` and `to` (local dates
 * `YYYY-MM-DD` in `timeZone`): the active enrollments' next steps and the steps after them
 * (domain/drip/projection.ts), per day and per drip.
 */
export async function projectedEmailVolume(services: Services, args: { workspaceId: string; from: string; to: string; timeZone: string }): Promise<EmailVolumeDay[]> {
  const db = services.database.db
  const until = new Date(wallToInstant(args.timeZone, parseLocal(`${args.to}T23:59`)!).at + 60_000)
  const groups = await dueEnrollmentGroups(db, { workspaceId: args.workspaceId, timeZone: args.timeZone, until })
  if (groups.length === 0) return []
  const drips = await loadDripDefinitions(db, { dripIds: [...new Set(groups.map((g) => g.dripId))] })
  return projectEmailVolume({ groups, drips, timeZone: args.timeZone, from: args.from, to: args.to, now: services.clock.now() })
}

const LocalDate = (field: string) => z.string({ error: `${field}: a date like 2026-11-03` }).regex(/^\d{4}-\d{2}-\d{2}$/, { error: `${field}: a date like 2026-11-03` }).refine((d) => parseLocal(`${d}T00:00`) !== undefined, { error: `${field}: not a calendar date` })

/** The calendar's question: the visible days (inclusive) in its display zone. */
export const EmailVolumeQuerySchema = z
  .strictObject({
    from: LocalDate('from'),
    to: LocalDate('to'),
    tz: z.string({ error: 'tz: a time zone such as Europe/Berlin' }).refine(isValidTimeZone, { error: 'tz: a time zone such as Europe/Berlin' }),
  })
  .refine((q) => q.to >= q.from, { path: ['to'], error: 'to: must not be before from' })
  .refine((q) => (parseLocal(`${q.to}T00:00`)! - parseLocal(`${q.from}T00:00`)!) / DAY < MAX_EMAIL_VOLUME_DAYS, { path: ['to'], error: `to: at most ${MAX_EMAIL_VOLUME_DAYS} days after from` })

export type EmailVolumeView = Array<{ date: string; count: number; drips: Array<{ id: string; name: string; count: number }> }>

/**
 * The calendar's "N drip emails" per day for the days it shows (at most `MAX_EMAIL_VOLUME_DAYS`), with
 * the drips behind each count. Workspace-scoped; a bad range or zone is a 400 naming the field.
 */
export async function loadEmailVolume(services: Services, args: { workspaceId: string; query: unknown }): Promise<EmailVolumeView> {
  const { from, to, tz } = parseInput(EmailVolumeQuerySchema, args.query, 'from')
  const days = await projectedEmailVolume(services, { workspaceId: args.workspaceId, from, to, timeZone: tz })
  if (days.length === 0) return []
  const names = new Map((await listDripRows(services.database.db, { workspaceId: args.workspaceId })).map((d) => [d.id, d.name]))
  return days
    .filter((d) => d.count > 0)
    .map((d) => ({ date: d.date, count: d.count, drips: d.drips.filter((x) => names.has(x.dripId)).map((x) => ({ id: x.dripId, name: names.get(x.dripId)!, count: x.count })) }))
}

/**
 * The calendar page: the series deliveries with the page's filters (account, series, status, time
 * zone from `loadCalendar`, plus the channel here). The projected drip emails come from `loadEmailVolume`,
 * for the days the calendar shows.
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
  return {
    ...page,
    items,
    filters: { ...page.filters, channel },
    options: {
      ...page.options,
      statuses: page.options.statuses.map((o) => ({ value: o.value, label: STATUS_LABELS[o.value] ?? o.label })),
      channels: kinds.map((k) => ({ value: k, label: CHANNEL_LABELS[k] ?? k })),
    },
  }
}
