import { listAccounts } from '../../db/queries/accounts'
import { listCalendarDeliveries } from '../../db/queries/series'
import type { Services } from './services.server'
import { loadCalendar } from './series.server'

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

/** Projected email sends on one local day of the calendar's zone (drip steps, per enrollment). */
export type EmailVolumeDay = { date: string; count: number }

/**
 * Extension point for email steps on the calendar: how many drip emails are projected to go out on
 * each day between `from` and `to` (local dates `YYYY-MM-DD` in `timeZone`). The drip engine fills this
 * in; until then the calendar shows no email volume. The calendar draws each non-zero day as an
 * all-day "N emails" marker that is not draggable.
 */
export async function projectedEmailVolume(
  _services: Services,
  _args: { workspaceId: string; from: string; to: string; timeZone: string },
): Promise<EmailVolumeDay[]> {
  return []
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
  const today = new Date(services.clock.now()).toISOString().slice(0, 10)
  const emailVolume = await projectedEmailVolume(services, {
    workspaceId: args.workspaceId,
    from: dates[0] ?? today,
    to: dates.at(-1) ?? today,
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
